# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The smtp_relay role's variables, read and checked in one place (private: no compatibility promise).

``read`` takes every role variable from a task's variables, templated (the role's defaults are Jinja); ``check``
normalizes them (whole numbers, booleans, lists, None for an optional value left empty) and lists what is wrong,
each message naming the variable, the wrong value and the fix. The role's actions check before any request to
SendClean and before anything is written on the host.

A per-sender option is one entry of SENDER_OPTIONS: its name and the function that normalizes it. What an MTA
backend cannot do is one function of BACKEND_RULES, so that it is refused here too.
"""

import json
import re

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sendclean.mta.plugins.module_utils._mtas import MTAS
from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_remotes import unsafe as unsafe_in_remotes
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import MAP_TYPES, OS_FAMILIES, SOFT_BOUNCE_KEY

PREFIX = 'smtp_relay_'
# Every variable of the role, without PREFIX (meta/argument_specs.yml documents each).
NAMES = (
    'state', 'mta', 'smtp_user_name', 'user_key', 'registry', 'recreate_missing', 'total_limit', 'hourly_limit',
    'new_user_total_limit', 'new_user_hourly_limit', 'disable_unclaimed', 'rotate_password', 'rotate_after_days',
    'senders',
    'owner_id', 'token', 'app_domain', 'api_url',
    'host', 'port', 'tls_security_level', 'tls_ca_file', 'tls_cert_match',
    'main_cf', 'main_cf_settings', 'map_type', 'sender_address', 'mailname', 'myhostname', 'mydestination',
    'inet_interfaces', 'compatibility_level', 'admin_address',
    'manage_packages', 'manage_service', 'config_root', 'config_owner', 'config_group',
)
# Never shown, not even when wrong.
SECRETS = ('token',)

STATES = ('present', 'disabled')
MTA_CHOICES = ('auto',) + MTAS
# What auto picks on a host without an MTA.
DEFAULT_MTA = 'postfix'
MAIN_CF_MODES = ('template', 'keys')
TLS_SECURITY_LEVELS = ('secure', 'verify', 'encrypt')
# A sender: an address or @domain, as sasl_passwd can take it as a key (no blank, no ':', not a '#' comment).
SENDER_PATTERN = re.compile(r'^([^#@\s:][^@\s:]*)?@[^@\s:]+\.[^@\s:]+$')
ADDRESS_PATTERN = re.compile(r'^[^#@\s:][^@\s:]*@[^@\s:]+\.[^@\s:]+$')
# A host name or an IPv4 address, as relayhost = [host]:port takes it.
HOST_PATTERN = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$')
PARAMETER_PATTERN = re.compile(r'^[A-Za-z0-9_]+$')


def variable(name):
    """The role variable of ``name``."""
    return PREFIX + name


def read(task_vars, templar):
    """{name: value} of every role variable (name without PREFIX), templated with ``task_vars``; None for a variable
    the task does not have (outside the role)."""
    templar = templar.copy_with_new_env(available_variables=task_vars)
    values = {}
    for name in NAMES:
        try:
            values[name] = templar.template(task_vars[variable(name)]) if variable(name) in task_vars else None
        except AnsibleError as exc:
            why = '' if name in SECRETS else ': %s' % exc.message
            raise AnsibleError('%s cannot be templated%s' % (variable(name), why))
    return values


def os_family_of(task_vars, host):
    """The host's OS family: from its gathered facts, else as sendclean_relay_facts read it (``host`` is its
    relay_facts)."""
    return (task_vars.get('ansible_facts') or {}).get('os_family') or (host or {}).get('os_family')


def installed_mtas_of(host):
    """The MTAs the host has, as sendclean_relay_facts read them (``host`` is its relay_facts)."""
    return (host or {}).get('mtas') or []


def shown(value):
    """A value as the message shows it: as JSON, the way an inventory or -e writes it."""
    return json.dumps(value, default=str, sort_keys=True)


class Problems(list):
    """The messages of what is wrong, in the order found."""

    def wrong(self, name, value, rule, fix=None):
        self.append('%s %s, not %s%s' % (name, rule, '(hidden)' if name in map(variable, SECRETS) else shown(value),
                                         ': %s.' % fix if fix else '.'))


def _whole_number(problems, name, value, minimum, maximum=None, optional=False, fix=None):
    """An int from an int or a string of digits (as -e gives it); None when optional and unset or empty."""
    if optional and value in (None, ''):
        return None
    if isinstance(value, str) and re.match(r'^\s*[0-9]+\s*$', value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        rule = ('must be a whole number of at least %d' % minimum if maximum is None
                else 'must be a whole number from %d to %d' % (minimum, maximum))
        problems.wrong(name, value, rule, fix)
        return None
    return number


def _limit(problems, name, value, optional):
    fix = ('set the number of messages, or leave it unset (an existing user keeps its limit, a new one gets '
           'the new-user limit)' if optional else 'set the number of messages a new user may send')
    return _whole_number(problems, name, value, 1, optional=optional, fix=fix)


def _flag(problems, name, value, default=None):
    """A bool from what Ansible takes as one (true/false, yes/no, 1/0); ``default`` for an unset option."""
    if value is None and default is not None:
        return default
    try:
        return boolean(value, strict=True)
    except TypeError:
        problems.wrong(name, value, 'must be true or false')
        return None


def _choice(problems, name, value, choices, fix=None):
    if value in choices:
        return value
    problems.wrong(name, value, 'must be %s or %s' % (', '.join(choices[:-1]), choices[-1]), fix)
    return None


def _text(problems, name, value, optional=False, one_line=False):
    """A string (a number is taken as its text); with ``optional``, None when unset or empty."""
    if value is None:
        value = ''
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.wrong(name, value, 'must be a string')
        return None
    if one_line and '\n' in value:
        problems.wrong(name, value, 'must be one line (it is written in main.cf)')
        return None
    return None if optional and value == '' else value


# --- the options of a sender of smtp_relay_senders: name -> function(problems, name, value) ---

def _sender_address(problems, name, value):
    if isinstance(value, str) and SENDER_PATTERN.match(value):
        return value
    problems.wrong(name, value, 'must be an address (orders@shop.example) or a whole domain (@news.example)')
    return None


def _sender_limit(problems, name, value):
    return _limit(problems, name, value, optional=True)


def _sender_rotation(problems, name, value):
    return _flag(problems, name, value, default=False)


def _rotation_age(problems, name, value):
    return _whole_number(problems, name, value, 1, optional=True,
                         fix='set the number of days a password may be used, for example 90, or leave it unset '
                             '(never rotated by age)')


SENDER_OPTIONS = (
    ('sender', _sender_address),
    ('total_limit', _sender_limit),
    ('hourly_limit', _sender_limit),
    ('rotate_password', _sender_rotation),
    ('rotate_after_days', _rotation_age),
)


def _senders(problems, value):
    """The senders as a list of dicts with every option of SENDER_OPTIONS, normalized."""
    name = variable('senders')
    if value in (None, ''):
        return []
    if not isinstance(value, list):
        problems.wrong(name, value, 'must be a list of senders, each a dict with sender and optionally %s'
                       % ', '.join(option for option, dummy in SENDER_OPTIONS[1:]))
        return []
    senders, seen = [], set()
    for index, entry in enumerate(value):
        where = '%s[%d]' % (name, index)
        if not isinstance(entry, dict) or not entry.get('sender'):
            problems.wrong(where, entry, 'must be a dict with at least sender',
                           'for example {"sender": "orders@shop.example", "hourly_limit": 200}')
            continue
        unknown = sorted(set(entry) - set(option for option, dummy in SENDER_OPTIONS))
        if unknown:
            problems.append('%s (sender %s) has the unknown option(s) %s: the options are %s.'
                            % (where, entry['sender'], ', '.join(map(str, unknown)),
                               ', '.join(option for option, dummy in SENDER_OPTIONS)))
        sender = dict((option, normalize(problems, '%s.%s' % (where, option), entry.get(option)))
                      for option, normalize in SENDER_OPTIONS)
        if sender['sender'] is not None and sender['sender'] in seen:
            problems.append('%s lists the sender %s more than once: list each once, with its limits.'
                            % (name, sender['sender']))
        seen.add(sender['sender'])
        senders.append(sender)
    return senders


def _host(problems, value):
    name = variable('host')
    host = _text(problems, name, value)
    if host == '':
        problems.append('%s is empty: set it, or smtp_relay_app_domain, whose value it defaults to (or, when '
                        'smtp_relay_api_url is empty too, the SENDCLEAN_APP_DOMAIN environment variable on the '
                        'controller).' % name)
        return None
    if host is not None and not HOST_PATTERN.match(host):
        problems.wrong(name, host, 'must be the host name (or IPv4 address) of the relay',
                       'write the host alone, for example us1-mta1.sendclean.net, and the port in smtp_relay_port')
        return None
    return host


def _cert_match(problems, value):
    """The names as Postfix takes them: one comma-separated string (a string is taken as it is); None when empty."""
    name = variable('tls_cert_match')
    if value in (None, '', []):
        return None
    if isinstance(value, str) and '\n' not in value:
        return value
    if isinstance(value, list) and value and all(isinstance(item, str) and item and ',' not in item and '\n' not in item
                                                 for item in value):
        return ', '.join(value)
    problems.wrong(name, value, 'must be a list of names (or one comma-separated string)',
                   'for example ["relay.example.net", ".example.net"]')
    return None


def _main_cf_settings(problems, value):
    """The extra main.cf settings, each value as the text Postfix reads."""
    name = variable('main_cf_settings')
    if value in (None, ''):
        return {}
    if not isinstance(value, dict):
        problems.wrong(name, value, 'must be a dict of main.cf parameters and their values',
                       'for example {"maillog_file": "/var/log/postfix.log"}')
        return {}
    settings = {}
    for key, setting in value.items():
        if not isinstance(key, str) or not PARAMETER_PATTERN.match(key):
            problems.append('%s has %s, which is no main.cf parameter name (letters, digits and underscores).'
                            % (name, shown(key)))
        elif isinstance(setting, bool) or not isinstance(setting, (str, int, float)):
            problems.append('%s takes values as Postfix writes them: strings (or numbers), not %s for %s. Write '
                            'booleans as "yes"/"no" and lists as one comma-separated string.'
                            % (name, shown(setting), key))
        elif '\n' in str(setting):
            problems.wrong('%s.%s' % (name, key), setting, 'must be one line (it is written in main.cf)')
        elif key == SOFT_BOUNCE_KEY and str(setting).strip().lower() != 'yes':
            problems.append('%s sets %s to "%s", but the role keeps it yes: a relay that refuses the host\'s login (535, '
                            'as right after a password rotation, until Postfix has reloaded the new password) must '
                            'defer the mail, not bounce it. Remove %s from %s.' % (name, key, setting, key, name))
        else:
            settings[key] = str(setting)
    return settings


def _mta(problems, value, installed):
    """The MTA the role relays through for smtp_relay_mta ``value`` on a host that has the MTAs ``installed``, and
    those of them it replaces: ``(mta, replaced)``; (None, []) when it cannot tell."""
    choice = _choice(problems, variable('mta'), value, MTA_CHOICES)
    if choice != 'auto':
        return choice, [other for other in installed if other != choice] if choice else []
    if len(installed) > 1:
        problems.append('smtp_relay_mta is auto, but this host has several MTAs (%s): set smtp_relay_mta to the one that '
                        'is to send its mail.' % ', '.join(installed))
        return None, []
    return (installed or [DEFAULT_MTA])[0], []


# --- what an MTA backend cannot do, refused before any request: name -> function(problems, settings, mta_of);
# Postfix does all the role offers ---

def _exim4_rules(problems, settings, mta_of):
    """exim4 is configured through Debian's exim4-config (update-exim4.conf.conf, macros, the smarthost transport),
    relays all mail as one user until per-sender credentials are proved end to end, always verifies the relay's
    certificate against the name it connects to, and expands the CA file's path where the macro puts it."""
    if settings['os_family'] != 'Debian':
        problems.append('exim4 (%s) is supported on the Debian OS family only (its configuration is Debian\'s '
                        'exim4-config), not %s: use smtp_relay_mta=postfix.' % (mta_of, settings['os_family']))
    if settings['senders']:
        problems.append('smtp_relay_senders is refused with exim4 (%s): the role relays all mail of an exim4 host as one '
                        'user (exim hands an open, authenticated connection on to other senders\' mail). Use '
                        'smtp_relay_mta=postfix, which relays each sender as its own user, or remove smtp_relay_senders.'
                        % mta_of)
    if settings['sender_address']:
        problems.append('smtp_relay_sender_address is not supported with exim4 (%s): use smtp_relay_mta=postfix, or '
                        'leave it empty.' % mta_of)
    if settings['tls_security_level'] == 'encrypt':
        problems.append('smtp_relay_tls_security_level encrypt is refused with exim4 (%s): the role has exim verify the '
                        'relay\'s certificate, and send no password to a relay it cannot verify. Use secure or verify, '
                        'or smtp_relay_mta=postfix.' % mta_of)
    if settings['tls_cert_match']:
        problems.append('smtp_relay_tls_cert_match is refused with exim4 (%s): exim checks the certificate against '
                        'smtp_relay_host alone. Leave it empty, or use smtp_relay_mta=postfix.' % mta_of)
    if settings['tls_ca_file'] and re.search(r'[$\\]', settings['tls_ca_file']):
        problems.append('smtp_relay_tls_ca_file cannot be used with exim4 (%s): %s holds a "$" or a backslash, which '
                        'exim would expand in tls_verify_certificates. Move the CA file to a path without them.'
                        % (mta_of, shown(settings['tls_ca_file'])))
    # exim's primary_hostname comes from a macro, which exim expands: a host name only.
    if settings['myhostname'] and not HOST_PATTERN.match(settings['myhostname']):
        problems.append('smtp_relay_myhostname must be a host name with exim4 (%s), not %s: letters, digits, "-" and '
                        '".", for example mail1.example.com, or leave it empty.'
                        % (mta_of, shown(settings['myhostname'])))


def _nullmailer_rules(problems, settings, mta_of):
    """nullmailer has one relay identity for all mail, checks the certificate against the relay's name only, and
    Debian's package rewrites its remotes file, where the CA file is named, splitting it at every ':'."""
    if settings['os_family'] != 'Debian':
        problems.append('nullmailer (%s) is supported on the Debian OS family only, not %s: use smtp_relay_mta=postfix.'
                        % (mta_of, settings['os_family']))
    if settings['senders']:
        problems.append('smtp_relay_senders is refused with nullmailer (%s): nullmailer relays all mail of the host as '
                        'one user. Use smtp_relay_mta=postfix, which relays each sender as its own user, or remove '
                        'smtp_relay_senders.' % mta_of)
    if settings['sender_address']:
        problems.append('smtp_relay_sender_address is not supported with nullmailer (%s): use smtp_relay_mta=postfix, or '
                        'leave it empty.' % mta_of)
    if settings['tls_security_level'] == 'encrypt':
        problems.append('smtp_relay_tls_security_level encrypt is refused with nullmailer (%s): nullmailer skips the '
                        'certificate check only with --insecure, which the role never writes. Use secure or verify.'
                        % mta_of)
    if settings['tls_cert_match']:
        problems.append('smtp_relay_tls_cert_match is refused with nullmailer (%s): nullmailer checks the certificate '
                        'against smtp_relay_host alone. Leave it empty, or use smtp_relay_mta=postfix.' % mta_of)
    why = settings['tls_ca_file'] and unsafe_in_remotes(settings['tls_ca_file'])
    if why:
        problems.append('smtp_relay_tls_ca_file cannot be used with nullmailer (%s): %s holds a ":", a blank or a '
                        'backslash, %s. Move the CA file to a path without them.'
                        % (mta_of, shown(settings['tls_ca_file']), why))


BACKEND_RULES = {'exim4': _exim4_rules, 'nullmailer': _nullmailer_rules}


def check(raw, os_family, installed_mtas=()):
    """``raw`` ({name: value}, as ``read`` gives it) normalized, and what is wrong with it, on a host of ``os_family``
    that has the MTAs ``installed_mtas`` (the facts' ``mtas``).

    Returns ``(settings, problems)``: settings by name (without PREFIX), plus ``os_family`` and ``mta_replaces`` (the
    installed MTAs that installing the chosen one replaces: none when the role installs nothing on the host), ``mta``
    being the chosen MTA; problems a list of messages (empty: the
    input is fine). A wrong value is None in settings.
    """
    problems = Problems()
    settings = {'os_family': os_family}
    if os_family not in OS_FAMILIES:
        problems.append('The smtp_relay role supports the Debian (Debian, Ubuntu) and RedHat (EL, Fedora) OS '
                        'families, not %s.' % os_family)

    def text(name, optional=False, one_line=False):
        return _text(problems, variable(name), raw.get(name), optional, one_line)

    def flag(name):
        return _flag(problems, variable(name), raw.get(name))

    def limit(name, optional):
        return _limit(problems, variable(name), raw.get(name), optional)

    settings['state'] = _choice(problems, variable('state'), raw.get('state'), STATES)
    settings['smtp_user_name'] = text('smtp_user_name', optional=True)
    settings['user_key'] = text('user_key')
    if settings['user_key'] == '' and not settings['smtp_user_name']:
        problems.append('%s is empty: set the key of this host\'s user in the registry (the default is the inventory '
                        'hostname), or pin a user with smtp_relay_smtp_user_name.' % variable('user_key'))
    settings['registry'] = text('registry', optional=True)
    for name in ('recreate_missing', 'disable_unclaimed', 'rotate_password', 'manage_packages', 'manage_service'):
        settings[name] = flag(name)
    for name in ('total_limit', 'hourly_limit'):
        settings[name] = limit(name, optional=True)
    for name in ('new_user_total_limit', 'new_user_hourly_limit'):
        settings[name] = limit(name, optional=False)
    settings['rotate_after_days'] = _rotation_age(problems, variable('rotate_after_days'), raw.get('rotate_after_days'))
    settings['senders'] = _senders(problems, raw.get('senders'))
    for name in ('owner_id', 'token', 'app_domain', 'api_url'):
        settings[name] = text(name, optional=True)

    settings['host'] = _host(problems, raw.get('host'))
    settings['port'] = _whole_number(problems, variable('port'), raw.get('port'), 1, 65535,
                                     fix='587 for STARTTLS (the default), 465 for TLS from the first byte')
    settings['tls_security_level'] = _choice(problems, variable('tls_security_level'), raw.get('tls_security_level'),
                                             TLS_SECURITY_LEVELS,
                                             'levels that may send the password in clear are not offered')
    settings['tls_ca_file'] = text('tls_ca_file', optional=True, one_line=True)
    settings['tls_cert_match'] = _cert_match(problems, raw.get('tls_cert_match'))

    settings['main_cf'] = _choice(problems, variable('main_cf'), raw.get('main_cf'), MAIN_CF_MODES)
    settings['main_cf_settings'] = _main_cf_settings(problems, raw.get('main_cf_settings'))
    settings['map_type'] = text('map_type', optional=True)
    if settings['map_type'] is not None and settings['map_type'] not in MAP_TYPES:
        problems.wrong(variable('map_type'), settings['map_type'],
                       'must be empty (Postfix\'s default) or one of %s' % ', '.join(MAP_TYPES))
        settings['map_type'] = None
    settings['sender_address'] = text('sender_address', optional=True)
    if settings['sender_address'] is not None and not ADDRESS_PATTERN.match(settings['sender_address']):
        problems.wrong(variable('sender_address'), settings['sender_address'],
                       'must be an address (local@domain) that every sender is rewritten to',
                       'for example noreply@example.com, or leave it empty')
        settings['sender_address'] = None
    if settings['sender_address'] and settings['senders']:
        problems.append('smtp_relay_sender_address rewrites every envelope sender to %s, so the senders of '
                        'smtp_relay_senders would never match: unset one of the two.' % settings['sender_address'])
    for name in ('mailname', 'myhostname', 'compatibility_level'):
        settings[name] = text(name, optional=True, one_line=True)
    for name in ('mydestination', 'inet_interfaces'):
        settings[name] = text(name, one_line=True)
    settings['admin_address'] = text('admin_address', optional=True)
    if settings['admin_address'] is not None and not ADDRESS_PATTERN.match(settings['admin_address']):
        problems.wrong(variable('admin_address'), settings['admin_address'], 'must be an address (local@domain)',
                       'for example postmaster@example.com, or leave it empty')
        settings['admin_address'] = None

    settings['config_root'] = text('config_root') or '/'
    if not settings['config_root'].startswith('/'):
        problems.wrong(variable('config_root'), settings['config_root'],
                       'must be an absolute path', '/ or the tree the files are written under')
    for name in ('config_owner', 'config_group'):
        settings[name] = text(name)
        if settings[name] == '':
            problems.append('%s is empty: set the %s of the written files (root by default).'
                            % (variable(name), name.split('_')[1]))

    settings['mta'], settings['mta_replaces'] = _mta(problems, raw.get('mta'), list(installed_mtas))
    if not settings['manage_packages'] or settings['config_root'] != '/':
        settings['mta_replaces'] = []  # the role installs nothing that would remove the host's MTA
    if settings['mta'] in BACKEND_RULES:
        BACKEND_RULES[settings['mta']](problems, settings, 'smtp_relay_mta=%s' % raw.get('mta'))
    return settings, list(problems)
