# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The exim4 plan of one host: the macros and the transport close exim's bounce traps, passwd.client is keyed as
exim looks it up, the host's local delivery stays, and a converged host has no step."""

import hashlib

import pytest

from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_exim4 import macro_lines, macro_values, update_conf_keys
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_exim4 import plan as make_plan

MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
PASSWD_CLIENT_AS_WRITTEN = {'exists': True, 'checksum': 'x', 'mode': '0640', 'owner': 'root', 'group': 'Debian-exim'}
USERS = {'default': {'name': 'smtp10000001', 'state': 'present', 'password_changed': False, 'changes': []}}
RELAY = 'us1-mta1.sendclean.net'


def settings(**overrides):
    """The role's settings as _relay_input.check gives them for the defaults on an exim4 host of Debian."""
    values = {
        'os_family': 'Debian', 'state': 'present', 'mta': 'exim4', 'mta_replaces': [], 'senders': [],
        'host': RELAY, 'port': 587, 'tls_security_level': 'secure', 'tls_ca_file': None, 'tls_cert_match': None,
        'sender_address': None, 'mailname': None, 'myhostname': None, 'admin_address': None,
        'manage_packages': True, 'manage_service': True, 'config_root': '/', 'config_owner': 'root',
        'config_group': 'root'}
    values.update(overrides)
    return values


def host(split=False, configtype='local', smarthost='', macros=None, transport_current=False, canonical=None,
         passwd_client=None, installed=True, running=True, enabled=True, files=None, foreign_options=(),
         hand_config=False, generated_stale=False):
    """relay_facts of a Debian host with exim4 (unless not ``installed``), as its package leaves it by default."""
    every_file = {'etc/exim4/passwd.client': PASSWD_CLIENT_AS_WRITTEN}
    every_file.update(files or {})
    return {'files': every_file, 'mtas': ['exim4'] if installed else [],
            'packages': {'ca-certificates': True},
            'exim4': {'split': split, 'update_conf': {'dc_eximconfig_configtype': configtype, 'dc_smarthost': smarthost},
                      'macros': macros, 'transport_current': transport_current, 'foreign_options': list(foreign_options),
                      'hand_config': hand_config, 'generated_stale': generated_stale,
                      'relay_canonical_name': canonical or RELAY, 'passwd_client': passwd_client or {},
                      'running': running, 'enabled': enabled}}


def converged(**options):
    """A host the role configured: smarthost, the macros, the transport, and the relay's credentials."""
    values = dict(configtype='smarthost', smarthost=RELAY + '::587', macros=macro_lines(settings()),
                  transport_current=True, passwd_client={RELAY: {'user': 'smtp10000001', 'current': True}})
    values.update(options)
    return host(**values)


def plan(the_settings=None, facts=None, users=None, check_mode=False):
    return make_plan(the_settings or settings(), facts or host(), users or USERS, check_mode)


# --- the traps of exim's defaults ---

def test_tls_is_required_so_an_unverified_relay_defers_the_mail():
    """Without REQUIRE_TLS exim delivers in clear, without AUTH, and the relay's 530 bounces the mail."""
    assert macro_values(settings())[0] == ('REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS', '*')
    assert plan()['macros']['lines'] == macro_lines(settings())


@pytest.mark.parametrize('port, ca_file', [(587, None), (465, '/etc/ssl/private-ca.pem')])
def test_a_macro_the_host_defines_itself_is_redefined_not_defined_twice(port, ca_file):
    """exim refuses a second plain definition ("already defined"): a host with its own
    REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS line made update-exim4.conf fail on every run (found in a Debian 12 root).
    Each macro is redefined with == when defined, defined with = when not (measured: rc 0 both ways)."""
    the_settings = settings(port=port, tls_ca_file=ca_file)
    lines = macro_lines(the_settings)
    values = macro_values(the_settings)
    assert len(lines) == 5 * len(values)
    for index, (name, value) in enumerate(values):
        assert lines[5 * index:5 * index + 5] == [
            '.ifdef ' + name, name + ' == ' + value, '.else', name + ' = ' + value, '.endif']
    plain = [line for line in lines if not line.startswith('.') and ' == ' not in line]
    assert len(plain) == len(values)


def test_the_role_s_ca_file_replaces_the_system_store_only_when_set():
    assert not any('VERIFY_CERTIFICATES' in line for line in macro_lines(settings()))
    assert ('REMOTE_SMTP_SMARTHOST_TLS_VERIFY_CERTIFICATES', '/etc/ssl/private-ca.pem') in macro_values(
        settings(tls_ca_file='/etc/ssl/private-ca.pem'))


def test_port_465_speaks_tls_from_the_start():
    assert ('REMOTE_SMTP_SMARTHOST_PROTOCOL', 'smtps') in macro_values(settings(port=465))
    assert not any('PROTOCOL' in line for line in macro_lines(settings()))


def test_myhostname_is_exim_s_primary_hostname_only_when_set():
    """update-exim4.conf defines MAIN_HARDCODE_PRIMARY_HOSTNAME itself with dc_minimaldns: the role's redefines it."""
    assert ('MAIN_HARDCODE_PRIMARY_HOSTNAME', 'mail1.example.test') in macro_values(
        settings(myhostname='mail1.example.test'))
    assert not any('PRIMARY_HOSTNAME' in line for line in macro_lines(settings()))
    planned = plan(settings(myhostname='mail1.example.test'), facts=converged())
    assert (planned['macros']['write'], planned['update_needed']) == (True, True)


def test_mailname_is_written_and_built_into_the_configuration_only_when_set():
    """update-exim4.conf takes /etc/mailname into what it builds (qualify_domain): a new mailname builds again."""
    planned = plan(settings(mailname='example.test'), facts=converged())
    assert planned['mailname'] == {'path': '/etc/mailname', 'mode': '0644', 'owner': 'root', 'group': 'root',
                                   'content': 'example.test\n', 'write': True}
    assert (planned['steps_needed'], planned['update_needed']) == (True, True)
    assert plan(facts=converged())['mailname'] == dict(planned['mailname'], content=None, write=False)


@pytest.mark.parametrize('split, path, source', [
    (False, '/etc/exim4/exim4.conf.template', '/etc/exim4/exim4.conf.template'),
    (True, '/etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost.rul',
     '/etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost'),
])
def test_the_transport_gets_the_options_in_either_configuration(split, path, source):
    """hosts_require_auth (a refused login defers instead of bouncing) has no Debian macro: the transport's text."""
    planned = plan(facts=host(split=split))
    assert (planned['transport']['write'], planned['transport']['path'], planned['transport']['source']) == (True, path, source)
    assert planned['macros']['path'] == ('/etc/exim4/conf.d/main/000_localmacros' if split else '/etc/exim4/exim4.conf.localmacros')
    assert planned['update_needed'] is True


def test_a_transport_option_the_host_sets_itself_is_a_problem():
    problems = plan(facts=host(foreign_options=['hosts_require_auth']))['problems']
    assert len(problems) == 1 and 'already sets hosts_require_auth' in problems[0]


def test_passwd_client_is_keyed_by_the_name_exim_looks_up():
    """exim looks the line up by the relay's canonical name, while it checks the certificate with the configured one."""
    assert plan()['credentials']['entries'] == {RELAY: 'default'}
    cnamed = plan(facts=host(canonical='mta-a.sendclean.net'))['credentials']
    assert cnamed['entries'] == {RELAY: 'default', 'mta-a.sendclean.net': 'default'}
    assert (cnamed['owner'], cnamed['group'], cnamed['mode']) == ('root', 'Debian-exim', '0640')


def test_a_moved_canonical_name_rewrites_passwd_client():
    moved = converged(canonical='mta-b.sendclean.net', passwd_client={
        RELAY: {'user': 'smtp10000001', 'current': True}, 'mta-a.sendclean.net': {'user': 'smtp10000001', 'current': True}})
    assert plan(facts=moved)['credentials']['write'] is True


# --- the host's own choices stay ---

@pytest.mark.parametrize('configtype, expected', [
    ('local', 'smarthost'), ('internet', 'smarthost'), ('smarthost', 'smarthost'), ('satellite', 'satellite'),
    ('none', 'smarthost'),
])
def test_local_delivery_stays_as_the_host_had_it(configtype, expected):
    keys = dict((item['key'], item['value']) for item in update_conf_keys(settings(), {'dc_eximconfig_configtype': configtype}))
    assert keys.get('dc_eximconfig_configtype', configtype) == expected
    assert keys['dc_smarthost'] == RELAY + '::587'


# --- converged, check mode, decommission, switching ---

@pytest.mark.parametrize('split', [False, True])
def test_a_converged_host_has_no_step(split):
    planned = plan(facts=converged(split=split))
    assert (planned['steps_needed'], planned['changes'], planned['update_needed'], planned['update_conf']['settings'],
            planned['macros']['write'], planned['transport']['write'], planned['credentials']['write']) == (
        False, False, False, [], False, False, False)


def test_a_host_with_the_role_s_mailname_has_no_step():
    the_settings = settings(mailname='example.test', myhostname='mail1.example.test')
    written = {'exists': True, 'checksum': hashlib.sha1(b'example.test\n').hexdigest(), 'mode': '0644',
               'owner': 'root', 'group': 'root'}
    planned = plan(the_settings, facts=converged(macros=macro_lines(the_settings), files={'etc/mailname': written}))
    assert (planned['steps_needed'], planned['mailname']['write']) == (False, False)


def test_a_rotation_writes_passwd_client_only():
    rotated = dict(USERS, default=dict(USERS['default'], password_changed=True))
    planned = plan(facts=converged(), users=rotated)
    assert (planned['credentials']['write'], planned['update_needed'], planned['flush_applies']) == (True, False, True)


def test_check_mode_rebuilds_nothing():
    planned = plan(check_mode=True)
    assert planned['changes'] is True and planned['update_needed'] is False and planned['flush_applies'] is False


def test_a_decommissioned_host_keeps_the_transport_and_loses_its_credentials():
    """Without credentials and with hosts_require_auth, exim defers at AUTH: the mail stays queued."""
    planned = plan(settings(state='disabled'), converged())
    assert planned['credentials']['state'] == 'absent' and planned['credentials']['write'] is True
    assert planned['transport']['write'] is False and planned['macros']['lines'] == []
    assert planned['packages'] == [] and planned['update_conf']['settings'] == []


def test_a_host_leaving_postfix_or_nullmailer_loses_their_credentials_files():
    files = {'etc/postfix/sasl_passwd': PASSWD_CLIENT_AS_WRITTEN, 'etc/nullmailer/remotes': PASSWD_CLIENT_AS_WRITTEN}
    planned = plan(settings(mta_replaces=['postfix']), host(files=files, installed=False))
    assert planned['retired'] == ['/etc/postfix/sasl_passwd', '/etc/nullmailer/remotes']
    assert planned['packages'] == ['exim4-daemon-light'] and planned['replaces'] == ['postfix']


# --- update-exim4.conf, and what the role cannot configure ---

def test_a_build_that_failed_last_run_is_built_again():
    """update-exim4.conf's rc 1 left the files written and the old configuration in use: not converged."""
    planned = plan(facts=converged(generated_stale=True))
    assert (planned['steps_needed'], planned['changes'], planned['update_needed']) == (True, False, True)
    assert plan(facts=converged(generated_stale=True), check_mode=True)['update_needed'] is False


def test_nothing_is_built_in_a_scratch_root():
    planned = plan(settings(config_root='/srv/image'))
    assert (planned['update_needed'], planned['start_needed'], planned['flush_applies'], planned['configure']) == (
        False, False, False, True)
    assert planned['macros']['path'] == '/srv/image/etc/exim4/exim4.conf.localmacros'


def test_a_hand_written_exim4_conf_is_a_problem():
    problems = plan(facts=converged(hand_config=True))['problems']
    assert len(problems) == 1 and problems[0].startswith('/etc/exim4/exim4.conf exists: exim reads it instead')


def test_check_mode_on_a_host_without_exim4_reports_the_install_only():
    planned = plan(facts=host(installed=False), check_mode=True)
    assert (planned['packages'], planned['configure'], planned['transport']['write']) == (
        ['exim4-daemon-light'], False, False)


def test_the_macros_block_is_the_one_the_facts_read():
    macros = plan()['macros']
    assert (macros['marker'], macros['owner'], macros['group'], macros['mode'], macros['state']) == (
        '# {mark} sendclean.mta.smtp_relay', 'root', 'root', '0644', 'present')
