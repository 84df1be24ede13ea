# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's exim4 configuration is now, as the exim4 plan of the smtp_relay role reads it (private: no
compatibility promise). No credentials: passwd.client's entries are the caller's to read and keep out of results.
"""

import shlex
import socket

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_layout as layout
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import (
    TransportNotFound, foreign_options, with_options,
)
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import under


def read_text(path):
    """The file's text, or None when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def parse_update_conf(text):
    """{name: value} of update-exim4.conf.conf's shell assignments (``dc_smarthost='host::port'``)."""
    values = {}
    for line in (text or '').splitlines():
        name, equals, value = line.partition('=')
        if equals and not line.startswith('#') and name.strip() == name and name:
            words = shlex.split(value, comments=True)
            values[name] = words[0] if words else ''
    return values


def macro_block(text):
    """The lines of the role's block in the local macros file's ``text``, or None without one."""
    begin, end = layout.MACROS_MARKER.format(mark='BEGIN'), layout.MACROS_MARKER.format(mark='END')
    lines = (text or '').splitlines()
    if begin not in lines or end not in lines[lines.index(begin):]:
        return None
    start = lines.index(begin)
    return lines[start + 1:lines.index(end, start)]


def transport_state(source_text, target_text):
    """(whether ``target_text`` is ``source_text`` with the role's transport options, the options the source sets
    itself); for a source Debian does not ship: (False, [])."""
    if source_text is None:
        return False, []
    try:
        return with_options(source_text) == target_text, foreign_options(source_text)
    except TransportNotFound:
        return False, []


def canonical_name(name):
    """``name`` as the host's resolver gives it canonically (a CNAME's target; an /etc/hosts alias's first name), or
    ``name`` itself when it does not resolve: exim looks passwd.client up by this name."""
    try:
        answers = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    except (socket.error, UnicodeError):
        return name
    return next((answer[3] for answer in answers if answer[3]), name)


def exim4_state(root, relay_host):
    """The host's exim4 configuration under ``root``: split or not, the dc_* values, the role's macros, whether the
    smarthost transport has the role's options, and the relay's canonical name (for ``relay_host``, else None)."""
    update_conf = parse_update_conf(read_text(under(root, layout.UPDATE_CONF)))
    split = update_conf.get('dc_use_split_config') == 'true'
    source = read_text(under(root, layout.TRANSPORT_FILE if split else layout.TEMPLATE))
    target = read_text(under(root, layout.TRANSPORT_RUL)) if split else source
    current, foreign = transport_state(source, target)
    return {
        'split': split,
        'update_conf': dict((name, value) for name, value in update_conf.items() if name.startswith('dc_')),
        'macros': macro_block(read_text(under(root, layout.LOCALMACROS[split]))),
        'transport_current': current,
        'foreign_options': foreign,
        'relay_canonical_name': canonical_name(relay_host) if relay_host else None,
    }
