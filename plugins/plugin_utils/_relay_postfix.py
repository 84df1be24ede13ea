# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Postfix side of the smtp_relay role for one host, decided on the controller (private: no compatibility
promise).

Pure: ``plan`` takes the role's settings (as _relay_input.check gives them, without problems), what the host has now
(the relay_facts of sendclean_relay_facts), the host's users after the SendClean step (smtp_relay_users) and whether
the run is in check mode, and returns what to write: main.cf (the whole file, or the keys that differ), /etc/mailname,
the credentials, and whether Postfix must be checked and restarted. Every file is compared with what the host has, so
a converged host has nothing to write.
"""

import re

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_layout import PASSWD_CLIENT
from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_layout import REMOTES
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import (
    CONFIG_DIR, MAIN_CF, MAP_SUFFIXES, MAP_TYPES, MASTER_CF, OS_FAMILIES, POSTCONF, POSTFIX, POSTMAP, POSTQUEUE,
    RECORD, SASL_PASSWD, SOFT_BOUNCE_KEY, UNCHECKED, map_files, under,
)
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_files import (
    FILE_MODE, MISSING_FILE, file_differs, mailname_plan, packages_to_install, permissions_differ, rotated_slots,
    stale_entries,
)

CREDENTIALS_MODE = '0600'
DEFAULT_SLOT = 'default'
# The compatibility level of a templated main.cf is the newest that changes a default: 3.6, on every Postfix since
# 3.6 (up to 3.10 no later level changes one, though Debian 13's main.cf.proto says 3.9), else 2.
COMPATIBILITY_LEVELS = (('3.6', '3.6'), ('0', '2'))
# Postfix 3.10 obeys a "TLS-Required: no" message header (RFC 8689) by dropping to TLS level may for that message:
# no certificate check, and no TLS at all when STARTTLS is missing, while still sending the SASL password. Any sender
# could thus expose the host's credentials; tls_required_enable = no keeps every message at the relay's level.
TLS_REQUIRED_SINCE = '3.10'
# The credentials files of the other MTAs the role configures, removed once Postfix relays.
OTHER_MTA_CREDENTIALS = (REMOTES, PASSWD_CLIENT)
# Where Postfix reads the credentials when it runs, whatever the configuration root the files are written under.
RUNTIME_SASL_PASSWD = under('/', SASL_PASSWD)


def version_at_least(version, minimum):
    """Whether Postfix ``version`` (``3.7.11``, ``3.10.1``, ``3.9-20240101``) is ``minimum`` or later."""
    def numbers(text):
        return [int(number) for number in re.match(r'[0-9.]*', text).group().split('.') if number]
    return numbers(version) >= numbers(minimum)


def relayhost(settings):
    """relayhost: the relay's host in brackets (no MX lookup) and its port."""
    return '[%s]:%d' % (settings['host'], settings['port'])


def map_type_of(settings, postfix, check_mode):
    """The credentials' map type: the role's, else Postfix's default, else (check mode, no Postfix yet) hash."""
    return settings['map_type'] or postfix.get('default_database_type') or ('hash' if check_mode else None)


def relay_settings(settings, postfix_version, map_type):
    """The relay settings, in both smtp_relay_main_cf modes, as {parameter: value}, in main.cf's order.

    A decommissioned host (state disabled) keeps them but has no credentials (and no SASL: Postfix's smtp client
    refuses to start with SASL on and no password table), and holds its outgoing mail in the queue instead of bouncing
    it. With senders of their own, Postfix looks their credentials up by the envelope sender (address, then @domain) in
    the same sasl_passwd, before the relay's line. Keys mode always sets smtp_sender_dependent_authentication, so that
    a main.cf whose senders are gone gets it back to no (and connection caching on).
    """
    present = settings['state'] == 'present'
    with_senders = present and bool(settings['senders'])
    values = {
        'relayhost': relayhost(settings),
        'smtp_sasl_auth_enable': 'yes' if present else 'no',
        'smtp_sasl_password_maps': '%s:%s' % (map_type or '', RUNTIME_SASL_PASSWD) if present else '',
        'smtp_sasl_security_options': 'noanonymous',
        'smtp_sasl_tls_security_options': 'noanonymous',
        SOFT_BOUNCE_KEY: 'yes',
        'smtp_tls_security_level': settings['tls_security_level'],
        'smtp_tls_CAfile': settings['tls_ca_file'] or OS_FAMILIES[settings['os_family']]['ca_bundle'],
        'smtp_tls_secure_cert_match': settings['tls_cert_match'] or 'nexthop, dot-nexthop',
        'smtp_tls_verify_cert_match': settings['tls_cert_match'] or 'hostname',
        'smtp_tls_wrappermode': 'yes' if settings['port'] == 465 else 'no',
        'smtp_tls_mandatory_protocols': '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1',
        'defer_transports': '' if present else 'smtp, relay',
        'soft_bounce': 'no' if present else 'yes',
    }
    if settings['mailname']:
        values['myorigin'] = settings['mailname']
    if settings['sender_address']:
        values['sender_canonical_maps'] = 'static:' + settings['sender_address']
    if version_at_least(postfix_version, TLS_REQUIRED_SINCE):
        values['tls_required_enable'] = 'no'
    if with_senders or settings['main_cf'] == 'keys':
        values['smtp_sender_dependent_authentication'] = 'yes' if with_senders else 'no'
    values.update(settings['main_cf_settings'])
    return values


def template_settings(settings, postfix_version, relay):
    """What a templated main.cf holds: a null client (no local delivery, listening on loopback only) unless
    smtp_relay_mydestination names local domains (a satellite), then the relay settings (which win)."""
    values = {'compatibility_level': settings['compatibility_level']
              or next(level for since, level in COMPATIBILITY_LEVELS if version_at_least(postfix_version, since))}
    if settings['myhostname']:
        values['myhostname'] = settings['myhostname']
    values.update(inet_interfaces=settings['inet_interfaces'], mydestination=settings['mydestination'])
    if not settings['mydestination']:
        values.update(local_transport='error:local delivery is disabled', alias_maps='', alias_database='')
    values.update(relay)
    return values


def main_cf_text(settings, values, managed):
    """The templated main.cf: a header that says what the file is, then one line per parameter."""
    lines = [
        '# %s' % managed,
        '#',
        '# Postfix %s written by the sendclean.mta.smtp_relay role: outgoing mail leaves only through'
        % ('satellite' if settings['mydestination'] else 'null client'),
        '# %s, over TLS (%s), authenticated as this host\'s own SendClean SMTP user.'
        % (relayhost(settings), settings['tls_security_level']),
        '# The credentials are in %s (mode 0600), never in this file.' % RUNTIME_SASL_PASSWD,
    ]
    if settings['state'] != 'present':
        lines.extend([
            '#',
            '# Decommissioned (smtp_relay_state=disabled): the SMTP user is disabled and the credentials are removed.',
            '# Outgoing mail is held in the queue (defer_transports, soft_bounce) instead of bouncing: see '
            '`postqueue -p`.',
        ])
    lines.append('')
    lines.extend('%s =%s' % (key, ' ' + value if value else '') for key, value in values.items())
    return '\n'.join(lines) + '\n'


def credential_entries(settings):
    """The lines of sasl_passwd as {lookup key: slot}: each sender's (by the envelope sender), then the relay's."""
    entries = dict((sender['sender'], sender['sender']) for sender in settings['senders'])
    entries[relayhost(settings)] = DEFAULT_SLOT
    return entries


def credentials_plan(settings, host, users, map_type, files, root):
    """The credentials file: present (its lines, whether any differs from what the host has) or absent."""
    plan = {'path': under(root, SASL_PASSWD), 'record_path': under(root, RECORD), 'owner': settings['config_owner'],
            'group': settings['config_group'], 'postmap': POSTMAP, 'map_type': map_type}
    if settings['state'] != 'present':
        every_map = map_files()
        plan.update(state='absent', entries={}, rotated=[], map_files=[under(root, path) for path in every_map],
                    write=any(files.get(path, MISSING_FILE)['exists'] for path in [SASL_PASSWD] + every_map))
        return plan
    entries = credential_entries(settings)
    held = host.get('credentials') or {}
    stale = stale_entries(entries, held, users)
    rotated = rotated_slots(entries, users)
    own_maps = map_files(map_type) if map_type in MAP_SUFFIXES else []
    file_as_wanted = not permissions_differ(files.get(SASL_PASSWD, MISSING_FILE), CREDENTIALS_MODE,
                                            settings['config_owner'], settings['config_group'])
    maps_there = all(files.get(path, MISSING_FILE)['exists'] for path in own_maps)
    plan.update(state='present', entries=entries, rotated=rotated, map_files=[under(root, path) for path in own_maps],
                write=bool(stale or set(held) - set(entries) or rotated or not file_as_wanted or not maps_there))
    return plan


def host_problems(settings, postfix, files, map_type, root, relay):
    """What keeps the host from taking the configuration, checked before any of its files is written. ``relay``: the
    settings the role gives the SMTP client (relay_settings)."""
    problems = []
    for override in postfix.get('client_overrides') or []:
        if override['name'] in relay and override['value'] != relay[override['name']]:
            problems.append('%s sets %s = %s with -o for its %s service, which wins over main.cf, where the role sets '
                            '%s = %s for the mail it relays: remove that -o.'
                            % (under(root, MASTER_CF), override['name'], override['value'], override['service'],
                               override['name'], relay[override['name']]))
    if map_type not in MAP_TYPES:
        problems.append('The map type of the credentials is %s: set smtp_relay_map_type to %s or %s, or install '
                        'Postfix so that postconf can tell its default.'
                        % (map_type or 'unknown', ', '.join(MAP_TYPES[:-1]), MAP_TYPES[-1]))
    if settings['main_cf'] == 'keys' and not (postfix.get('installed') and files.get(MAIN_CF, MISSING_FILE)['exists']):
        problems.append('smtp_relay_main_cf=keys sets the relay settings in an existing main.cf with postconf, but %s '
                        'is missing. Use smtp_relay_main_cf=template to have the role write main.cf.'
                        % (under(root, MAIN_CF) if postfix.get('installed') else POSTCONF))
    return problems


def plan(settings, host, users, check_mode):
    """What to write on the host, and what Postfix needs, as a dict (see the sendclean_relay_plan module's RETURN).

    ``settings``: the role's settings as _relay_input.check gives them, without problems. ``host``: relay_facts of
    sendclean_relay_facts. ``users``: {slot: {name, state, password_changed, ...}} after the SendClean step.
    main.cf's first line is ``settings['ansible_managed']`` (the play's), else ansible-core's default.
    """
    root = settings['config_root'].rstrip('/')
    postfix = host.get('postfix') or {}
    files = host.get('files') or {}
    present = settings['state'] == 'present'
    installed = bool(postfix.get('installed'))
    on_host = root == ''
    postfix_version = postfix.get('version') or '0'
    map_type = map_type_of(settings, postfix, check_mode)
    relay = relay_settings(settings, postfix_version, map_type)
    template = settings['main_cf'] == 'template'
    main_cf_exists = files.get(MAIN_CF, MISSING_FILE)['exists']

    main_cf = {'path': under(root, MAIN_CF), 'mode': FILE_MODE, 'owner': settings['config_owner'],
               'group': settings['config_group'], 'content': None, 'write': False}
    keys = []
    if template:
        main_cf['content'] = main_cf_text(settings, template_settings(settings, postfix_version, relay),
                                          settings.get('ansible_managed', 'Ansible managed'))
        main_cf['write'] = ((present or main_cf_exists)
                            and file_differs(files.get(MAIN_CF, MISSING_FILE), main_cf['content'], FILE_MODE,
                                             settings['config_owner'], settings['config_group']))
    elif installed and main_cf_exists:
        current = postfix.get('settings') or {}
        # Soft bounce is written even where Postfix's default is yes already: a package's default may change.
        explicit = postfix.get('explicit')
        implicit = [SOFT_BOUNCE_KEY] if explicit is not None and SOFT_BOUNCE_KEY not in explicit else []
        keys = [{'key': key, 'value': value} for key, value in relay.items()
                if current.get(key) != value or key in implicit]

    mailname = mailname_plan(settings, files, root)

    credentials = credentials_plan(settings, host, users, map_type, files, root)
    # The identity is the host's, not its MTA's: a host that leaves nullmailer keeps its user, and only the MTA that
    # relays keeps the password.
    retired = [under(root, path) for path in OTHER_MTA_CREDENTIALS if files.get(path, MISSING_FILE)['exists']]
    changes = bool(main_cf['write'] or keys or mailname['write'] or credentials['write'])
    checks_apply = on_host and installed and not check_mode
    wanted_interfaces = settings['main_cf_settings'].get('inet_interfaces',
                                                         settings['inet_interfaces'] if template else '')
    packages = packages_to_install(settings, host, OS_FAMILIES[settings['os_family']]['packages'])
    problems = host_problems(settings, postfix, files, map_type, root, relay) if present else []
    start_needed = bool(settings['manage_service'] and installed and not (postfix.get('running') and postfix.get('enabled')))
    checks_needed = checks_apply and (changes or files.get(UNCHECKED, MISSING_FILE)['exists']
                                      or (settings['manage_service'] and not postfix.get('running')))
    return {
        # A converged host has nothing to install, write, check or start: the role skips all those steps at once.
        'steps_needed': bool(packages or problems or changes or checks_needed or start_needed or retired),
        'problems': problems,
        'os_family': settings['os_family'],
        'on_host': on_host,
        'config_dir': under(root, CONFIG_DIR),
        'commands': {'postconf': POSTCONF, 'postfix': POSTFIX, 'postmap': POSTMAP, 'postqueue': POSTQUEUE},
        'packages': packages,
        'settings': relay,
        'main_cf': main_cf,
        'main_cf_keys': keys,
        'mailname': mailname,
        'credentials': credentials,
        'retired': retired,
        'changes': changes,
        'mark_unchecked': changes and checks_apply,
        # The checks read the host's real Postfix: only where the role writes to / and Postfix is installed.
        'checks_apply': checks_apply,
        'reload_applies': bool(settings['manage_service'] and installed),
        # After new credentials and the reload, the mail deferred meanwhile (the relay refused the old password) is
        # sent at once instead of after Postfix's retry back-off: only the host's own Postfix, never in check mode.
        'flush_applies': bool(present and settings['manage_service'] and checks_apply),
        'start_needed': start_needed,
        'unchecked_path': under(root, UNCHECKED),
        'checks_needed': checks_needed,
        'ca_file': relay['smtp_tls_CAfile'] if present else None,
        'restart_needed': bool(wanted_interfaces) and postfix.get('inet_interfaces') not in (None, wanted_interfaces),
    }
