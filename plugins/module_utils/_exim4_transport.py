# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Debian's exim4 smarthost transport with the two options the smtp_relay role needs and Debian has no macro for
(private: no compatibility promise).

- ``hosts_require_auth``: without it, when every authenticator fails (a 535 for a disabled user, or right after a
  password rotation) exim goes on without AUTH and the relay's 530 is permanent: the mail bounces. With it the
  delivery is deferred and the mail stays queued.
- ``hosts_nopass_tls``: exim hands an open connection, with its one AUTH, to the next message for the same host,
  whatever that message's sender; with it no TLS connection is handed on, so each message authenticates itself.

Macros cannot add options to a transport, so the role edits the transport's text. With Debian's split
configuration it writes ``conf.d/transport/30_exim4-config_remote_smtp_smarthost.rul``, which update-exim4.conf
reads instead of the stock file (a .rul is no conffile: the stock file stays as the package ships it); the text is
derived from the stock file on every run, so a package upgrade that changes it reaches the .rul. With the unsplit
configuration it inserts the same block in ``exim4.conf.template`` (a conffile). Both are this module's text
transformations, measured on Debian 12 and 13, whose transports are the same.
"""

import re

TRANSPORT = 'remote_smtp_smarthost'
OPTIONS = (('hosts_require_auth', '*'), ('hosts_nopass_tls', '*'))
BEGIN = '# BEGIN sendclean.mta.smtp_relay: a refused login defers the mail; no authenticated TLS connection is handed on'
END = '# END sendclean.mta.smtp_relay'

# A driver instance starts with its name and a colon alone on a line; a section with "begin <name>".
INSTANCE_START = re.compile(r'^([A-Za-z0-9_]+):\s*$')
SECTION_START = re.compile(r'^begin\s')
DRIVER_SMTP = re.compile(r'^\s+driver\s*=\s*smtp\s*$')


class TransportNotFound(ValueError):
    """The text has no smarthost transport with ``driver = smtp``: not the configuration Debian ships."""


def _section(lines):
    """(first, end) line indexes of the smarthost transport's body: after its name line, up to the next instance,
    the next section or the end."""
    start = next((index for index, line in enumerate(lines) if line.rstrip() == TRANSPORT + ':'), None)
    if start is None:
        raise TransportNotFound('no %s transport' % TRANSPORT)
    end = next((index for index in range(start + 1, len(lines))
                if INSTANCE_START.match(lines[index]) or SECTION_START.match(lines[index])), len(lines))
    return start + 1, end


def _without_block(lines):
    """``lines`` without the role's block, wherever it is."""
    kept, inside = [], False
    for line in lines:
        if line.rstrip() == BEGIN:
            inside = True
        elif inside and line.rstrip() == END:
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def block():
    """The role's lines, as they go in the transport."""
    return [BEGIN + '\n'] + ['  %s = %s\n' % option for option in OPTIONS] + [END + '\n']


def with_options(text):
    """``text`` (the stock transport file, or the whole template) with the role's block right after the smarthost
    transport's ``driver = smtp``; an earlier block is replaced. Raises TransportNotFound."""
    lines = _without_block(text.splitlines(True))
    first, end = _section(lines)
    driver = next((index for index in range(first, end) if DRIVER_SMTP.match(lines[index])), None)
    if driver is None:
        raise TransportNotFound('the %s transport has no "driver = smtp" line' % TRANSPORT)
    return ''.join(lines[:driver + 1] + block() + lines[driver + 1:])


def without_options(text):
    """``text`` as it was before with_options: the role's block removed (a host leaving exim4, or decommissioned)."""
    return ''.join(_without_block(text.splitlines(True)))


def foreign_options(text):
    """The role's options that the smarthost transport of ``text`` sets outside the role's block: exim refuses an
    option set twice, so the role cannot add its own there. Raises TransportNotFound."""
    lines = _without_block(text.splitlines(True))
    first, end = _section(lines)
    names = [name for name, dummy in OPTIONS]
    return [name for name in names
            if any(re.match(r'^\s+%s\s*=' % name, lines[index]) for index in range(first, end))]
