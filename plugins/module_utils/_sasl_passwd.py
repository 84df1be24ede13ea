# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix's SASL password file, sasl_passwd: one line per lookup key, ``key user:password`` (private: no
compatibility promise).

The key is the relay (``[host]:port``) or an envelope sender (an address, or ``@domain``) when Postfix picks the
credentials by sender. The file holds passwords: whoever reads it keeps them out of results and messages.
"""

import errno
import os
import tempfile


def parse(text):
    """{lookup key: (user, password)} of the file's text; comments and lines without ``user:password`` are skipped."""
    credentials = {}
    for line in text.splitlines():
        fields = line.split(None, 1)
        if len(fields) == 2 and ':' in fields[1] and not line.startswith('#'):
            user, password = fields[1].strip().split(':', 1)
            credentials[fields[0]] = (user, password)
    return credentials


def read(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def render(lines):
    """The file's text for ``lines``, a list of (lookup key, user, password), in that order."""
    return ''.join('%s %s:%s\n' % line for line in lines)


def bad_keys(keys):
    """Why some of ``keys`` cannot be lookup keys of the file (empty, with blanks, or a comment), or None."""
    bad = [key for key in keys if not key or len(key.split()) != 1 or key.startswith('#')]
    if bad:
        return ('entries has lookup keys Postfix cannot read (empty, with blanks, or a comment): %s'
                % ', '.join(repr(key) for key in bad))
    return None


def refused(lines):
    """What of ``lines`` (key, user, password) the file cannot hold, without the password: a line break ends a line."""
    return ['the password of %s (it holds a line break)' % user for dummy, user, password in lines
            if '\n' in password or '\r' in password]


def lines_for(entries, credentials):
    """The file's lines for ``entries`` ({lookup key: slot}, in that order) from ``credentials`` ({slot: (user,
    password)}, the host's record), and the slots that have none: ``(lines, missing)``."""
    lines = [(key,) + tuple(credentials[slot]) for key, slot in entries.items() if slot in credentials]
    return lines, [slot for slot in entries.values() if slot not in credentials]


def write(path, text, uid=-1, gid=-1):
    """Replace the file at ``path`` with ``text``: a new file in the same directory, mode 0600 from its creation (the
    passwords are never readable by others, not even for a moment), owned by ``uid``:``gid`` (-1: the writer's),
    synced, then renamed over ``path``."""
    fd, temp_path = tempfile.mkstemp(prefix='.%s-' % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chown(temp_path, uid, gid)
        os.rename(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)
