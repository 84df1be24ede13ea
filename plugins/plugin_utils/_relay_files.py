# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How every MTA backend of the smtp_relay role compares a host's files with what it would write (private: no
compatibility promise).

Pure, on the controller: the host's files are their facts (sendclean_relay_facts), a credentials file its entries by
lookup key with the user each names and whether its password is the record's - never a password.
"""

import hashlib

MISSING_FILE = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}


def file_differs(current, content, mode, owner, group):
    """Whether the host's file (its facts) is not ``content`` with ``mode``, ``owner`` and ``group``."""
    wanted = {'exists': True, 'checksum': hashlib.sha1(content.encode('utf-8')).hexdigest(), 'mode': mode,
              'owner': owner, 'group': group}
    return current != wanted


def stale_entries(entries, held, users):
    """The lookup keys of ``entries`` ({key: slot}) whose line the host does not hold as wanted: missing, naming
    another user than the slot's in ``users``, or with a password that is not the record's (``held``: the
    credentials file's entries as the facts give them)."""
    return [key for key, slot in entries.items()
            if not (held.get(key) or {}).get('current')
            or held[key].get('user') != (users.get(slot) or {}).get('name')]


def rotated_slots(entries, users):
    """The slots of ``entries`` whose user got a new password in this run."""
    return [slot for slot in entries.values() if (users.get(slot) or {}).get('password_changed')]


def permissions_differ(current, mode, owner, group):
    """Whether an existing or missing file (its facts) lacks ``mode``, ``owner`` and ``group``; its content is not
    compared."""
    return dict(current, checksum=None) != dict(MISSING_FILE, exists=True, mode=mode, owner=owner, group=group)
