# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nullmailer plan of one host: the relay's line closes each trap of nullmailer's defaults, every file is
compared with the host's, and a converged host has no step."""

import hashlib

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_remotes import split
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_nullmailer import plan as make_plan
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_nullmailer import remote_key

RELAY_LINE = 'us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'
MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
USERS = {'default': {'name': 'smtp10000001', 'state': 'present', 'password_changed': False, 'changes': []}}


def settings(**overrides):
    """The role's settings as _relay_input.check gives them for the defaults on a nullmailer host of Debian."""
    values = {
        'os_family': 'Debian', 'state': 'present', 'mta': 'nullmailer', 'mta_replaces': [], 'senders': [],
        'host': 'us1-mta1.sendclean.net', 'port': 587, 'tls_security_level': 'secure', 'tls_ca_file': None,
        'tls_cert_match': None, 'sender_address': None, 'mailname': None, 'myhostname': None, 'admin_address': None,
        'manage_packages': True, 'manage_service': True, 'config_root': '/', 'config_owner': 'root',
        'config_group': 'root'}
    values.update(overrides)
    return values


def plan(the_settings, facts, users, check_mode=False):
    return make_plan(the_settings, facts, users, check_mode)


def written(content, mode='0644', owner='root', group='root'):
    return {'exists': True, 'checksum': hashlib.sha1(content.encode('utf-8')).hexdigest(), 'mode': mode,
            'owner': owner, 'group': group}


REMOTES_AS_WRITTEN = written('x', '0600', 'mail', 'mail')


def host(files=None, remotes=None, remote_lines=None, installed=True, running=True, enabled=True, trigger='fifo',
         packages=None):
    """relay_facts of a host with nullmailer (unless not ``installed``): its files, remotes' entries, trigger, service."""
    every_file = {'etc/nullmailer/remotes': REMOTES_AS_WRITTEN if remotes else MISSING}
    every_file.update(files or {})
    remotes = remotes or {}
    return {'files': every_file, 'mtas': ['nullmailer'] if installed else [],
            'packages': packages if packages is not None else {'ca-certificates': True},
            'nullmailer': {'installed': installed, 'remotes': remotes,
                           'remote_lines': len(remotes) if remote_lines is None else remote_lines,
                           'trigger': trigger, 'running': running, 'enabled': enabled}}


def converged(**options):
    """A host that holds the relay's line with the current password of the default user."""
    return host(remotes={RELAY_LINE: {'user': 'smtp10000001', 'current': True}}, **options)


# --- the relay's line: one fix per trap ---

def test_the_relay_line():
    assert remote_key(settings()) == RELAY_LINE


def test_tls_is_always_on():
    """Without --starttls or --ssl nullmailer sends AUTH in clear."""
    assert '--starttls' in split(remote_key(settings()))
    assert split(remote_key(settings(port=465)))[2:4] == ['--port=465', '--ssl']
    assert '--starttls' in split(remote_key(settings(port=2525)))


def test_the_ca_file_is_always_named():
    """Without a CA file nullmailer verifies no certificate, and sends the password anyway."""
    assert split(remote_key(settings()))[-1] == '--x509cafile=/etc/ssl/certs/ca-certificates.crt'
    assert split(remote_key(settings(tls_ca_file='/etc/ssl/private-ca.pem')))[-1] == '--x509cafile=/etc/ssl/private-ca.pem'


@pytest.mark.parametrize('option', ['--auth-login', '--insecure', '--tls-anon-auth'])
def test_the_line_never_weakens_the_relay(option):
    """--auth-login turns a refused login (535) into a bounce; --insecure and --tls-anon-auth skip the certificate."""
    for values in ({}, {'port': 465}, {'tls_security_level': 'verify'}, {'tls_ca_file': '/ca.pem'}):
        assert option not in split(remote_key(settings(**values)))


@pytest.mark.parametrize('held_key', [RELAY_LINE + ' --auth-login', RELAY_LINE + ' --insecure',
                                      'us1-mta1.sendclean.net smtp --port=587 --starttls',
                                      'us1-mta1.sendclean.net smtp --port=587 --x509cafile=/etc/ssl/certs/ca-certificates.crt'])
def test_a_host_line_that_weakens_the_relay_is_rewritten(held_key):
    planned = plan(settings(), host(remotes={held_key: {'user': 'smtp10000001', 'current': True}}), USERS)
    assert planned['credentials']['write'] is True
    assert planned['credentials']['entries'] == {RELAY_LINE: 'default'}


# --- remotes ---

def test_a_converged_host_has_no_step():
    planned = plan(settings(), converged(), USERS)
    assert planned['steps_needed'] is False
    assert (planned['files'], planned['credentials']['write'], planned['retired'], planned['packages']) == ([], False, [], [])


OLD_LINE = {'old.example smtp': {'user': None, 'current': False}}


@pytest.mark.parametrize('options', [
    {'remotes': {RELAY_LINE: {'user': 'smtp10000001', 'current': False}}},  # not the record's password
    {'remotes': {RELAY_LINE: {'user': 'smtp99', 'current': True}}},  # another user
    {'remotes': dict(OLD_LINE, **{RELAY_LINE: {'user': 'smtp10000001', 'current': True}})},  # a line more
    {'remotes': {RELAY_LINE: {'user': 'smtp10000001', 'current': True}}, 'remote_lines': 2},  # the same line twice
    {'remotes': {RELAY_LINE: {'user': 'smtp10000001', 'current': True}},
     'files': {'etc/nullmailer/remotes': written('x', '0644', 'mail', 'mail')}},  # readable by all
    {'remotes': {RELAY_LINE: {'user': 'smtp10000001', 'current': True}},
     'files': {'etc/nullmailer/remotes': written('x', '0600', 'root', 'root')}},  # not the mail user's
])
def test_remotes_is_written_when_it_differs(options):
    planned = plan(settings(), host(**options), USERS)
    assert planned['credentials']['write'] is True and planned['steps_needed'] is True


def test_a_rotated_password_is_written():
    users = {'default': dict(USERS['default'], password_changed=True)}
    planned = plan(settings(), converged(), users)
    assert planned['credentials']['write'] is True and planned['credentials']['rotated'] == ['default']


def test_remotes_is_the_mail_user_s_and_private():
    credentials = plan(settings(), host(), USERS)['credentials']
    assert (credentials['owner'], credentials['group'], credentials['mode'], credentials['format']) == (
        'mail', 'mail', '0600', 'nullmailer_remotes')
    assert credentials['path'] == '/etc/nullmailer/remotes' and credentials['record_path'] == '/etc/sendclean/smtp_relay.json'


def test_a_scratch_root_gets_the_files_and_no_service():
    planned = plan(settings(config_root='/srv/image/'), host(installed=False, running=None, enabled=None), USERS)
    assert planned['credentials']['path'] == '/srv/image/etc/nullmailer/remotes'
    assert planned['trigger']['path'] == '/srv/image/var/spool/nullmailer/trigger'
    assert (planned['on_host'], planned['start_needed'], planned['restart_applies']) == (False, False, False)
    # The line names the CA file nullmailer reads when it runs, not the one in the image.
    assert list(planned['credentials']['entries']) == [RELAY_LINE]


# --- the other files, the packages, the trigger and the service ---

def test_me_defaultdomain_adminaddr_and_mailname_come_from_the_variables():
    planned = plan(settings(myhostname='web1.example.com', mailname='example.com', admin_address='ops@example.com'),
                   converged(), USERS)
    assert [(item['path'], item['content'], item['mode']) for item in planned['files']] == [
        ('/etc/nullmailer/me', 'web1.example.com\n', '0644'), ('/etc/nullmailer/defaultdomain', 'example.com\n', '0644'),
        ('/etc/mailname', 'example.com\n', '0644'), ('/etc/nullmailer/adminaddr', 'ops@example.com\n', '0644')]


def test_an_empty_variable_leaves_the_host_s_file_and_a_file_as_wanted_is_not_written():
    facts = converged(files={'etc/nullmailer/me': written('web1.example.com\n'),
                             'etc/nullmailer/defaultdomain': written('local.example\n')})
    planned = plan(settings(myhostname='web1.example.com'), facts, USERS)
    assert planned['files'] == [] and planned['steps_needed'] is False


def test_a_host_without_nullmailer_gets_it_and_the_ca_bundle():
    planned = plan(settings(), host(installed=False, running=None, enabled=None, packages={'ca-certificates': False}),
                   USERS)
    assert planned['packages'] == ['nullmailer', 'ca-certificates']
    assert planned['start_needed'] is True and planned['restart_applies'] is False
    assert planned['ca_file'] == '/etc/ssl/certs/ca-certificates.crt'


def test_check_mode_starts_no_nullmailer_it_would_install():
    facts = host(installed=False, running=None, enabled=None)
    assert plan(settings(), facts, USERS, check_mode=True)['start_needed'] is False
    assert plan(settings(), converged(running=False), USERS, check_mode=True)['start_needed'] is True


def test_a_host_without_nullmailer_that_the_role_may_not_install_is_a_problem():
    planned = plan(settings(manage_packages=False), host(installed=False, running=None, enabled=None), USERS)
    assert planned['problems'] == ['nullmailer is not installed and smtp_relay_manage_packages is false: install '
                                   'nullmailer and ca-certificates, or let the role install them.']


def test_a_scratch_root_needs_no_nullmailer_on_the_host():
    planned = plan(settings(manage_packages=False, config_root='/srv/image'), host(installed=False), USERS)
    assert planned['problems'] == []


def test_a_scratch_root_makes_no_trigger():
    planned = plan(settings(config_root='/srv/image'), host(trigger='missing'), USERS)
    assert planned['trigger']['create'] is False


def test_a_missing_trigger_is_made_and_another_file_there_is_a_problem():
    assert plan(settings(), converged(trigger='missing'), USERS)['trigger']['create'] is True
    assert plan(settings(), converged(trigger='missing'), USERS)['steps_needed'] is True
    other = plan(settings(), converged(trigger='other'), USERS)
    assert other['problems'] == ['/var/spool/nullmailer/trigger is not a FIFO, so nullmailer-send cannot be woken for '
                                 'new mail: remove it, and the role makes the FIFO.']
    trigger = plan(settings(), converged(trigger='missing'), USERS)['trigger']
    assert (trigger['owner'], trigger['group'], trigger['mode']) == ('mail', 'root', '0622')


@pytest.mark.parametrize('running, enabled, start', [(True, True, False), (False, True, True), (True, False, True)])
def test_nullmailer_is_started_unless_it_runs_and_starts_at_boot(running, enabled, start):
    assert plan(settings(), converged(running=running, enabled=enabled), USERS)['start_needed'] is start
    assert plan(settings(manage_service=False), converged(running=running, enabled=enabled), USERS)['start_needed'] is False


def test_a_change_restarts_a_running_nullmailer():
    assert plan(settings(), host(), USERS)['restart_applies'] is True
    assert plan(settings(), host(running=False), USERS)['restart_applies'] is False


def test_postfix_s_credentials_are_removed_when_nullmailer_relays():
    facts = converged(files={'etc/postfix/sasl_passwd': written('x', '0600'), 'etc/postfix/sasl_passwd.db': written('y')})
    planned = plan(settings(mta_replaces=['postfix']), facts, USERS)
    assert planned['retired'] == ['/etc/postfix/sasl_passwd', '/etc/postfix/sasl_passwd.db']
    assert planned['replaces'] == ['postfix'] and planned['steps_needed'] is True


def test_exim4_s_credentials_are_removed_when_nullmailer_relays():
    facts = converged(files={'etc/exim4/passwd.client': written('x', '0640')})
    assert plan(settings(mta_replaces=['exim4']), facts, USERS)['retired'] == ['/etc/exim4/passwd.client']


# --- decommission ---

def test_a_decommissioned_host_loses_remotes_and_stops_nullmailer():
    planned = plan(settings(state='disabled', myhostname='web1.example.com'), converged(), USERS)
    assert planned['credentials']['state'] == 'absent' and planned['credentials']['write'] is True
    assert (planned['stop_needed'], planned['start_needed'], planned['packages'], planned['files']) == (True, False, [], [])
    assert planned['trigger']['create'] is False and planned['ca_file'] is None


def test_a_decommissioned_host_converges():
    facts = host(running=False, enabled=False)
    planned = plan(settings(state='disabled'), facts, USERS)
    assert planned['steps_needed'] is False
