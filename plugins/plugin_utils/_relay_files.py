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

from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import MAILNAME, under

MISSING_FILE = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
# The mode of the MTAs' configuration files the role writes whole (not the credentials).
FILE_MODE = '0644'


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


def packages_to_install(settings, host, packages, mta=None, mta_package=None):
    """The ``packages`` the host lacks (the facts' ``packages``); none unless the role manages packages and the relay
    is present. ``mta_package`` counts as installed when the host has the program of ``mta`` (the facts' ``mtas``),
    whichever package brought it."""
    if not (settings['manage_packages'] and settings['state'] == 'present'):
        return []
    installed = host.get('packages') or {}
    has_mta = mta in (host.get('mtas') or [])
    return [package for package in packages if not (has_mta if package == mta_package else installed.get(package))]


def mailname_plan(settings, files, root):
    """/etc/mailname (the domain of locally posted mail for Postfix and exim4): smtp_relay_mailname when it is set and
    the relay present, else left as it is."""
    mailname = {'path': under(root, MAILNAME), 'mode': FILE_MODE, 'owner': settings['config_owner'],
                'group': settings['config_group'], 'content': None, 'write': False}
    if settings['state'] == 'present' and settings['mailname']:
        mailname['content'] = settings['mailname'] + '\n'
        mailname['write'] = file_differs(files.get(MAILNAME, MISSING_FILE), mailname['content'], FILE_MODE,
                                         settings['config_owner'], settings['config_group'])
    return mailname
