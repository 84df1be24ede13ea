# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sendclean_relay_facts on a scratch configuration root, with a stand-in postconf: what it reports, and that no
password is anywhere in its output."""

import json
import os
import shutil

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_state
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import with_options
from ansible_collections.sendclean.mta.plugins.module_utils._host_state import file_state
from ansible_collections.sendclean.mta.plugins.module_utils._mtas import installed_mtas
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import ALL_PACKAGES, map_files
from ansible_collections.sendclean.mta.plugins.modules import sendclean_relay_facts

PASSWORDS = ('Pw-default-7Qx2', 'Pw-orders-9Lk4', 'Pw-stale-3Hd8', 'Pw-other-5Mn1')
RELAY = '[us1-mta1.sendclean.net]:587'
POSTCONF = '''#!/bin/sh
case "$1" in
  -d) echo "mail_version = 3.10.1"; echo "default_database_type = lmdb"; echo "inet_interfaces = all"
      echo "soft_bounce = no"; echo "relayhost =" ;;
  -c) sed -n 's/^\\([a-z_]*\\) *= */\\1 = /p' "$2/main.cf" ;;
esac
'''


def write(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(str(path), mode)


@pytest.fixture
def root(tmp_path):
    """A scratch configuration root, and a stand-in postconf outside it."""
    (tmp_path / 'bin').mkdir()
    write(tmp_path / 'bin' / 'postconf', POSTCONF, 0o755)
    return tmp_path / 'root'


def run_module(capsys, root, expect_failure=False, **args):
    """The module's result, and its whole output as text."""
    with patch_module_args(dict({'config_root': str(root), 'postconf': str(root.parent / 'bin' / 'postconf')}, **args)):
        with pytest.raises(SystemExit) as caught:
            sendclean_relay_facts.main()
    output = capsys.readouterr().out
    result = json.loads(output)
    assert (caught.value.code == 1) is expect_failure, result
    return result, output


def record(users, pending=None, version=2):
    return json.dumps({'version': version, 'users': users, 'pending': pending or {}})


def file_facts(path):
    with patch_module_args({}):
        return file_state(AnsibleModule(argument_spec={}), str(path))


def test_a_host_without_anything(capsys, root):
    result, dummy = run_module(capsys, root, postconf=str(root / 'no-postconf'))
    facts = result['relay_facts']
    assert result['changed'] is False
    assert facts['identity'] == {'path': str(root / 'etc/sendclean/smtp_relay.json'),
                                 'sasl_passwd': str(root / 'etc/postfix/sasl_passwd'), 'users': {}, 'legacy': []}
    assert sorted(facts['files']) == sorted(['etc/postfix/main.cf', 'etc/postfix/sasl_passwd', 'etc/mailname',
                                             'etc/postfix/sendclean_relay.unchecked'] + map_files()
                                            + ['etc/nullmailer/remotes', 'etc/nullmailer/me',
                                               'etc/nullmailer/defaultdomain', 'etc/nullmailer/adminaddr',
                                               'etc/exim4/passwd.client'])
    assert not any(state['exists'] for state in facts['files'].values())
    assert (facts['credentials'], facts['os_family']) == ({}, None)
    # Every family's packages by default: the family may not be known before this read.
    assert sorted(facts['packages']) == sorted(ALL_PACKAGES)
    assert facts['postfix'] == {'installed': False, 'version': None, 'default_database_type': None,
                                'inet_interfaces': None, 'running': None, 'enabled': None, 'settings': None,
                                'explicit': None, 'client_overrides': []}


def test_a_configured_host_with_no_password_in_the_output(capsys, root):
    write(root / 'etc/sendclean/smtp_relay.json', record(
        {'default': {'name': 'smtp1', 'password': PASSWORDS[0], 'issued': 1700000000},
         'orders@shop.example': {'name': 'smtp2', 'password': PASSWORDS[1], 'issued': 1700000000},
         '@news.example': {'name': 'smtp3', 'password': None, 'issued': None}},
        {'@sales.example': {'total_limit': 123456789, 'hourly_limit': 100, 'since': 1700000000}}))
    write(root / 'etc/postfix/sasl_passwd', 'orders@shop.example smtp2:%s\n@news.example smtp3:%s\n'
          '@gone.example smtp4:%s\n%s smtp1:%s\n' % (PASSWORDS[2], PASSWORDS[2], PASSWORDS[3], RELAY, PASSWORDS[0]))
    write(root / 'etc/postfix/sasl_passwd.lmdb', 'map')
    write(root / 'etc/postfix/main.cf', 'relayhost = %s\ninet_interfaces = loopback-only\n' % RELAY, 0o644)
    result, output = run_module(capsys, root)
    facts = result['relay_facts']
    assert facts['credentials'] == {
        RELAY: {'user': 'smtp1', 'current': True},
        'orders@shop.example': {'user': 'smtp2', 'current': False},  # not the record's password
        '@news.example': {'user': 'smtp3', 'current': False},  # the record has none
        '@gone.example': {'user': 'smtp4', 'current': False},  # a user the record does not hold
    }
    assert facts['identity']['users'] == {
        'default': {'name': 'smtp1', 'has_password': True, 'issued': 1700000000, 'rotation_unsettled': False, 'pending': None, 'marker': None},
        'orders@shop.example': {'name': 'smtp2', 'has_password': True, 'issued': 1700000000, 'rotation_unsettled': False, 'pending': None,
                                'marker': None},
        '@news.example': {'name': 'smtp3', 'has_password': True, 'issued': None, 'rotation_unsettled': False, 'pending': None,  # sasl_passwd's
                          'marker': None},
        '@sales.example': {'name': None, 'has_password': False, 'issued': None, 'rotation_unsettled': False,
                           'marker': None,
                           'pending': {'total_limit': 123456789, 'hourly_limit': 100, 'since': 1700000000}}}
    assert facts['identity']['legacy'] == ['@news.example']
    assert facts['files']['etc/postfix/sasl_passwd'] == file_facts(root / 'etc/postfix/sasl_passwd')
    assert facts['files']['etc/postfix/sasl_passwd.lmdb']['exists'] is True
    assert facts['files']['etc/postfix/main.cf']['mode'] == '0644'
    assert facts['postfix'] == {
        'installed': True, 'version': '3.10.1', 'default_database_type': 'lmdb', 'inet_interfaces': 'loopback-only',
        'running': None, 'enabled': None,
        'settings': {'relayhost': RELAY, 'inet_interfaces': 'loopback-only', 'soft_bounce': 'no'},
        'explicit': ['relayhost', 'inet_interfaces'], 'client_overrides': []}
    assert not any(password in output for password in PASSWORDS)


def test_a_version_1_record_has_the_passwords_of_its_credentials_file(capsys, root):
    write(root / 'etc/sendclean/smtp_relay.json', record({'default': 'smtp1'}, version=1))
    write(root / 'etc/postfix/sasl_passwd', '%s smtp1:%s\n' % (RELAY, PASSWORDS[0]))
    result, output = run_module(capsys, root)
    assert result['relay_facts']['identity']['users'] == {'default': {'name': 'smtp1', 'has_password': True,
                                                                      'issued': None, 'rotation_unsettled': False, 'pending': None, 'marker': None}}
    assert result['relay_facts']['credentials'] == {RELAY: {'user': 'smtp1', 'current': False}}
    assert PASSWORDS[0] not in output


def test_a_host_of_0_1_without_a_record_holds_the_user_of_its_relay_line(capsys, root):
    write(root / 'etc/postfix/sasl_passwd', '%s smtp1:%s\n' % (RELAY, PASSWORDS[0]))
    result, dummy = run_module(capsys, root)
    assert result['relay_facts']['identity']['users'] == {'default': {'name': 'smtp1', 'has_password': True,
                                                                      'issued': None, 'rotation_unsettled': False, 'pending': None, 'marker': None}}


@pytest.mark.parametrize('content', ['{"version": 2, "users": {', '["a list"]'])
def test_a_corrupt_record_fails_naming_the_file(capsys, root, content):
    write(root / 'etc/sendclean/smtp_relay.json', content)
    result, dummy = run_module(capsys, root, expect_failure=True)
    assert str(root / 'etc/sendclean/smtp_relay.json') in result['msg']
    assert 'restore it from a backup, or remove it to start again' in result['msg']


def test_an_unreadable_credentials_file_fails_naming_it(capsys, root):
    (root / 'etc/postfix/sasl_passwd').mkdir(parents=True)  # a directory cannot be read as a file
    result, dummy = run_module(capsys, root, expect_failure=True)
    assert result['msg'].startswith('cannot read the credentials file %s' % (root / 'etc/postfix/sasl_passwd'))


def test_an_unreadable_record_fails_naming_it(capsys, root):
    (root / 'etc/sendclean/smtp_relay.json').mkdir(parents=True)
    result, dummy = run_module(capsys, root, expect_failure=True)
    assert str(root / 'etc/sendclean/smtp_relay.json') in result['msg']
    assert 'credentials file' not in result['msg']


def test_the_packages(capsys, root):
    result, dummy = run_module(capsys, root, packages=['no-such-package-sendclean'])
    assert result['relay_facts']['packages'] == {'no-such-package-sendclean': False}


# --- the MTAs, and nullmailer ---

REMOTE = 'us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'


def test_the_mtas_are_told_by_their_programs(tmp_path):
    for name in ('postconf', 'nullmailer-send'):
        write(tmp_path / name, '', 0o755)
    programs = (('postfix', str(tmp_path / 'postconf')), ('exim4', str(tmp_path / 'exim4')),
                ('nullmailer', str(tmp_path / 'nullmailer-send')))
    assert installed_mtas(programs) == ['postfix', 'nullmailer']
    assert installed_mtas(programs[1:2]) == []


def test_the_module_reports_the_host_s_mtas(capsys, root, monkeypatch):
    monkeypatch.setattr(sendclean_relay_facts, 'installed_mtas', lambda: ['nullmailer'])
    result, dummy = run_module(capsys, root, postconf=str(root / 'no-postconf'))
    assert result['relay_facts']['mtas'] == ['nullmailer']
    assert result['relay_facts']['nullmailer'] == {'installed': True, 'remotes': {}, 'remote_lines': 0,
                                                   'trigger': 'missing', 'running': None, 'enabled': None}
    assert result['relay_facts']['exim4'] is None


def test_nullmailer_s_remotes_with_no_password_in_the_output(capsys, root):
    write(root / 'etc/sendclean/smtp_relay.json', record(
        {'default': {'name': 'smtp1', 'password': PASSWORDS[0], 'issued': 1700000000}}))
    write(root / 'etc/nullmailer/remotes', '# the relay\n%s --user=smtp1 --pass=%s\n%s --user=smtp1 --pass=%s\n'
          'old.example.test smtp\n' % (REMOTE, PASSWORDS[0], REMOTE, PASSWORDS[0]))
    result, output = run_module(capsys, root, postconf=str(root / 'no-postconf'))
    nullmailer = result['relay_facts']['nullmailer']
    assert nullmailer['remotes'] == {REMOTE: {'user': 'smtp1', 'current': True},
                                     'old.example.test smtp': {'user': None, 'current': False}}
    assert nullmailer['remote_lines'] == 3  # the same line twice counts twice
    assert result['relay_facts']['files']['etc/nullmailer/remotes']['mode'] == '0600'
    assert not any(password in output for password in PASSWORDS)


def test_a_stale_password_in_remotes_is_not_current(capsys, root):
    write(root / 'etc/sendclean/smtp_relay.json', record(
        {'default': {'name': 'smtp1', 'password': PASSWORDS[0], 'issued': 1700000000}}))
    write(root / 'etc/nullmailer/remotes', "%s --user=smtp1 '--pass=%s'\n" % (REMOTE, PASSWORDS[2]))
    result, output = run_module(capsys, root, postconf=str(root / 'no-postconf'))
    assert result['relay_facts']['nullmailer']['remotes'] == {REMOTE: {'user': 'smtp1', 'current': False}}
    assert PASSWORDS[2] not in output


@pytest.mark.parametrize('make, state', [(os.mkfifo, 'fifo'), (lambda path: open(path, 'w').close(), 'other')])
def test_the_trigger_fifo(capsys, root, make, state):
    (root / 'var/spool/nullmailer').mkdir(parents=True)
    make(str(root / 'var/spool/nullmailer/trigger'))
    result, dummy = run_module(capsys, root, postconf=str(root / 'no-postconf'))
    assert result['relay_facts']['nullmailer']['trigger'] == state


# --- exim4, on a root of the files Debian 13's exim4-config ships ---

EXIM4_FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'exim4-debian13')
EXIM_RELAY = 'us1-mta1.sendclean.net'
EXIM_CANONICAL = 'mta-a.sendclean.net'


@pytest.fixture
def exim4_root(root, monkeypatch):
    """``root`` with Debian 13's exim4 files (the template, the split transport file, passwd.client as shipped), exim4
    installed, and a resolver that gives the relay's name a canonical name of its own (a CNAME)."""
    transport_dir = root / 'etc/exim4/conf.d/transport'
    transport_dir.mkdir(parents=True)
    (root / 'etc/exim4/conf.d/main').mkdir()
    for name in ('exim4.conf.template', 'passwd.client'):
        shutil.copy(os.path.join(EXIM4_FIXTURES, name), str(root / 'etc/exim4' / name))
    shutil.copy(os.path.join(EXIM4_FIXTURES, '30_exim4-config_remote_smtp_smarthost'), str(transport_dir))
    write(root / 'etc/exim4/update-exim4.conf.conf', "dc_eximconfig_configtype='local'\ndc_smarthost=''\n"
          "dc_use_split_config='false'\n", 0o644)
    os.chmod(str(root / 'etc/exim4/passwd.client'), 0o640)
    monkeypatch.setattr(sendclean_relay_facts, 'installed_mtas', lambda: ['exim4'])

    def getaddrinfo(name, *dummy):
        if name != EXIM_RELAY:
            raise _exim4_state.socket.gaierror('no such name')
        return [(2, 1, 6, EXIM_CANONICAL, ('192.0.2.1', 0))]

    monkeypatch.setattr(_exim4_state.socket, 'getaddrinfo', getaddrinfo)
    return root


def test_exim4_as_its_package_leaves_it(capsys, exim4_root):
    result, dummy = run_module(capsys, exim4_root, postconf=str(exim4_root / 'no-postconf'), relay_host=EXIM_RELAY)
    facts = result['relay_facts']
    assert facts['mtas'] == ['exim4']
    assert facts['exim4'] == {
        'split': False, 'update_conf': {'dc_eximconfig_configtype': 'local', 'dc_smarthost': '',
                                        'dc_use_split_config': 'false'},
        'macros': None, 'transport_current': False, 'foreign_options': [], 'hand_config': False,
        'generated_stale': True,  # nothing generated in this root
        'relay_canonical_name': EXIM_CANONICAL, 'passwd_client': {}, 'running': None, 'enabled': None}
    assert facts['files']['etc/exim4/passwd.client']['mode'] == '0640'


def test_exim4_s_passwd_client_with_no_password_in_the_output(capsys, exim4_root):
    """The password holds colons, as exim takes them (all after the login's colon); only user and currency come out."""
    password = PASSWORDS[0] + ':with:colons'
    write(exim4_root / 'etc/sendclean/smtp_relay.json', record(
        {'default': {'name': 'smtp1', 'password': password, 'issued': 1700000000}}))
    write(exim4_root / 'etc/exim4/passwd.client', '# the relay\n%s:smtp1:%s\n%s:smtp1:%s\nold.example.test:smtp9:%s\n'
          % (EXIM_RELAY, password, EXIM_CANONICAL, password, PASSWORDS[3]), 0o640)
    template = exim4_root / 'etc/exim4/exim4.conf.template'
    template.write_text(with_options(template.read_text()))
    result, output = run_module(capsys, exim4_root, postconf=str(exim4_root / 'no-postconf'), relay_host=EXIM_RELAY)
    exim4 = result['relay_facts']['exim4']
    assert exim4['passwd_client'] == {EXIM_RELAY: {'user': 'smtp1', 'current': True},
                                      EXIM_CANONICAL: {'user': 'smtp1', 'current': True},
                                      'old.example.test': {'user': 'smtp9', 'current': False}}
    assert exim4['transport_current'] is True
    assert not any(secret in output for secret in (password, PASSWORDS[0], PASSWORDS[3]))


def test_without_a_relay_host_nothing_is_resolved(capsys, exim4_root):
    result, dummy = run_module(capsys, exim4_root, postconf=str(exim4_root / 'no-postconf'))
    assert result['relay_facts']['exim4']['relay_canonical_name'] is None


def test_a_removed_exim4_s_passwd_client_is_watched_not_read(capsys, exim4_root, monkeypatch):
    """Debian removes exim4 without purging when another MTA replaces it: the file stays for that MTA's plan to
    retire; its lines are not read."""
    monkeypatch.setattr(sendclean_relay_facts, 'installed_mtas', lambda: ['postfix'])
    write(exim4_root / 'etc/exim4/passwd.client', '%s:smtp1:%s\n' % (EXIM_RELAY, PASSWORDS[0]), 0o640)
    result, output = run_module(capsys, exim4_root, postconf=str(exim4_root / 'no-postconf'), relay_host=EXIM_RELAY)
    assert result['relay_facts']['exim4'] is None
    assert result['relay_facts']['files']['etc/exim4/passwd.client']['exists'] is True
    assert PASSWORDS[0] not in output
