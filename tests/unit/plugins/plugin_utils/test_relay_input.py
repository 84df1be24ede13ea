# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The smtp_relay role's variables: read from a task's variables with a real Templar, then checked and normalized.
Every wrong value gives a message that names the variable and the value."""

import pytest

from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_input import (
    NAMES, PREFIX, SENDER_OPTIONS, Problems, check, installed_mtas_of, os_family_of, read,
)


@pytest.fixture
def read_vars(relay_task_vars):
    """read() of the role's variables on web1, with ``overrides``."""
    def read_them(**overrides):
        return read(relay_task_vars(**overrides), Templar(loader=DataLoader(), variables={}))
    return read_them


@pytest.fixture
def checked(read_vars):
    """check() of the role's defaults (as read) changed by ``values`` (names without the prefix)."""
    def check_them(os_family='Debian', installed_mtas=(), **values):
        raw = read_vars()
        raw.update(values)
        return check(raw, os_family, installed_mtas)
    return check_them


@pytest.fixture
def problems_of(checked):
    def problems(**values):
        return checked(**values)[1]
    return problems


# --- the names ---

def test_the_names_are_the_options_of_the_argument_spec(relay_role_file):
    options = relay_role_file('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert all(option.startswith(PREFIX) for option in options)
    assert sorted(NAMES) == sorted(option[len(PREFIX):] for option in options)
    assert len(set(NAMES)) == len(NAMES)


def test_the_sender_options_are_those_of_the_argument_spec(relay_role_file):
    options = relay_role_file('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert [name for name, dummy in SENDER_OPTIONS] == list(options['smtp_relay_senders']['options'])


def test_every_default_is_read(relay_role_file):
    defaults = relay_role_file('defaults', 'main.yml')
    assert set(PREFIX + name for name in NAMES) <= set(defaults)


# --- read ---

def test_read_templates_the_defaults_with_the_task_variables(read_vars):
    raw = read_vars()
    assert sorted(raw) == sorted(NAMES)
    assert raw['user_key'] == 'web1'
    assert raw['host'] == 'us1-mta1.sendclean.net'  # smtp_relay_app_domain
    assert raw['registry'] == '/srv/inventory/sendclean-registry.json'
    assert (raw['port'], raw['senders'], raw['total_limit'], raw['main_cf_settings']) == (587, [], None, {})


def test_read_templates_nested_values_and_keeps_extra_vars_as_given(read_vars):
    raw = read_vars(smtp_relay_senders=[{'sender': '@{{ inventory_hostname }}.example', 'hourly_limit': '200'}],
                    smtp_relay_port='465')
    assert raw['senders'] == [{'sender': '@web1.example', 'hourly_limit': '200'}]
    assert raw['port'] == '465'


def test_read_gives_none_for_a_variable_the_task_lacks(relay_task_vars):
    variables = relay_task_vars()
    del variables['smtp_relay_mailname']
    assert read(variables, Templar(loader=DataLoader(), variables={}))['mailname'] is None


def test_read_names_the_variable_that_cannot_be_templated(read_vars):
    with pytest.raises(AnsibleError) as caught:
        read_vars(smtp_relay_mailname='{{ no_such_variable }}')
    assert 'smtp_relay_mailname cannot be templated' in caught.value.message
    assert 'no_such_variable' in caught.value.message


def test_read_never_shows_the_token_template(read_vars):
    with pytest.raises(AnsibleError) as caught:
        read_vars(smtp_relay_token='s3cr3t-{{ no_such_variable }}')
    assert caught.value.message == 'smtp_relay_token cannot be templated'


def test_the_os_family_comes_from_the_gathered_facts_else_from_the_host_facts():
    host = {'os_family': 'RedHat'}
    assert os_family_of({'ansible_facts': {'os_family': 'Debian'}}, host) == 'Debian'
    assert os_family_of({'ansible_facts': {}}, host) == 'RedHat'
    assert os_family_of({}, {'os_family': None}) is None


# --- check: the defaults, and values as an inventory or -e give them ---

def test_the_defaults_are_fine_and_normalized(checked):
    settings, problems = checked()
    assert problems == []
    assert settings == {
        'os_family': 'Debian', 'state': 'present', 'smtp_user_name': None, 'user_key': 'web1',
        'registry': '/srv/inventory/sendclean-registry.json', 'recreate_missing': False, 'disable_unclaimed': False,
        'rotate_password': False, 'rotate_after_days': None, 'manage_packages': True, 'manage_service': True,
        'total_limit': None,
        'hourly_limit': None, 'new_user_total_limit': 10000, 'new_user_hourly_limit': 500, 'senders': [],
        'owner_id': None, 'token': None, 'app_domain': 'us1-mta1.sendclean.net', 'api_url': None,
        'host': 'us1-mta1.sendclean.net', 'port': 587, 'tls_security_level': 'secure', 'tls_ca_file': None,
        'tls_cert_match': None, 'main_cf': 'template', 'main_cf_settings': {}, 'map_type': None,
        'sender_address': None, 'mailname': None, 'myhostname': None, 'mydestination': '',
        'inet_interfaces': 'loopback-only', 'compatibility_level': None, 'config_root': '/',
        'config_owner': 'root', 'config_group': 'root', 'admin_address': None, 'mta': 'postfix', 'mta_replaces': []}


@pytest.mark.parametrize('name, value, normalized', [
    ('port', '465', 465),
    ('total_limit', '300', 300),
    ('hourly_limit', 20, 20),
    ('hourly_limit', '', None),
    ('new_user_hourly_limit', ' 50 ', 50),
    ('rotate_password', 'yes', True),
    ('rotate_after_days', '90', 90),
    ('rotate_after_days', '', None),
    ('manage_service', 'false', False),
    ('tls_cert_match', ['relay.example.test', '.example.test'], 'relay.example.test, .example.test'),
    ('tls_cert_match', 'relay.example.test,.example.test', 'relay.example.test,.example.test'),
    ('tls_cert_match', [], None),
    ('main_cf_settings', {'maillog_file': '/var/log/postfix.log', 'smtp_tls_loglevel': 1, 'x_ratio': 1.5},
     {'maillog_file': '/var/log/postfix.log', 'smtp_tls_loglevel': '1', 'x_ratio': '1.5'}),
    ('compatibility_level', 3.6, '3.6'),
    ('owner_id', 12345, '12345'),
    ('mailname', None, None),
    ('mydestination', None, ''),
    ('smtp_user_name', 'smtp94454398', 'smtp94454398'),
    ('config_root', '', '/'),
    ('sender_address', 'noreply@example.test', 'noreply@example.test'),
    ('map_type', 'lmdb', 'lmdb'),
    ('host', '192.0.2.10', '192.0.2.10'),
])
def test_values_are_normalized(checked, name, value, normalized):
    settings, problems = checked(**{name: value})
    assert problems == []
    assert settings[name] == normalized


def test_senders_are_normalized_with_every_option(checked):
    settings, problems = checked(senders=[{'sender': 'orders@shop.example', 'hourly_limit': '200'},
                                          {'sender': '@news.example', 'total_limit': 50000, 'rotate_password': 'true',
                                           'rotate_after_days': 30}])
    assert problems == []
    assert settings['senders'] == [
        {'sender': 'orders@shop.example', 'total_limit': None, 'hourly_limit': 200, 'rotate_password': False,
         'rotate_after_days': None},
        {'sender': '@news.example', 'total_limit': 50000, 'hourly_limit': None, 'rotate_password': True,
         'rotate_after_days': 30}]


# --- check: smtp_relay_main_cf_settings may not make a refused login bounce (issue 22) ---

REFUSAL = ('smtp_relay_main_cf_settings sets smtp_sasl_auth_soft_bounce to "%s", but the role keeps it yes: a relay '
           'that refuses the host\'s login (535, as right after a password rotation, until Postfix has reloaded the '
           'new password) must defer the mail, not bounce it. Remove smtp_sasl_auth_soft_bounce from '
           'smtp_relay_main_cf_settings.')


@pytest.mark.parametrize('value', ['no', 'No', '', '0', 'false'])
def test_main_cf_settings_that_would_bounce_a_refused_login_are_refused(checked, value):
    settings, problems = checked(main_cf_settings={'smtp_sasl_auth_soft_bounce': value, 'maillog_file': '/var/log/x'})
    assert problems == [REFUSAL % value]


@pytest.mark.parametrize('value', ['yes', 'YES', ' yes'])
def test_main_cf_settings_may_say_yes_again(checked, value):
    settings, problems = checked(main_cf_settings={'smtp_sasl_auth_soft_bounce': value})
    assert problems == []


# --- check: each wrong value, named with the value and the fix ---

@pytest.mark.parametrize('values, message', [
    ({'hourly_limit': -1}, 'smtp_relay_hourly_limit must be a whole number of at least 1, not -1: set the number of '
                           'messages, or leave it unset (an existing user keeps its limit, a new one gets the new-user '
                           'limit).'),
    ({'total_limit': 0}, 'smtp_relay_total_limit must be a whole number of at least 1, not 0:'),
    ({'total_limit': '1e3'}, 'smtp_relay_total_limit must be a whole number of at least 1, not "1e3":'),
    ({'total_limit': True}, 'smtp_relay_total_limit must be a whole number of at least 1, not true:'),
    ({'total_limit': 2.5}, 'smtp_relay_total_limit must be a whole number of at least 1, not 2.5:'),
    ({'new_user_total_limit': None}, 'smtp_relay_new_user_total_limit must be a whole number of at least 1, not null: '
                                     'set the number of messages a new user may send.'),
    ({'new_user_hourly_limit': '-5'}, 'smtp_relay_new_user_hourly_limit must be a whole number of at least 1, not "-5"'),
    ({'port': 'abc'}, 'smtp_relay_port must be a whole number from 1 to 65535, not "abc": 587 for STARTTLS (the '
                      'default), 465 for TLS from the first byte.'),
    ({'port': 0}, 'smtp_relay_port must be a whole number from 1 to 65535, not 0'),
    ({'port': 65536}, 'smtp_relay_port must be a whole number from 1 to 65535, not 65536'),
    ({'host': ''}, 'smtp_relay_host is empty: set it, or smtp_relay_app_domain, whose value it defaults to (or, when '
                   'smtp_relay_api_url is empty too, the SENDCLEAN_APP_DOMAIN environment variable on the controller).'),
    ({'host': None}, 'smtp_relay_host is empty:'),
    ({'host': 'relay.example.test:587'}, 'smtp_relay_host must be the host name (or IPv4 address) of the relay, not '
                                         '"relay.example.test:587": write the host alone, for example '
                                         'us1-mta1.sendclean.net, and the port in smtp_relay_port.'),
    ({'host': '[relay.example.test]'}, 'smtp_relay_host must be the host name (or IPv4 address) of the relay, not '
                                       '"[relay.example.test]"'),
    ({'sender_address': 'noreply'}, 'smtp_relay_sender_address must be an address (local@domain) that every sender '
                                    'is rewritten to, not "noreply": for example noreply@example.com, or leave it '
                                    'empty.'),
    ({'sender_address': '@example.test'}, 'smtp_relay_sender_address must be an address (local@domain)'),
    ({'sender_address': 'noreply@example.test', 'senders': [{'sender': 'orders@shop.example'}]},
     'smtp_relay_sender_address rewrites every envelope sender to noreply@example.test, so the senders of '
     'smtp_relay_senders would never match: unset one of the two.'),
    ({'state': 'absent'}, 'smtp_relay_state must be present or disabled, not "absent".'),
    ({'main_cf': 'file'}, 'smtp_relay_main_cf must be template or keys, not "file".'),
    ({'tls_security_level': 'may'}, 'smtp_relay_tls_security_level must be secure, verify or encrypt, not "may": '
                                    'levels that may send the password in clear are not offered.'),
    ({'map_type': 'ldap'}, 'smtp_relay_map_type must be empty (Postfix\'s default) or one of texthash, hash, btree, '
                           'lmdb, cdb, dbm, sdbm, not "ldap".'),
    ({'rotate_password': 'maybe'}, 'smtp_relay_rotate_password must be true or false, not "maybe".'),
    ({'manage_packages': None}, 'smtp_relay_manage_packages must be true or false, not null.'),
    ({'main_cf_settings': {'smtp_tls_note_starttls_offer': True}},
     'smtp_relay_main_cf_settings takes values as Postfix writes them: strings (or numbers), not true for '
     'smtp_tls_note_starttls_offer. Write booleans as "yes"/"no" and lists as one comma-separated string.'),
    ({'main_cf_settings': {'mynetworks': ['127.0.0.0/8']}},
     'smtp_relay_main_cf_settings takes values as Postfix writes them: strings (or numbers), not ["127.0.0.0/8"] for '
     'mynetworks.'),
    ({'main_cf_settings': {'bad key': 'x'}}, 'smtp_relay_main_cf_settings has "bad key", which is no main.cf parameter '
                                             'name (letters, digits and underscores).'),
    ({'main_cf_settings': {'smtpd_banner': 'a\nb'}}, 'smtp_relay_main_cf_settings.smtpd_banner must be one line (it '
                                                     'is written in main.cf), not "a\\nb".'),
    ({'main_cf_settings': 'maillog_file=/var/log/postfix.log'},
     'smtp_relay_main_cf_settings must be a dict of main.cf parameters and their values, not '
     '"maillog_file=/var/log/postfix.log"'),
    ({'tls_cert_match': [{'name': 'x'}]}, 'smtp_relay_tls_cert_match must be a list of names (or one comma-separated '
                                          'string), not [{"name": "x"}]'),
    ({'mailname': 'a\nb'}, 'smtp_relay_mailname must be one line (it is written in main.cf), not "a\\nb".'),
    ({'myhostname': ['mta1']}, 'smtp_relay_myhostname must be a string, not ["mta1"].'),
    ({'user_key': ''}, 'smtp_relay_user_key is empty: set the key of this host\'s user in the registry (the default '
                       'is the inventory hostname), or pin a user with smtp_relay_smtp_user_name.'),
    ({'config_root': 'scratch/web1'}, 'smtp_relay_config_root must be an absolute path, not "scratch/web1": / or the '
                                      'tree the files are written under.'),
    ({'config_owner': ''}, 'smtp_relay_config_owner is empty: set the owner of the written files (root by default).'),
    ({'senders': 'orders@shop.example'}, 'smtp_relay_senders must be a list of senders, each a dict with sender and '
                                         'optionally total_limit, hourly_limit, rotate_password, rotate_after_days, '
                                         'not '
                                         '"orders@shop.example".'),
    ({'senders': ['orders@shop.example']}, 'smtp_relay_senders[0] must be a dict with at least sender, not '
                                           '"orders@shop.example": for example {"sender": "orders@shop.example", '
                                           '"hourly_limit": 200}.'),
    ({'senders': [{'sender': 'orders'}]}, 'smtp_relay_senders[0].sender must be an address (orders@shop.example) or a '
                                          'whole domain (@news.example), not "orders".'),
    ({'senders': [{'sender': 'a b@shop.example'}]}, 'smtp_relay_senders[0].sender must be an address'),
    ({'senders': [{'sender': '#x@shop.example'}]}, 'smtp_relay_senders[0].sender must be an address'),
    ({'senders': [{'sender': 'orders@shop.example', 'hourly_limit': -1}]},
     'smtp_relay_senders[0].hourly_limit must be a whole number of at least 1, not -1'),
    ({'senders': [{'sender': 'orders@shop.example'}, {'sender': '@news.example', 'total_limit': 'lots'}]},
     'smtp_relay_senders[1].total_limit must be a whole number of at least 1, not "lots"'),
    ({'senders': [{'sender': 'orders@shop.example', 'rotate_password': 'soon'}]},
     'smtp_relay_senders[0].rotate_password must be true or false, not "soon".'),
    ({'senders': [{'sender': 'orders@shop.example', 'hourly': 200}]},
     'smtp_relay_senders[0] (sender orders@shop.example) has the unknown option(s) hourly: the options are sender, '
     'total_limit, hourly_limit, rotate_password, rotate_after_days.'),
    ({'rotate_after_days': 0}, 'smtp_relay_rotate_after_days must be a whole number of at least 1, not 0: set the number '
                               'of days a password may be used, for example 90, or leave it unset (never rotated by '
                               'age).'),
    ({'rotate_after_days': '3 months'}, 'smtp_relay_rotate_after_days must be a whole number of at least 1, not '
                                        '"3 months"'),
    ({'senders': [{'sender': 'orders@shop.example', 'rotate_after_days': -30}]},
     'smtp_relay_senders[0].rotate_after_days must be a whole number of at least 1, not -30'),
    ({'senders': [{'sender': 'orders@shop.example'}, {'sender': 'orders@shop.example', 'hourly_limit': 5}]},
     'smtp_relay_senders lists the sender orders@shop.example more than once: list each once, with its limits.'),
    ({'os_family': 'Suse'}, 'The smtp_relay role supports the Debian (Debian, Ubuntu) and RedHat (EL, Fedora) OS '
                            'families, not Suse.'),
    ({'os_family': None}, 'The smtp_relay role supports the Debian (Debian, Ubuntu) and RedHat (EL, Fedora) OS '
                          'families, not None.'),
])
def test_each_wrong_value_is_one_problem_naming_the_variable_and_the_value(problems_of, values, message):
    problems = problems_of(**values)
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


def test_a_wrong_token_is_named_but_never_shown(problems_of):
    problems = problems_of(token=['s3cr3t'])
    assert problems == ['smtp_relay_token must be a string, not (hidden).']


def test_every_problem_is_reported_at_once(problems_of):
    problems = problems_of(hourly_limit=-1, port='abc', sender_address='noreply', state='gone')
    assert [problem.split(' ')[0] for problem in problems] == [
        'smtp_relay_state', 'smtp_relay_hourly_limit', 'smtp_relay_port', 'smtp_relay_sender_address']


def test_a_wrong_value_is_none_in_the_settings(checked):
    settings, dummy = checked(hourly_limit=-1, port='abc', senders=[{'sender': 'orders'}])
    assert (settings['hourly_limit'], settings['port']) == (None, None)
    assert settings['senders'] == [{'sender': None, 'total_limit': None, 'hourly_limit': None, 'rotate_password': False,
                                    'rotate_after_days': None}]


def test_a_pinned_user_needs_no_key(problems_of):
    assert problems_of(user_key='', smtp_user_name='smtp94454398') == []


@pytest.mark.parametrize('os_family', ['Debian', 'RedHat'])
def test_each_supported_os_family_is_fine(checked, os_family):
    settings, problems = checked(os_family=os_family)
    assert (settings['os_family'], problems) == (os_family, [])


# --- the options of a sender, one normalizing function each ---

def sender_option(name):
    return dict(SENDER_OPTIONS)[name]


@pytest.mark.parametrize('value, normalized, wrong', [
    ('orders@shop.example', 'orders@shop.example', False),
    ('@news.example', '@news.example', False),
    ('orders', None, True),
    ('@localhost', None, True),
    ('orders@shop.example:587', None, True),
    (12, None, True),
])
def test_the_sender_option(value, normalized, wrong):
    problems = Problems()
    assert sender_option('sender')(problems, 'x.sender', value) == normalized
    assert bool(problems) is wrong


@pytest.mark.parametrize('name', ['total_limit', 'hourly_limit'])
@pytest.mark.parametrize('value, normalized, wrong', [
    (None, None, False), ('', None, False), (1, 1, False), ('200', 200, False), (0, None, True), (-3, None, True),
    ('x', None, True), (False, None, True),
])
def test_the_sender_limit_options(name, value, normalized, wrong):
    problems = Problems()
    assert sender_option(name)(problems, 'x.' + name, value) == normalized
    assert bool(problems) is wrong


@pytest.mark.parametrize('value, normalized, wrong', [
    (None, False, False), (True, True, False), ('yes', True, False), ('no', False, False), ('later', None, True),
])
def test_the_sender_rotate_password_option(value, normalized, wrong):
    problems = Problems()
    assert sender_option('rotate_password')(problems, 'x.rotate_password', value) == normalized
    assert bool(problems) is wrong


# --- check: smtp_relay_mta, and what each MTA backend refuses before any request ---

@pytest.mark.parametrize('value, installed, mta, replaces', [
    ('auto', [], 'postfix', []),
    ('auto', ['postfix'], 'postfix', []),
    ('auto', ['nullmailer'], 'nullmailer', []),
    ('postfix', ['nullmailer'], 'postfix', ['nullmailer']),
    ('nullmailer', ['postfix'], 'nullmailer', ['postfix']),
    ('nullmailer', [], 'nullmailer', []),
    ('postfix', ['postfix'], 'postfix', []),
])
def test_the_mta_is_the_host_s_unless_named(checked, value, installed, mta, replaces):
    settings, problems = checked(installed_mtas=installed, mta=value)
    assert problems == []
    assert (settings['mta'], settings['mta_replaces']) == (mta, replaces)


@pytest.mark.parametrize('values', [{'manage_packages': False}, {'config_root': '/srv/image'}])
def test_nothing_is_replaced_when_the_role_installs_nothing_on_the_host(checked, values):
    settings, problems = checked(installed_mtas=['postfix'], mta='nullmailer', **values)
    assert (problems, settings['mta'], settings['mta_replaces']) == ([], 'nullmailer', [])


def test_auto_never_guesses_among_several_mtas(checked):
    settings, problems = checked(installed_mtas=['postfix', 'nullmailer'])
    assert problems == ['smtp_relay_mta is auto, but this host has several MTAs (postfix, nullmailer): set smtp_relay_mta '
                        'to the one that is to send its mail.']
    assert settings['mta'] is None


def test_a_wrong_mta_is_named(checked):
    assert checked(mta='sendmail')[1] == ['smtp_relay_mta must be auto, postfix, exim4 or nullmailer, not "sendmail".']


@pytest.mark.parametrize('value, installed, replaces', [
    ('auto', ['exim4'], []), ('exim4', [], []), ('exim4', ['postfix'], ['postfix']), ('exim4', ['exim4'], []),
])
def test_exim4_is_the_host_s_or_named(checked, value, installed, replaces):
    settings, problems = checked(installed_mtas=installed, mta=value)
    assert (problems, settings['mta'], settings['mta_replaces']) == ([], 'exim4', replaces)


def test_senders_are_refused_for_exim4_naming_it_and_the_alternative(checked):
    problems = checked(installed_mtas=['exim4'], senders=[{'sender': 'orders@shop.example'}])[1]
    assert problems == ['smtp_relay_senders is refused with exim4 (smtp_relay_mta=auto): the role relays all mail of an '
                        'exim4 host as one user (exim hands an open, authenticated connection on to other senders\' '
                        'mail). Use smtp_relay_mta=postfix, which relays each sender as its own user, or remove '
                        'smtp_relay_senders.']


@pytest.mark.parametrize('values, start', [
    ({'sender_address': 'noreply@example.test'}, 'smtp_relay_sender_address is not supported with exim4'),
    ({'tls_security_level': 'encrypt'}, 'smtp_relay_tls_security_level encrypt is refused with exim4'),
    ({'tls_cert_match': ['relay.example.test']}, 'smtp_relay_tls_cert_match is refused with exim4'),
    ({'tls_ca_file': '/etc/ssl/$ca.pem'}, 'smtp_relay_tls_ca_file cannot be used with exim4'),
    ({'tls_ca_file': '/etc/ssl/my\\ca.pem'}, 'smtp_relay_tls_ca_file cannot be used with exim4'),
    ({'os_family': 'RedHat'}, 'exim4 (smtp_relay_mta=exim4) is supported on the Debian OS family only'),
])
def test_what_exim4_cannot_do_is_refused_naming_it_and_postfix(checked, values, start):
    problems = checked(mta='exim4', **values)[1]
    assert len(problems) == 1 and problems[0].startswith(start), problems
    assert 'smtp_relay_mta=exim4' in problems[0]
    assert 'smtp_relay_mta=postfix' in problems[0] or 'tls_ca_file' in problems[0]


@pytest.mark.parametrize('myhostname', ['mail 1.example.test', '${run{/bin/true}}', 'mail1.example.test\\'])
def test_exim4_takes_a_host_name_only_for_myhostname(checked, myhostname):
    """exim expands its primary_hostname macro."""
    problems = checked(mta='exim4', myhostname=myhostname)[1]
    assert len(problems) == 1 and problems[0].startswith('smtp_relay_myhostname must be a host name with exim4 '
                                                         '(smtp_relay_mta=exim4)'), problems


@pytest.mark.parametrize('values', [{'tls_security_level': 'verify'}, {'tls_ca_file': '/etc/ssl/private-ca.pem'},
                                    {'port': 465}, {'myhostname': 'mail1.example.test', 'mailname': 'example.test'}])
def test_exim4_takes_the_rest(checked, values):
    assert checked(mta='exim4', **values)[1] == []


def test_the_installed_mtas_come_from_the_host_facts():
    assert installed_mtas_of({'mtas': ['nullmailer']}) == ['nullmailer']
    assert installed_mtas_of({}) == [] and installed_mtas_of(None) == []


def test_nullmailer_with_the_defaults_is_fine(checked):
    assert checked(installed_mtas=['nullmailer'])[1] == []


def test_senders_are_refused_for_nullmailer_naming_it_and_the_alternative(checked):
    problems = checked(installed_mtas=['nullmailer'], senders=[{'sender': 'orders@shop.example'}])[1]
    assert problems == ['smtp_relay_senders is refused with nullmailer (smtp_relay_mta=auto): nullmailer relays all mail '
                        'of the host as one user. Use smtp_relay_mta=postfix, which relays each sender as its own '
                        'user, or remove smtp_relay_senders.']


@pytest.mark.parametrize('values, start', [
    ({'sender_address': 'noreply@example.test'}, 'smtp_relay_sender_address is not supported with nullmailer'),
    ({'tls_security_level': 'encrypt'}, 'smtp_relay_tls_security_level encrypt is refused with nullmailer'),
    ({'tls_cert_match': ['relay.example.test']}, 'smtp_relay_tls_cert_match is refused with nullmailer'),
    ({'tls_ca_file': '/etc/ssl/my:ca.pem'}, 'smtp_relay_tls_ca_file cannot be used with nullmailer'),
    ({'tls_ca_file': '/etc/ssl/my ca.pem'}, 'smtp_relay_tls_ca_file cannot be used with nullmailer'),
])
def test_what_nullmailer_cannot_do_is_refused(checked, values, start):
    problems = checked(mta='nullmailer', **values)[1]
    assert len(problems) == 1 and problems[0].startswith(start + ' (smtp_relay_mta=nullmailer)'), problems


def test_the_ca_file_refusal_says_why(checked):
    problem = checked(mta='nullmailer', tls_ca_file='/etc/ssl/my:ca.pem')[1][0]
    assert problem == ('smtp_relay_tls_ca_file cannot be used with nullmailer (smtp_relay_mta=nullmailer): '
                       '"/etc/ssl/my:ca.pem" holds a ":", a blank or a backslash, which Debian\'s nullmailer package '
                       'breaks apart when it rewrites remotes at its next upgrade or reconfigure. Move the CA file to a '
                       'path without them.')


def test_nullmailer_is_refused_outside_the_debian_family(checked):
    assert checked(os_family='RedHat', mta='nullmailer')[1] == [
        'nullmailer (smtp_relay_mta=nullmailer) is supported on the Debian OS family only, not RedHat: use '
        'smtp_relay_mta=postfix.']


def test_postfix_takes_what_nullmailer_refuses(checked):
    assert checked(installed_mtas=['postfix'], senders=[{'sender': 'orders@shop.example'}], tls_security_level='encrypt',
                   tls_cert_match=['relay.example.test'])[1] == []


@pytest.mark.parametrize('value, normalized, problems', [
    ('ops@example.com', 'ops@example.com', []),
    ('', None, []),
    ('ops', None, ['smtp_relay_admin_address must be an address (local@domain), not "ops": for example '
                   'postmaster@example.com, or leave it empty.']),
])
def test_the_admin_address(checked, value, normalized, problems):
    settings, found = checked(admin_address=value)
    assert (settings['admin_address'], found) == (normalized, problems)
