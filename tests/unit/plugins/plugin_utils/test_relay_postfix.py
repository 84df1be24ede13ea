# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Postfix plan of one host. The expected settings and main.cf texts are those the role's Jinja
(vars/main.yml and templates/main.cf.j2 of 0.3) gives for the same input."""

import hashlib

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import (
    MAIN_CF, MAILNAME, RELAY_KEYS, SASL_PASSWD, UNCHECKED, map_files,
)
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_postfix import (
    plan, template_settings, version_at_least,
)

RELAY = '[us1-mta1.sendclean.net]:587'
SENDERS = [{'sender': 'orders@shop.example', 'total_limit': None, 'hourly_limit': 200, 'rotate_password': False},
           {'sender': '@news.example', 'total_limit': 50000, 'hourly_limit': None, 'rotate_password': False}]
MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}


def settings(**overrides):
    """The role's settings as _relay_input.check gives them for the defaults, on Debian."""
    values = {
        'os_family': 'Debian', 'state': 'present', 'smtp_user_name': None, 'user_key': 'web1',
        'registry': '/srv/inventory/sendclean-registry.json', 'recreate_missing': False, 'disable_unclaimed': False,
        'rotate_password': False, 'manage_packages': True, 'manage_service': True, 'total_limit': None,
        'hourly_limit': None, 'new_user_total_limit': 10000, 'new_user_hourly_limit': 500, 'senders': [],
        'owner_id': None, 'token': None, 'app_domain': 'us1-mta1.sendclean.net', 'api_url': None,
        'host': 'us1-mta1.sendclean.net', 'port': 587, 'tls_security_level': 'secure', 'tls_ca_file': None,
        'tls_cert_match': None, 'main_cf': 'template', 'main_cf_settings': {}, 'map_type': None,
        'sender_address': None, 'mailname': None, 'myhostname': None, 'mydestination': '',
        'inet_interfaces': 'loopback-only', 'compatibility_level': None, 'config_root': '/',
        'config_owner': 'root', 'config_group': 'root'}
    values.update(overrides)
    return values


def postfix(version='3.7.11', **overrides):
    """Postfix as the facts report it: installed, running, with a main.cf that has ``settings``."""
    values = {'installed': True, 'version': version, 'default_database_type': 'hash', 'inet_interfaces': 'loopback-only',
              'running': True, 'enabled': True, 'settings': {}}
    values.update(overrides)
    return values


def host(files=None, credentials=None, packages=None, **postfix_values):
    """relay_facts of a host: Postfix, its files (missing unless given), its credentials' entries, its packages."""
    every_file = dict((path, MISSING) for path in [MAIN_CF, SASL_PASSWD, MAILNAME, UNCHECKED] + map_files())
    every_file.update(files or {})
    return {'postfix': postfix(**postfix_values), 'files': every_file, 'credentials': credentials or {},
            'packages': packages if packages is not None else {'postfix': True, 'libsasl2-modules': True,
                                                               'ca-certificates': True}}


def users(*senders, **options):
    """The users after the SendClean step: the default slot's and each sender's; those of ``rotated`` got a new
    password."""
    result = {'default': {'name': 'smtp10000001', 'state': 'present', 'password_changed': False, 'changes': []}}
    for index, sender in enumerate(senders):
        result[sender] = {'name': 'smtp2000000%d' % index, 'state': 'present', 'password_changed': False, 'changes': []}
    for slot in options.get('rotated', ()):
        result[slot].update(password_changed=True, changes=['password rotated'])
    return result


def written(content, mode, owner='root', group='root'):
    """The facts of a file the role wrote."""
    return {'exists': True, 'checksum': hashlib.sha1(content.encode('utf-8')).hexdigest(), 'mode': mode,
            'owner': owner, 'group': group}


def converged(planned, the_users, **postfix_values):
    """The facts of a host after the plan was applied, with Postfix as given."""
    files = {MAIN_CF: written(planned['main_cf']['content'], '0644')} if planned['main_cf']['content'] else {}
    if planned['mailname']['content']:
        files[MAILNAME] = written(planned['mailname']['content'], '0644')
    credentials = {}
    if planned['credentials']['state'] == 'present':
        files[SASL_PASSWD] = written('anything', '0600')
        files.update((path[1:], written('map', '0600')) for path in planned['credentials']['map_files'])
        credentials = dict((key, {'user': the_users[slot]['name'], 'current': True})
                           for key, slot in planned['credentials']['entries'].items())
    return host(files=files, credentials=credentials, **postfix_values)


def lines(planned):
    return planned['main_cf']['content'].splitlines()


# --- the settings and main.cf of today's Jinja ---

DEFAULT_MAIN_CF = '''\
# Ansible managed
#
# Postfix null client written by the sendclean.mta.smtp_relay role: outgoing mail leaves only through
# [us1-mta1.sendclean.net]:587, over TLS (secure), authenticated as this host's own SendClean SMTP user.
# The credentials are in /etc/postfix/sasl_passwd (mode 0600), never in this file.

compatibility_level = 3.6
inet_interfaces = loopback-only
mydestination =
local_transport = error:local delivery is disabled
alias_maps =
alias_database =
relayhost = [us1-mta1.sendclean.net]:587
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_sasl_auth_soft_bounce = yes
smtp_tls_security_level = secure
smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt
smtp_tls_secure_cert_match = nexthop, dot-nexthop
smtp_tls_verify_cert_match = hostname
smtp_tls_wrappermode = no
smtp_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1
defer_transports =
soft_bounce = no
'''

DECOMMISSIONED_SATELLITE = '''\
# Managed by Ansible: do not edit
#
# Postfix satellite written by the sendclean.mta.smtp_relay role: outgoing mail leaves only through
# [relay.example.test]:465, over TLS (verify), authenticated as this host's own SendClean SMTP user.
# The credentials are in /etc/postfix/sasl_passwd (mode 0600), never in this file.
#
# Decommissioned (smtp_relay_state=disabled): the SMTP user is disabled and the credentials are removed.
# Outgoing mail is held in the queue (defer_transports, soft_bounce) instead of bouncing: see `postqueue -p`.

compatibility_level = 3.9
myhostname = mta1.example.test
inet_interfaces = all
mydestination = $myhostname, localhost
relayhost = [relay.example.test]:465
smtp_sasl_auth_enable = no
smtp_sasl_password_maps =
smtp_sasl_security_options = noanonymous
smtp_sasl_tls_security_options = noanonymous
smtp_sasl_auth_soft_bounce = yes
smtp_tls_security_level = verify
smtp_tls_CAfile = /etc/pki/tls/certs/ca-bundle.crt
smtp_tls_secure_cert_match = relay.example.test, .example.test
smtp_tls_verify_cert_match = relay.example.test, .example.test
smtp_tls_wrappermode = yes
smtp_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1
defer_transports = smtp, relay
soft_bounce = yes
myorigin = web1.example.test
tls_required_enable = no
maillog_file = /var/log/postfix.log
'''


def test_the_default_main_cf():
    planned = plan(settings(), host(), users(), False)
    assert planned['main_cf'] == {'path': '/etc/postfix/main.cf', 'mode': '0644', 'owner': 'root', 'group': 'root',
                                  'content': DEFAULT_MAIN_CF, 'write': True}
    assert planned['problems'] == [] and planned['main_cf_keys'] == []


def test_a_decommissioned_satellite_on_postfix_3_10():
    planned = plan(settings(os_family='RedHat', state='disabled', host='relay.example.test', port=465,
                            tls_security_level='verify', tls_cert_match='relay.example.test, .example.test',
                            compatibility_level='3.9', myhostname='mta1.example.test',
                            mydestination='$myhostname, localhost', inet_interfaces='all', mailname='web1.example.test',
                            main_cf_settings={'maillog_file': '/var/log/postfix.log'},
                            ansible_managed='Managed by Ansible: do not edit'),
                   host(files={MAIN_CF: written('old', '0644')}, version='3.10.1'), users(), False)
    assert planned['main_cf']['content'] == DECOMMISSIONED_SATELLITE
    assert planned['main_cf']['write'] is True


def test_senders_authenticate_by_the_envelope_sender():
    planned = plan(settings(senders=SENDERS, sender_address=None), host(), users('orders@shop.example', '@news.example'),
                   False)
    assert lines(planned)[-1] == 'smtp_sender_dependent_authentication = yes'
    assert planned['credentials']['entries'] == {'orders@shop.example': 'orders@shop.example',
                                                 '@news.example': '@news.example', RELAY: 'default'}


@pytest.mark.parametrize('state, main_cf, senders, value', [
    ('present', 'template', [], None),
    ('present', 'keys', [], 'no'),
    ('present', 'keys', SENDERS, 'yes'),
    ('disabled', 'template', SENDERS, None),
    ('disabled', 'keys', SENDERS, 'no'),
])
def test_sender_dependent_authentication(state, main_cf, senders, value):
    planned = plan(settings(state=state, main_cf=main_cf, senders=senders), host(), users(), False)
    assert planned['settings'].get('smtp_sender_dependent_authentication') == value


def test_the_sender_address_and_the_mailname():
    planned = plan(settings(sender_address='noreply@example.test', mailname='web1.example.test'), host(), users(), False)
    assert list(planned['settings'].items())[-2:] == [('myorigin', 'web1.example.test'),
                                                      ('sender_canonical_maps', 'static:noreply@example.test')]
    assert planned['mailname'] == {'path': '/etc/mailname', 'mode': '0644', 'owner': 'root', 'group': 'root',
                                   'content': 'web1.example.test\n', 'write': True}


def test_main_cf_settings_win_in_place_and_the_others_come_last():
    planned = plan(settings(main_cf_settings={'inet_interfaces': 'all', 'smtp_tls_CAfile': '/etc/own-ca.pem',
                                              'maillog_file': '/var/log/postfix.log'}), host(), users(), False)
    assert planned['main_cf']['content'] == (
        DEFAULT_MAIN_CF.replace('inet_interfaces = loopback-only', 'inet_interfaces = all')
        .replace('smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt', 'smtp_tls_CAfile = /etc/own-ca.pem')
        + 'maillog_file = /var/log/postfix.log\n')
    assert planned['ca_file'] == '/etc/own-ca.pem'


@pytest.mark.parametrize('version, level, tls_required', [
    (None, '2', False), ('3.5.25', '2', False), ('3.6.0', '3.6', False), ('3.9.4', '3.6', False),
    ('3.10.0', '3.6', True), ('3.11.1', '3.6', True), ('3.10-20250101', '3.6', True),
])
def test_what_depends_on_the_postfix_version(version, level, tls_required):
    the_host = host(version=version) if version else host(installed=False, version=None, default_database_type=None)
    planned = plan(settings(map_type='lmdb'), the_host, users(), False)
    assert lines(planned)[6] == 'compatibility_level = ' + level
    assert ('tls_required_enable' in planned['settings']) is tls_required


def test_the_compatibility_level_of_the_inventory_wins():
    assert template_settings(settings(compatibility_level='3.9'), '3.7.11', {})['compatibility_level'] == '3.9'


@pytest.mark.parametrize('version, minimum, expected', [
    ('3.10.1', '3.6', True), ('3.6', '3.6', True), ('3.5.9', '3.6', False), ('0', '3.6', False), ('3.9.4', '3.10', False),
    ('3.10', '3.10', True), ('4.0', '3.10', True),
])
def test_version_at_least(version, minimum, expected):
    assert version_at_least(version, minimum) is expected


def test_every_setting_is_one_the_facts_report():
    planned = plan(settings(senders=SENDERS, mailname='m.example', myhostname='h.example'), host(version='3.10.1'),
                   users('orders@shop.example', '@news.example'), False)
    keys_mode = plan(settings(main_cf='keys', sender_address='a@b.example'), host(version='3.10.1'), users(), False)
    assert set(line.split(' =')[0] for line in lines(planned) if ' =' in line) <= set(RELAY_KEYS)
    assert set(keys_mode['settings']) <= set(RELAY_KEYS)


# --- a refused login defers mail (smtp_sasl_auth_soft_bounce) ---

@pytest.mark.parametrize('main_cf, state', [('template', 'present'), ('keys', 'present'), ('template', 'disabled'),
                                            ('keys', 'disabled')])
def test_a_refused_login_defers_mail_in_every_mode(main_cf, state):
    planned = plan(settings(main_cf=main_cf, state=state), host(files={MAIN_CF: written('x', '0644')}), users(), False)
    assert planned['settings']['smtp_sasl_auth_soft_bounce'] == 'yes'
    if main_cf == 'template':
        assert 'smtp_sasl_auth_soft_bounce = yes' in lines(planned)
    else:
        assert {'key': 'smtp_sasl_auth_soft_bounce', 'value': 'yes'} in planned['main_cf_keys']


@pytest.mark.parametrize('current', ['no', None])  # None: the facts report no value for it
def test_keys_mode_sets_soft_bounce_back_when_it_drifted(current):
    wanted = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}), users(), False)['settings']
    drifted = dict(wanted)
    if current is None:
        del drifted['smtp_sasl_auth_soft_bounce']
    else:
        drifted['smtp_sasl_auth_soft_bounce'] = current
    planned = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}, settings=drifted), users(),
                   False)
    assert planned['main_cf_keys'] == [{'key': 'smtp_sasl_auth_soft_bounce', 'value': 'yes'}]
    assert planned['changes'] is True and planned['checks_needed'] is True


@pytest.mark.parametrize('explicit, keys', [
    (['relayhost'], [{'key': 'smtp_sasl_auth_soft_bounce', 'value': 'yes'}]),  # yes by Postfix's default only
    (['relayhost', 'smtp_sasl_auth_soft_bounce'], []),
    (None, []),  # facts that do not say (an older read): the value alone counts
])
def test_keys_mode_writes_soft_bounce_even_where_it_is_postfix_s_default(explicit, keys):
    wanted = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}), users(), False)['settings']
    planned = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}, settings=wanted,
                                                  explicit=explicit), users(), False)
    assert planned['main_cf_keys'] == keys


def test_template_mode_rewrites_a_main_cf_whose_soft_bounce_was_edited():
    content = plan(settings(), host(), users(), False)['main_cf']['content']
    edited = content.replace('smtp_sasl_auth_soft_bounce = yes', 'smtp_sasl_auth_soft_bounce = no')
    assert edited != content
    assert plan(settings(), host(files={MAIN_CF: written(edited, '0644')}), users(), False)['main_cf']['write'] is True


# --- the flush of the mail deferred while the credentials changed ---

@pytest.mark.parametrize('overrides, facts, check_mode, flush', [
    ({}, {}, False, True),
    ({}, {}, True, False),  # check mode
    ({'state': 'disabled'}, {}, False, False),  # no credentials to send with: the mail is held on purpose
    ({'manage_service': False}, {}, False, False),  # the role neither reloads nor flushes
    ({'config_root': '/srv/image/'}, {}, False, False),  # not the host's own Postfix
    ({}, {'installed': False, 'version': None}, False, False),  # no Postfix (yet)
])
def test_the_flush_applies_only_to_a_relaying_host_whose_postfix_the_role_runs(overrides, facts, check_mode, flush):
    planned = plan(settings(**overrides), host(**facts), users(), check_mode)
    assert planned['flush_applies'] is flush
    assert planned['commands']['postqueue'] == '/usr/sbin/postqueue'


def test_a_rotation_on_a_converged_host_writes_the_credentials_and_the_flush_applies():
    """flush_applies says whether the handler may run; a change of the credentials notifies it (tasks/configure.yml)."""
    the_users = users(rotated=['default'])
    first = plan(settings(), host(), the_users, False)
    facts = converged(first, users(), running=True)
    rotated = plan(settings(), facts, the_users, False)
    assert (rotated['credentials']['write'], rotated['credentials']['rotated'], rotated['flush_applies']) == (
        True, ['default'], True)
    assert rotated['main_cf']['write'] is False and rotated['checks_needed'] is True


# --- the map type ---

@pytest.mark.parametrize('map_type, default_database_type, check_mode, expected', [
    ('lmdb', 'hash', False, 'lmdb'),
    (None, 'lmdb', False, 'lmdb'),
    (None, None, True, 'hash'),
])
def test_the_map_type(map_type, default_database_type, check_mode, expected):
    planned = plan(settings(map_type=map_type), host(default_database_type=default_database_type), users(), check_mode)
    assert planned['settings']['smtp_sasl_password_maps'] == expected + ':/etc/postfix/sasl_passwd'
    assert planned['credentials']['map_type'] == expected
    assert planned['problems'] == []


def test_an_unknown_map_type_is_a_problem_of_the_host():
    planned = plan(settings(), host(installed=False, version=None, default_database_type=None), users(), False)
    assert planned['problems'] == [
        'The map type of the credentials is unknown: set smtp_relay_map_type to texthash, hash, btree, lmdb, cdb, dbm '
        'or sdbm, or install Postfix so that postconf can tell its default.']


@pytest.mark.parametrize('overrides, problems', [
    ([{'service': 'smtp/unix', 'name': 'smtp_sasl_auth_soft_bounce', 'value': 'no'}],
     ['/etc/postfix/master.cf sets smtp_sasl_auth_soft_bounce = no with -o for its smtp/unix service, which wins over '
      'main.cf, where the role sets smtp_sasl_auth_soft_bounce = yes for the mail it relays: remove that -o.']),
    ([{'service': 'relay/unix', 'name': 'smtp_tls_security_level', 'value': 'none'}],
     ['/etc/postfix/master.cf sets smtp_tls_security_level = none with -o for its relay/unix service, which wins over '
      'main.cf, where the role sets smtp_tls_security_level = secure for the mail it relays: remove that -o.']),
    # The role's own value, and a setting the role leaves alone, change nothing the role relies on.
    ([{'service': 'smtp/unix', 'name': 'smtp_tls_security_level', 'value': 'secure'},
      {'service': 'smtp/unix', 'name': 'smtp_helo_timeout', 'value': '5'}], []),
])
def test_a_master_cf_override_of_the_role_s_client_settings_is_a_problem_of_the_host(overrides, problems):
    assert plan(settings(), host(client_overrides=overrides), users(), False)['problems'] == problems
    assert plan(settings(state='disabled'), host(client_overrides=overrides), users(), False)['problems'] == []


def test_a_decommissioned_host_has_no_host_problem():
    planned = plan(settings(state='disabled', main_cf='keys'), host(installed=False, version=None,
                                                                    default_database_type=None), users(), False)
    assert planned['problems'] == [] and planned['main_cf_keys'] == []


@pytest.mark.parametrize('map_type, suffixes', [
    ('hash', ['db']), ('lmdb', ['lmdb']), ('dbm', ['dir', 'pag']), ('texthash', []),
])
def test_the_map_files_of_each_type(map_type, suffixes):
    planned = plan(settings(map_type=map_type), host(), users(), False)
    assert planned['credentials']['map_files'] == ['/etc/postfix/sasl_passwd.' + suffix for suffix in suffixes]


# --- keys mode ---

def test_keys_mode_sets_only_the_keys_that_differ():
    wanted = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}), users(), False)['settings']
    current = dict(wanted, soft_bounce='yes', smtp_tls_security_level='may')
    del current['relayhost']
    planned = plan(settings(main_cf='keys'), host(files={MAIN_CF: written('x', '0644')}, settings=current), users(), False)
    assert planned['main_cf_keys'] == [{'key': 'relayhost', 'value': RELAY},
                                       {'key': 'smtp_tls_security_level', 'value': 'secure'},
                                       {'key': 'soft_bounce', 'value': 'no'}]
    assert planned['main_cf']['content'] is None and planned['main_cf']['write'] is False
    assert planned['changes'] is True


@pytest.mark.parametrize('installed, main_cf_exists, missing', [
    (False, True, '/usr/sbin/postconf'), (True, False, '/etc/postfix/main.cf'),
])
def test_keys_mode_needs_postconf_and_a_main_cf(installed, main_cf_exists, missing):
    files = {MAIN_CF: written('x', '0644')} if main_cf_exists else {}
    planned = plan(settings(main_cf='keys', map_type='hash'), host(files=files, installed=installed), users(), False)
    assert planned['problems'] == [
        'smtp_relay_main_cf=keys sets the relay settings in an existing main.cf with postconf, but %s is missing. Use '
        'smtp_relay_main_cf=template to have the role write main.cf.' % missing]
    assert planned['main_cf_keys'] == []


# --- what differs from the host ---

@pytest.mark.parametrize('the_settings, senders', [
    (settings(), ()),
    (settings(senders=SENDERS, mailname='web1.example.test'), ('orders@shop.example', '@news.example')),
    (settings(main_cf='keys', map_type='texthash'), ()),
    (settings(state='disabled'), ()),
])
def test_a_converged_host_has_nothing_to_write(the_settings, senders):
    the_users = users(*senders)
    first = plan(the_settings, host(files={MAIN_CF: written('x', '0644')}), the_users, False)
    facts = converged(first, the_users, settings=first['settings'], running=True)
    if the_settings['main_cf'] == 'keys':  # the host's own main.cf, which the role edits in place
        facts['files'][MAIN_CF] = written('x', '0644')
    again = plan(the_settings, facts, the_users, False)
    found = (again['main_cf']['write'], again['main_cf_keys'], again['mailname']['write'], again['credentials']['write'],
             again['changes'], again['checks_needed'], again['restart_needed'], again['steps_needed'])
    assert found == (False, [], False, False, False, False, False, False)


@pytest.mark.parametrize('cause', ['a package is missing', 'Postfix is stopped', 'Postfix does not start at boot',
                                   'an earlier change was never checked', 'a file differs', 'a host problem'])
def test_any_step_after_the_plan_makes_the_host_take_them(cause):
    """steps_needed is what tasks/main.yml includes tasks/postfix.yml on: each cause alone must set it."""
    first = plan(settings(), host(), users(), False)
    facts = converged(first, users(), settings=first['settings'], running=True)
    assert plan(settings(), facts, users(), False)['steps_needed'] is False
    the_settings = settings(main_cf='keys') if cause == 'a host problem' else settings()
    if cause == 'a package is missing':
        facts['packages']['libsasl2-modules'] = False
    elif cause == 'Postfix is stopped':
        facts['postfix']['running'] = False
    elif cause == 'Postfix does not start at boot':
        facts['postfix']['enabled'] = False
    elif cause == 'an earlier change was never checked':
        facts['files'][UNCHECKED] = written('mark', '0644')
    elif cause == 'a file differs':
        facts['files'][MAIN_CF] = written('# edited\n', '0644')
    else:
        facts['files'][MAIN_CF] = MISSING  # keys mode needs a main.cf
    again = plan(the_settings, facts, users(), False)
    assert again['steps_needed'] is True, again


@pytest.mark.parametrize('change', ['mode', 'owner', 'content', 'missing'])
def test_main_cf_is_written_when_anything_of_it_differs(change):
    content = plan(settings(), host(), users(), False)['main_cf']['content']
    the_file = {'mode': written(content, '0600'), 'owner': written(content, '0644', owner='postfix'),
                'content': written(content + '# edited\n', '0644'), 'missing': MISSING}[change]
    assert plan(settings(), host(files={MAIN_CF: the_file}), users(), False)['main_cf']['write'] is True


def test_the_owner_and_group_of_the_files_are_the_roles():
    the_settings = settings(config_owner='builder', config_group='staff', mailname='m.example')
    planned = plan(the_settings, host(), users(), False)
    content = planned['main_cf']['content']
    assert [planned[name]['owner'] for name in ('main_cf', 'mailname', 'credentials')] == ['builder'] * 3
    facts = host(files={MAIN_CF: written(content, '0644', owner='builder', group='staff')})
    assert plan(the_settings, facts, users(), False)['main_cf']['write'] is False


def test_a_decommissioned_host_without_main_cf_gets_none():
    planned = plan(settings(state='disabled'), host(), users(), False)
    assert planned['main_cf']['write'] is False
    assert planned['mailname']['content'] is None and planned['packages'] == []


# --- the credentials ---

def credentials_of(**entries):
    return dict((key, {'user': user, 'current': current}) for key, (user, current) in entries.items())


def credentials_plan(the_users, credentials, files=None, **the_settings):
    every_file = {SASL_PASSWD: written('x', '0600'), SASL_PASSWD + '.db': written('x', '0600')}
    every_file.update(files or {})
    return plan(settings(**the_settings), host(files=every_file, credentials=credentials), the_users, False)['credentials']


def test_the_credentials_plan():
    planned = credentials_plan(users(), {})
    assert planned == {'path': '/etc/postfix/sasl_passwd', 'record_path': '/etc/sendclean/smtp_relay.json',
                       'owner': 'root', 'group': 'root', 'postmap': '/usr/sbin/postmap', 'map_type': 'hash',
                       'state': 'present', 'entries': {RELAY: 'default'}, 'rotated': [],
                       'map_files': ['/etc/postfix/sasl_passwd.db'], 'write': True}


@pytest.mark.parametrize('credentials, files, write', [
    ({RELAY: ('smtp10000001', True)}, {}, False),
    ({RELAY: ('smtp10000001', False)}, {}, True),  # not the record's password
    ({RELAY: ('smtp99999999', True)}, {}, True),  # another user
    ({RELAY: ('smtp10000001', True), '@gone.example': ('smtp3', True)}, {}, True),  # a sender taken off the list
    ({RELAY: ('smtp10000001', True)}, {SASL_PASSWD + '.db': MISSING}, True),
    ({RELAY: ('smtp10000001', True)}, {SASL_PASSWD: written('x', '0644')}, True),
])
def test_the_credentials_are_written_when_an_entry_or_the_file_differs(credentials, files, write):
    assert credentials_plan(users(), credentials_of(**credentials), files)['write'] is write


def test_a_new_password_writes_the_credentials_and_is_named():
    planned = credentials_plan(users('orders@shop.example', rotated=['orders@shop.example']),
                               credentials_of(**{RELAY: ('smtp10000001', True),
                                                 'orders@shop.example': ('smtp20000000', True)}),
                               senders=SENDERS[:1])
    assert (planned['rotated'], planned['write']) == (['orders@shop.example'], True)


def test_decommission_removes_the_credentials_and_every_map():
    planned = credentials_plan(users(), {}, state='disabled')
    assert (planned['state'], planned['entries'], planned['write']) == ('absent', {}, True)
    assert planned['map_files'] == ['/etc/postfix/sasl_passwd.' + suffix for suffix in ('db', 'lmdb', 'cdb', 'dir', 'pag')]
    gone = credentials_plan(users(), {}, files={SASL_PASSWD: MISSING, SASL_PASSWD + '.db': MISSING}, state='disabled')
    assert gone['write'] is False


# --- packages, checks, restart ---

def test_only_the_missing_packages_of_the_os_family_are_installed():
    the_host = host(packages={'postfix': True, 'cyrus-sasl-plain': False})
    assert plan(settings(os_family='RedHat'), the_host, users(), False)['packages'] == ['cyrus-sasl-plain',
                                                                                        'ca-certificates']
    assert plan(settings(manage_packages=False), the_host, users(), False)['packages'] == []


@pytest.mark.parametrize('overrides, check_mode, needed', [
    ({}, False, True),  # main.cf is written
    ({}, True, False),  # check mode
    ({'config_root': '/srv/image/'}, False, False),  # not the host's own Postfix
])
def test_the_checks_run_on_the_host_before_postfix_uses_a_change(overrides, check_mode, needed):
    planned = plan(settings(**overrides), host(), users(), check_mode)
    assert planned['checks_needed'] is needed and planned['mark_unchecked'] is needed


@pytest.mark.parametrize('unchecked, running, manage_service, needed', [
    (False, True, True, False), (True, True, True, True), (False, False, True, True), (False, False, False, False),
])
def test_the_checks_run_again_after_a_failed_check_or_while_postfix_is_stopped(unchecked, running, manage_service,
                                                                               needed):
    the_users = users()
    first = plan(settings(), host(), the_users, False)
    facts = converged(first, the_users, running=running)
    facts['files'][UNCHECKED] = written('x', '0644') if unchecked else MISSING
    again = plan(settings(manage_service=manage_service), facts, the_users, False)
    assert (again['changes'], again['mark_unchecked'], again['checks_needed']) == (False, False, needed)


def test_a_scratch_root_puts_every_path_under_it():
    planned = plan(settings(config_root='/srv/image/', mailname='m.example'), host(), users(), False)
    assert [planned['main_cf']['path'], planned['mailname']['path'], planned['credentials']['path'],
            planned['credentials']['record_path'], planned['unchecked_path'], planned['config_dir']] == [
        '/srv/image/etc/postfix/main.cf', '/srv/image/etc/mailname', '/srv/image/etc/postfix/sasl_passwd',
        '/srv/image/etc/sendclean/smtp_relay.json', '/srv/image/etc/postfix/sendclean_relay.unchecked',
        '/srv/image/etc/postfix']
    assert planned['on_host'] is False
    assert 'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd' in lines(planned)


@pytest.mark.parametrize('main_cf, main_cf_settings, current, restart', [
    ('template', {}, 'loopback-only', False),
    ('template', {}, 'all', True),
    ('template', {}, None, False),  # no main.cf yet
    ('template', {'inet_interfaces': 'all'}, 'all', False),
    ('keys', {}, 'all', False),  # keys mode leaves the interfaces alone
    ('keys', {'inet_interfaces': '127.0.0.1'}, 'all', True),
])
def test_a_change_of_the_listening_interfaces_needs_a_restart(main_cf, main_cf_settings, current, restart):
    planned = plan(settings(main_cf=main_cf, main_cf_settings=main_cf_settings), host(inet_interfaces=current),
                   users(), False)
    assert planned['restart_needed'] is restart


def test_the_ca_file_is_checked_only_on_a_host_that_relays():
    assert plan(settings(os_family='RedHat'), host(), users(), False)['ca_file'] == '/etc/pki/tls/certs/ca-bundle.crt'
    assert plan(settings(tls_ca_file='/etc/own.pem'), host(), users(), False)['ca_file'] == '/etc/own.pem'
    assert plan(settings(state='disabled'), host(), users(), False)['ca_file'] is None


# --- a host that leaves another MTA for Postfix ---

def test_nullmailer_s_credentials_are_removed_when_postfix_relays():
    the_users = users()
    first = plan(settings(), host(), the_users, False)
    facts = converged(first, the_users, settings=first['settings'], running=True)
    assert (first['retired'], plan(settings(), facts, the_users, False)['steps_needed']) == ([], False)
    facts['files']['etc/nullmailer/remotes'] = written('x', '0600', 'mail', 'mail')
    again = plan(settings(), facts, the_users, False)
    assert again['retired'] == ['/etc/nullmailer/remotes']
    assert (again['steps_needed'], again['changes']) == (True, False)
    facts['files']['etc/exim4/passwd.client'] = written('x', '0640', 'root', 'Debian-exim')  # exim4 removed, not purged
    assert plan(settings(), facts, the_users, False)['retired'] == ['/etc/nullmailer/remotes', '/etc/exim4/passwd.client']
