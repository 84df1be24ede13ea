# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""exim4's client credentials file, /etc/exim4/passwd.client: one line per relay, ``host:login:password`` (private:
no compatibility promise).

Debian's smarthost transport and its plain and login authenticators look the line up with ``nwildlsearch`` by
``$host``, the relay's name as exim resolved it (its canonical name, not a CNAME), so the key is a host name. The
lookup's data is the rest of the line after the key's colon; the authenticators take the login up to the first
colon and the password as all the rest, colons included. The file holds passwords: whoever reads it keeps them out
of results and messages.
"""

import re

# An lsearch key ends at the first colon or blank; a quoted key is not one the role writes.
KEY = re.compile(r'^([^\s:"#][^\s:]*)[\s]*:[\s]*(.*?)\s*$')


def parse(text):
    """{key: (login, password)} of the file's text; comments, blank lines and lines without ``login:password`` are
    skipped."""
    credentials = {}
    for line in text.splitlines():
        match = KEY.match(line)
        if match and ':' in match.group(2):
            login, password = match.group(2).split(':', 1)
            credentials[match.group(1)] = (login, password)
    return credentials


def render(lines):
    """The file's text for ``lines``, a list of (key, login, password), in that order."""
    return ''.join('%s:%s:%s\n' % line for line in lines)


def bad_keys(keys):
    """Why some of ``keys`` cannot be keys of the file (empty, with a colon or a blank, a comment, quoted), or None."""
    bad = [key for key in keys if not KEY.match('%s:x:y' % key) or KEY.match('%s:x:y' % key).group(1) != key]
    if bad:
        return ('entries has keys exim cannot look up as host names (empty, with a colon or a blank, a comment or '
                'quoted): %s' % ', '.join(repr(key) for key in bad))
    return None


def refused(lines):
    """What of ``lines`` (key, login, password) the file cannot hold, without the password: a line break ends a line,
    a colon in the login would move the password's start, and lsearch drops blanks at the end of a line."""
    problems = []
    for dummy, login, password in lines:
        if re.search(r'[\r\n:]', login) or login != login.strip():
            problems.append('the name of %s (it holds a colon, a line break or surrounding blanks)' % login)
        if re.search(r'[\r\n]', password) or password != password.rstrip():
            problems.append('the password of %s (it holds a line break or ends with a blank)' % login)
    return problems
