# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nullmailer side of the smtp_relay role for one host, decided on the controller (private: no compatibility
promise).

Pure: ``plan`` takes the role's settings (as _relay_input.check gives them, without problems, ``mta`` nullmailer),
what the host has now (relay_facts of sendclean_relay_facts) and the host's users after the SendClean step, and
returns what to install, write and run. nullmailer relays all mail as the host's own user (slot ``default``): one
line in /etc/nullmailer/remotes, which the host-side sendclean_relay_credentials module writes from the host's record.
"""

from ansible_collections.sendclean.mta.plugins.module_utils import _nullmailer_layout as layout
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_layout import PASSWD_CLIENT
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import DEFAULT_SLOT
from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_remotes import key_of
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import (
    MAILNAME, OS_FAMILIES, RECORD, SASL_PASSWD, map_files, under,
)
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_files import (
    FILE_MODE, MISSING_FILE, file_differs, packages_to_install, permissions_differ, rotated_slots, stale_entries,
)

TLS_PORT = 465
# What a host that leaves Postfix or exim4 for nullmailer keeps of them: the credentials files are removed, since the
# identity lives in the host's record and nullmailer's remotes now holds the password.
OTHER_MTA_CREDENTIALS = [SASL_PASSWD] + map_files() + [PASSWD_CLIENT]


def ca_file_of(settings):
    """The CA file nullmailer verifies the relay with: the role's, else the OS family's bundle."""
    return settings['tls_ca_file'] or OS_FAMILIES[settings['os_family']]['ca_bundle']


def remote_key(settings):
    """The relay's line in remotes without the credentials. Each option closes a trap of nullmailer's defaults:
    without --starttls (or --ssl) it sends AUTH in clear; without a CA file it verifies no certificate at all, and
    Debian's nullmailer does not pull ca-certificates, so the CA file is always named. --auth-login (which turns a
    refused login, 535, into a bounce) and --insecure are never written."""
    tls = '--ssl' if settings['port'] == TLS_PORT else '--starttls'
    return key_of([settings['host'], 'smtp', '--port=%d' % settings['port'], tls, '--x509cafile=' + ca_file_of(settings)])


def control_files(settings):
    """nullmailer's one-line files the role's variables set, as (path, value): an empty variable leaves the host's."""
    return [(path, value) for path, value in (
        (layout.ME, settings['myhostname']),
        (layout.DEFAULTDOMAIN, settings['mailname']),
        (MAILNAME, settings['mailname']),
        (layout.ADMINADDR, settings['admin_address']),
    ) if value]


def credentials_plan(settings, host, users, root):
    """remotes: present (the relay's line, whether the host's file differs) or absent (a decommissioned host)."""
    files = host.get('files') or {}
    current = files.get(layout.REMOTES, MISSING_FILE)
    plan = {'path': under(root, layout.REMOTES), 'record_path': under(root, RECORD), 'format': 'nullmailer_remotes',
            'owner': layout.REMOTES_OWNER, 'group': layout.REMOTES_GROUP, 'mode': layout.REMOTES_MODE}
    if settings['state'] != 'present':
        plan.update(state='absent', entries={}, rotated=[], write=current['exists'])
        return plan
    entries = {remote_key(settings): DEFAULT_SLOT}
    nullmailer = host.get('nullmailer') or {}
    held = nullmailer.get('remotes') or {}
    rotated = rotated_slots(entries, users)
    plan.update(state='present', entries=entries, rotated=rotated, write=bool(
        stale_entries(entries, held, users) or set(held) - set(entries) or nullmailer.get('remote_lines') != len(entries)
        or rotated or permissions_differ(current, layout.REMOTES_MODE, layout.REMOTES_OWNER, layout.REMOTES_GROUP)))
    return plan


def plan(settings, host, users, check_mode):
    """What to install, write and run on the host for nullmailer, as a dict (see the sendclean_relay_plan
    module's RETURN). In ``check_mode`` a nullmailer the run would install is not there to start."""
    root = settings['config_root'].rstrip('/')
    files = host.get('files') or {}
    nullmailer = host.get('nullmailer') or {}
    present = settings['state'] == 'present'
    installed = 'nullmailer' in (host.get('mtas') or [])
    owner, group = settings['config_owner'], settings['config_group']
    written = []
    for path, value in control_files(settings) if present else []:
        if file_differs(files.get(path, MISSING_FILE), value + '\n', FILE_MODE, owner, group):
            written.append({'path': under(root, path), 'content': value + '\n', 'mode': FILE_MODE, 'owner': owner,
                            'group': group})
    credentials = credentials_plan(settings, host, users, root)
    retired = [under(root, path) for path in OTHER_MTA_CREDENTIALS if files.get(path, MISSING_FILE)['exists']]
    packages = packages_to_install(settings, host, layout.PACKAGES, 'nullmailer', 'nullmailer')
    on_host = root == ''
    # Only on the host itself: in an image, the init script or systemd-tmpfiles makes it when the image boots.
    trigger = nullmailer.get('trigger', 'missing') if on_host and present else 'fifo'
    problems = []
    if trigger == 'other':
        problems.append('%s is not a FIFO, so nullmailer-send cannot be woken for new mail: remove it, and the role '
                        'makes the FIFO.' % under(root, layout.TRIGGER))
    if present and on_host and not installed and not settings['manage_packages']:
        problems.append('nullmailer is not installed and smtp_relay_manage_packages is false: install nullmailer and '
                        'ca-certificates, or let the role install them.')
    manage_service = bool(settings['manage_service']) and on_host
    running, enabled = nullmailer.get('running'), nullmailer.get('enabled')
    start_needed = manage_service and present and (installed or not check_mode) and not (running and enabled)
    # Decommissioned, remotes holds no relay: nullmailer-send would send without credentials (the relay's 530 is
    # permanent: a bounce) or exit. Stopped, it holds the mail in the queue, as Postfix's defer_transports does.
    stop_needed = manage_service and not present and installed and bool(running or enabled)
    changes = bool(written or credentials['write'] or retired)
    return {
        'steps_needed': bool(packages or problems or changes or start_needed or stop_needed or trigger == 'missing'),
        'problems': problems,
        'on_host': on_host,
        'replaces': settings['mta_replaces'],
        'packages': packages,
        'files': written,
        'credentials': credentials,
        'retired': retired,
        'trigger': {'path': under(root, layout.TRIGGER), 'create': trigger == 'missing',
                    'owner': layout.TRIGGER_OWNER, 'group': layout.TRIGGER_GROUP, 'mode': layout.TRIGGER_MODE},
        'ca_file': ca_file_of(settings) if present else None,
        'changes': changes,
        'service': layout.SERVICE,
        'start_needed': start_needed,
        'stop_needed': stop_needed,
        # A change is taken up by a restart (remotes is read at each queue run, but me and the trigger at start); a
        # nullmailer that this run starts reads the new files anyway.
        'restart_applies': manage_service and present and installed and bool(running),
    }
