# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nullmailer's remotes file: one relay per line, ``host protocol --option=value ...`` with the credentials as
``--user=`` and ``--pass=`` options (private: no compatibility promise).

A line's key is the line without its credentials, as this module renders it; the file holds passwords, so whoever
reads it keeps them out of results and messages.
"""

import re

# nullmailer reads an argument quoted like a shell word: '...' literally, "..." and \ with escapes.
SPECIAL = re.compile(r'[\s\'"\\]')
CREDENTIAL_OPTIONS = {'user': ('--user=', 'user='), 'pass': ('--pass=', 'pass=')}
# Debian's postinst writes remotes anew on every install, upgrade and reconfigure, splitting it at every ':' and
# collapsing runs of blanks: a password with either would become a broken line and a line holding part of the password
# as a host name (looked up in DNS, tried in clear). A backslash has not been seen to survive that rewrite either.
DEBIAN_UNSAFE = re.compile(r'[:\s\\\x00]')


def _argument(line, start, end):
    """One argument of ``line`` from ``start``, as nullmailer's parse_arg (lib/argparse.cc) reads it, and where it
    ended. A port, including its one quirk: the character right after an escape is taken without being examined."""
    parts, ptr = [], start
    while ptr < end and not line[ptr].isspace():
        if line[ptr] == "'":
            parts.append(line[start:ptr])
            ptr = start = ptr + 1
            while ptr < end and line[ptr] != "'":
                ptr += 1
            parts.append(line[start:ptr])
            start = ptr + 1
        elif line[ptr] == '"':
            parts.append(line[start:ptr])
            ptr = start = ptr + 1
            while ptr < end and line[ptr] != '"':
                if line[ptr] == '\\':
                    parts.append(line[start:ptr])
                    parts.append(line[ptr + 1:ptr + 2])
                    ptr = start = ptr + 2
                ptr += 1
            parts.append(line[start:ptr])
            start = ptr + 1
        elif line[ptr] == '\\':
            parts.append(line[start:ptr])
            parts.append(line[ptr + 1:ptr + 2])
            ptr = start = ptr + 2
        ptr += 1
    parts.append(line[start:ptr])
    return ''.join(parts), ptr


def split(line):
    """The arguments of a remotes line, as nullmailer-send reads them."""
    arguments, ptr = [], 0
    while ptr < len(line):
        if line[ptr].isspace():
            ptr += 1
        else:
            argument, ptr = _argument(line, ptr, len(line))
            arguments.append(argument)
    return arguments


def quote(value):
    """``value`` as one argument that split() reads back exactly: in single quotes, a quote as "'"."""
    if value and not SPECIAL.search(value):
        return value
    return "'%s'" % value.replace("'", "'\"'\"'")


def key_of(arguments):
    """The key of a line of ``arguments`` (the relay and its options, without the credentials)."""
    return ' '.join(quote(argument) for argument in arguments)


def parse_lines(text):
    """The lines of the file's text as (key, user, password), in order; comments and blank lines are skipped, a line
    without credentials has None for them."""
    lines = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        rest, found = [], {'user': None, 'pass': None}
        for argument in split(line):
            option = next((name for name, prefixes in CREDENTIAL_OPTIONS.items()
                           if argument.startswith(prefixes)), None)
            if option:
                found[option] = argument.split('=', 1)[1]
            else:
                rest.append(argument)
        lines.append((key_of(rest), found['user'], found['pass']))
    return lines


def parse(text):
    """{key: (user, password)} of the file's text (see parse_lines)."""
    return dict((key, (user, password)) for key, user, password in parse_lines(text))


def render(lines):
    """The file's text for ``lines``, a list of (key, user, password), in that order."""
    return ''.join('%s --user=%s --pass=%s\n' % (key, quote(user), quote(password)) for key, user, password in lines)


def unsafe(value):
    """Why ``value`` (a password, a path) cannot be written in remotes on Debian, or None."""
    if DEBIAN_UNSAFE.search(value):
        return 'which Debian\'s nullmailer package breaks apart when it rewrites remotes at its next upgrade or reconfigure'
    return None


def bad_keys(keys):
    """Why some of ``keys`` cannot be relay lines of the file (empty, a comment, with credentials, or not written as
    key_of writes them), or None."""
    credential_prefixes = tuple(prefix for prefixes in CREDENTIAL_OPTIONS.values() for prefix in prefixes)
    bad = [key for key in keys if not key or key.startswith('#') or key_of(split(key)) != key or any(
        argument.startswith(credential_prefixes) for argument in split(key))]
    if bad:
        return ('entries has relay lines nullmailer would not read back as given (empty, a comment, with --user or '
                '--pass, or not quoted as the role quotes): %s' % ', '.join(repr(key) for key in bad))
    return None


def refused(lines):
    """What of ``lines`` (key, user, password) the file cannot hold on Debian (see unsafe), without the password."""
    return ['the %s of %s (it holds a ":", a blank or a backslash, %s)' % (what, user, unsafe(value))
            for dummy, user, password in lines for what, value in (('name', user), ('password', password))
            if unsafe(value)]
