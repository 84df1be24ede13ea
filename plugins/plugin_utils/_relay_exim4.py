# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The exim4 side of the smtp_relay role for one host, decided on the controller (private: no compatibility
promise).

Pure: ``plan`` takes the role's settings (as _relay_input.check gives them, without problems, ``mta`` exim4), what
the host has now (relay_facts of sendclean_relay_facts, with its ``exim4`` group) and the host's users after the
SendClean step, and returns what to install, write and run. exim4 relays all mail as the host's own user (slot
``default``); per-sender users are refused for exim4 by the input check until they are proved end to end.

The ``exim4`` facts this reads: ``split`` (dc_use_split_config), ``update_conf`` (the dc_* values of
update-exim4.conf.conf), ``macros`` (the lines of the role's block in the local macros file, None without one),
``transport_current`` (whether the smarthost transport has the role's options: _exim4_transport), ``foreign_options``
(those the host's transport sets itself), ``hand_config`` (an /etc/exim4/exim4.conf that exim reads instead),
``generated_stale`` (what update-exim4.conf built is older than the role's files), ``relay_canonical_name`` (the
relay's name as the host resolves it),
``passwd_client`` (each line's user and whether its password is the record's, never a password), ``running``,
``enabled``.
"""

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_layout as layout
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import DEFAULT_SLOT
from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_layout import REMOTES
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import OS_FAMILIES, RECORD, SASL_PASSWD, map_files, under
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_files import (
    MISSING_FILE, mailname_plan, packages_to_install, permissions_differ, rotated_slots, stale_entries,
)

TLS_PORT = 465
# What a host that moves to exim4 keeps of its former MTA: its credentials files go, the identity stays in the record.
FORMER_CREDENTIALS = [SASL_PASSWD] + map_files() + [REMOTES]


def macro_values(settings):
    """The role's macros, as [(name, value)]. REQUIRE_TLS: without it exim, failing to verify the relay's certificate
    or offered no STARTTLS, delivers in clear with no AUTH and the relay's 530 bounces the mail; with it the mail is
    deferred. VERIFY_CERTIFICATES replaces the system store, so it is set only for the role's own CA file. PROTOCOL:
    port 465 speaks TLS from the start. MAIN_HARDCODE_PRIMARY_HOSTNAME: smtp_relay_myhostname, exim's
    primary_hostname (the name it greets the relay with)."""
    values = [('REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS', '*')]
    if settings['tls_ca_file']:
        values.append(('REMOTE_SMTP_SMARTHOST_TLS_VERIFY_CERTIFICATES', settings['tls_ca_file']))
    if settings['port'] == TLS_PORT:
        values.append(('REMOTE_SMTP_SMARTHOST_PROTOCOL', 'smtps'))
    if settings['myhostname']:
        values.append(('MAIN_HARDCODE_PRIMARY_HOSTNAME', settings['myhostname']))
    return values


def macro_lines(settings):
    """The lines of the role's block. exim refuses a second plain definition of a macro ("already defined"), so a
    host that defines one of these itself before the block (its own line in the same file, as a hand-configured host
    has REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS) would make update-exim4.conf fail on every run; ``==`` alone cannot
    define an undefined macro. Each macro is therefore redefined (``==``) when defined and defined (``=``) when not:
    the role's value wins either way (measured on Debian 12, exim 4.96: rc 0, -bP shows the role's value)."""
    lines = []
    for name, value in macro_values(settings):
        lines += ['.ifdef %s' % name, '%s == %s' % (name, value), '.else', '%s = %s' % (name, value), '.endif']
    return lines


def update_conf_keys(settings, current):
    """The dc_* values of update-exim4.conf.conf to set, as [{key, value}]: the relay as the smarthost, and a config
    type that sends through it. A host that delivers locally (smarthost, local, internet) keeps local delivery as
    "smarthost"; a satellite stays one."""
    configtype = current.get('dc_eximconfig_configtype')
    wanted = {'dc_eximconfig_configtype': configtype if configtype in layout.SMARTHOST_TYPES else 'smarthost',
              'dc_smarthost': '%s::%d' % (settings['host'], settings['port'])}
    return [{'key': key, 'value': value} for key, value in sorted(wanted.items()) if current.get(key) != value]


def credentials_plan(settings, host, users, root):
    """passwd.client: present (a line for the relay's configured name and, when the host resolves it to another
    name, for that canonical name, which is the one exim looks up) or absent (a decommissioned host)."""
    files = host.get('files') or {}
    exim4 = host.get('exim4') or {}
    current = files.get(layout.PASSWD_CLIENT, MISSING_FILE)
    plan = {'path': under(root, layout.PASSWD_CLIENT), 'record_path': under(root, RECORD),
            'format': 'exim4_passwd_client', 'owner': layout.PASSWD_CLIENT_OWNER, 'group': layout.PASSWD_CLIENT_GROUP,
            'mode': layout.PASSWD_CLIENT_MODE}
    if settings['state'] != 'present':
        plan.update(state='absent', entries={}, rotated=[], write=bool(exim4.get('passwd_client')))
        return plan
    names = [settings['host'], exim4.get('relay_canonical_name') or settings['host']]
    entries = dict((name, DEFAULT_SLOT) for name in names)
    held = exim4.get('passwd_client') or {}
    rotated = rotated_slots(entries, users)
    plan.update(state='present', entries=entries, rotated=rotated, write=bool(
        stale_entries(entries, held, users) or set(held) - set(entries) or rotated
        or permissions_differ(current, layout.PASSWD_CLIENT_MODE, layout.PASSWD_CLIENT_OWNER,
                              layout.PASSWD_CLIENT_GROUP)))
    return plan


def plan(settings, host, users, check_mode):
    """What to install, write and run on the host for exim4, as a dict."""
    root = settings['config_root'].rstrip('/')
    files = host.get('files') or {}
    exim4 = host.get('exim4') or {}
    present = settings['state'] == 'present'
    installed = 'exim4' in (host.get('mtas') or [])
    split = bool(exim4.get('split'))
    on_host = root == ''

    keys = update_conf_keys(settings, exim4.get('update_conf') or {}) if present else []
    wanted_macros = macro_lines(settings) if present else None
    owner, group = settings['config_owner'], settings['config_group']
    macros = {'path': under(root, layout.LOCALMACROS[split]), 'lines': wanted_macros or [],
              'marker': layout.MACROS_MARKER, 'owner': owner, 'group': group, 'mode': layout.CONFIG_MODE,
              'state': 'present' if present else 'absent', 'write': (exim4.get('macros') or None) != wanted_macros}
    # Decommissioned, the transport keeps the role's options: without credentials exim defers at AUTH, so the mail
    # stays queued instead of going out unauthenticated into a permanent 530.
    transport = {'path': under(root, layout.TRANSPORT_RUL if split else layout.TEMPLATE),
                 'source': under(root, layout.TRANSPORT_FILE if split else layout.TEMPLATE),
                 'owner': owner, 'group': group, 'mode': layout.CONFIG_MODE,
                 'write': installed and not exim4.get('transport_current')}
    # update-exim4.conf takes /etc/mailname into the configuration it builds (exim's qualify_domain).
    mailname = mailname_plan(settings, files, root)
    credentials = credentials_plan(settings, host, users, root)
    retired = [under(root, path) for path in FORMER_CREDENTIALS if files.get(path, MISSING_FILE)['exists']]

    packages = packages_to_install(settings, host, layout.PACKAGES, 'exim4', 'exim4-daemon-light')
    problems = []
    if exim4.get('foreign_options'):
        problems.append('The remote_smtp_smarthost transport of %s already sets %s, which the role sets to * (a '
                        'refused login defers the mail; no authenticated TLS connection is handed on): remove the '
                        'host\'s own setting.' % (transport['source'], ', '.join(exim4['foreign_options'])))
    if exim4.get('hand_config'):
        problems.append('%s exists: exim reads it instead of the configuration update-exim4.conf builds, so nothing the '
                        'role writes would reach exim. Move it away to use Debian\'s configuration, or use '
                        'smtp_relay_mta=postfix.' % under(root, layout.HAND_CONFIG))
    if present and on_host and not installed and not settings['manage_packages']:
        problems.append('exim4 is not installed and smtp_relay_manage_packages is false: install exim4-daemon-light '
                        'and ca-certificates, or let the role install them.')

    config_changes = bool(keys or macros['write'] or transport['write'] or mailname['write'])
    changes = bool(config_changes or credentials['write'] or retired)
    manage_service = bool(settings['manage_service']) and on_host
    running, enabled = exim4.get('running'), exim4.get('enabled')
    # update-exim4.conf builds the configuration exim reads from these files; rc 1 (an invalid result) keeps the old
    # one and fails the host before any reload. A run that failed there leaves the files written and the build older
    # than them (generated_stale): the next run builds again instead of finding the files converged.
    update_needed = bool(on_host and installed and not check_mode and (config_changes or exim4.get('generated_stale')))
    return {
        'steps_needed': bool(packages or problems or changes or update_needed
                             or (manage_service and installed and not (running and enabled))),
        'problems': problems,
        'on_host': on_host,
        'replaces': settings['mta_replaces'],
        'packages': packages,
        # The files exist once exim4 is: in check mode on a host without it, only the install is reported.
        'configure': installed or not on_host,
        'update_conf': {'path': under(root, layout.UPDATE_CONF), 'settings': keys},
        'macros': macros,
        'mailname': mailname,
        'transport': transport,
        'credentials': credentials,
        'retired': retired,
        'ca_file': (settings['tls_ca_file'] or OS_FAMILIES[settings['os_family']]['ca_bundle']) if present else None,
        'changes': changes,
        # passwd.client is read at each delivery: no rebuild for it.
        'update_needed': update_needed,
        'service': layout.SERVICE,
        'start_needed': manage_service and installed and not (running and enabled),
        'reload_applies': manage_service and installed and bool(running),
        # After new credentials, mail deferred while the relay refused the old password leaves at once (exim4 -qff)
        # instead of after exim's retry time.
        'flush_applies': manage_service and present and installed and not check_mode,
        'commands': {'update_exim4_conf': layout.UPDATE_EXIM4_CONF, 'exim': layout.EXIM},
    }
