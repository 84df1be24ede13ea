# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sendclean_relay_credentials on a scratch directory: the file built from the host's record, written only when it
differs, private, its map built with a stand-in postmap (and the real one where Postfix is installed), removed on
decommission; no password in any output."""

import grp
import json
import os
import pwd
import stat
import subprocess

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_passwd_client import parse as parse_passwd_client
from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_remotes import parse as parse_remotes
from ansible_collections.sendclean.mta.plugins.modules import sendclean_relay_credentials

RELAY = '[us1-mta1.sendclean.net]:587'
PASSWORDS = {'default': 'Pw-default-7Qx2', 'orders@shop.example': 'Pw-orders-9Lk4'}
ENTRIES = {'orders@shop.example': 'orders@shop.example', RELAY: 'default'}
CONTENT = 'orders@shop.example smtp2:%s\n%s smtp1:%s\n' % (PASSWORDS['orders@shop.example'], RELAY, PASSWORDS['default'])
# A stand-in postmap: logs its arguments, and builds the .db map of the text file, or fails printing the file.
POSTMAP = '''#!/bin/sh
echo "$*" >> %(log)s
file="${3#*:}"
if [ -e %(fail)s ]; then cat "$file" >&2; exit 1; fi
cp "$file" "$file.db"
'''
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def host(tmp_path):
    """A scratch host: the record (``record``), /etc/postfix (``dir``), the stand-in postmap and its log."""
    (tmp_path / 'etc' / 'postfix').mkdir(parents=True)
    (tmp_path / 'etc' / 'sendclean').mkdir()
    postmap = tmp_path / 'postmap'
    postmap.write_text(POSTMAP % {'log': tmp_path / 'postmap.log', 'fail': tmp_path / 'postmap-fails'})
    os.chmod(str(postmap), 0o755)
    values = {'record': tmp_path / 'etc' / 'sendclean' / 'smtp_relay.json', 'dir': tmp_path / 'etc' / 'postfix',
              'path': tmp_path / 'etc' / 'postfix' / 'sasl_passwd', 'postmap': postmap, 'log': tmp_path / 'postmap.log',
              'fail': tmp_path / 'postmap-fails'}
    write_record(values['record'], PASSWORDS)
    return values


def write_record(path, passwords):
    users = {'default': {'name': 'smtp1', 'password': passwords.get('default'), 'issued': 1700000000},
             'orders@shop.example': {'name': 'smtp2', 'password': passwords.get('orders@shop.example'),
                                     'issued': 1700000000}}
    path.write_text(json.dumps({'version': 2, 'users': users, 'pending': {}}))
    os.chmod(str(path), 0o600)


def run_module(capsys, host, expect_failure=False, check_mode=False, **args):
    """The module's result."""
    return run_module_output(capsys, host, expect_failure, check_mode, **args)[0]


def run_module_output(capsys, host, expect_failure=False, check_mode=False, **args):
    """The module's result, and its whole output as text."""
    given = dict({'record_path': str(host['record']), 'path': str(host['path']), 'entries': ENTRIES, 'map_type': 'hash',
                  'postmap': str(host['postmap']), 'owner': OWNER, 'group': GROUP, '_ansible_check_mode': check_mode},
                 **args)
    with patch_module_args(dict((key, value) for key, value in given.items() if value is not None)):
        with pytest.raises(SystemExit) as caught:
            sendclean_relay_credentials.main()
    output = capsys.readouterr().out
    result = json.loads(output)
    assert (caught.value.code == 1) is expect_failure, result
    assert not any(password in output for password in PASSWORDS.values())
    return result, output


def postmap_runs(host):
    return host['log'].read_text().splitlines() if host['log'].exists() else []


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_the_file_is_built_from_the_record_with_its_map(capsys, host):
    result = run_module(capsys, host)
    assert result['changed'] is True
    assert result['credentials'] == {'path': str(host['path']), 'state': 'present', 'removed': [], 'written': True,
                                     'map_built': True, 'entries': {'orders@shop.example': 'smtp2', RELAY: 'smtp1'}}
    assert host['path'].read_text() == CONTENT
    assert mode_of(host['path']) == 0o600
    assert postmap_runs(host) == ['-c %s hash:%s' % (host['dir'], host['path'])]


def test_a_second_run_changes_nothing(capsys, host):
    run_module(capsys, host)
    result = run_module(capsys, host)
    assert (result['changed'], result['credentials']['written'], result['credentials']['map_built']) == (False, False, False)
    assert len(postmap_runs(host)) == 1


def test_a_missing_map_is_built_without_writing_the_file(capsys, host):
    run_module(capsys, host)
    os.remove(str(host['path']) + '.db')
    result = run_module(capsys, host)
    assert (result['changed'], result['credentials']['written'], result['credentials']['map_built']) == (True, False, True)
    assert len(postmap_runs(host)) == 2


def test_a_file_readable_by_others_is_made_private(capsys, host):
    run_module(capsys, host)
    os.chmod(str(host['path']), 0o644)
    result = run_module(capsys, host)
    assert (result['changed'], result['credentials']['written']) == (True, False)
    assert mode_of(host['path']) == 0o600


def test_a_new_password_in_the_record_rewrites_the_file(capsys, host):
    run_module(capsys, host)
    write_record(host['record'], dict(PASSWORDS, default='Pw-default-new-2Zr5'))
    result = run_module(capsys, host)
    assert (result['changed'], result['credentials']['written'], result['credentials']['map_built']) == (True, True, True)
    assert host['path'].read_text().endswith('%s smtp1:Pw-default-new-2Zr5\n' % RELAY)


def test_texthash_needs_no_postmap(capsys, host):
    result = run_module(capsys, host, map_type='texthash')
    assert (result['changed'], result['credentials']['map_built']) == (True, False)
    assert postmap_runs(host) == []


def test_check_mode_writes_nothing_and_predicts_the_change(capsys, host):
    result = run_module(capsys, host, check_mode=True)
    assert (result['changed'], result['credentials']['written']) == (True, True)
    assert not host['path'].exists() and postmap_runs(host) == []


def test_check_mode_reports_a_rotated_password_as_a_change(capsys, host):
    run_module(capsys, host)
    assert run_module(capsys, host, check_mode=True)['changed'] is False
    assert run_module(capsys, host, check_mode=True, rotated=['@other.example'])['changed'] is False
    result = run_module(capsys, host, check_mode=True, rotated=['default'])
    assert (result['changed'], result['credentials']['written']) == (True, True)
    assert host['path'].read_text() == CONTENT


@pytest.mark.parametrize('missing', ['record slot', 'directory'])
def test_check_mode_predicts_a_change_for_what_the_real_run_will_have(capsys, host, missing):
    if missing == 'record slot':
        entries = dict(ENTRIES, **{'@new.example': '@new.example'})
        result = run_module(capsys, host, check_mode=True, entries=entries)
    else:
        result = run_module(capsys, host, check_mode=True, path=str(host['dir'] / 'missing' / 'sasl_passwd'))
    assert result['changed'] is True


def test_a_slot_without_a_password_fails_naming_it_and_its_user(capsys, host):
    write_record(host['record'], {'orders@shop.example': PASSWORDS['orders@shop.example']})
    result = run_module(capsys, host, expect_failure=True,
                        entries=dict(ENTRIES, **{'@new.example': '@new.example'}))
    assert result['msg'] == (
        'The host\'s record %s holds no password for the SMTP user(s) of default (smtp1), @new.example (no user), so %s '
        'cannot name them: run the role once with smtp_relay_rotate_password=true to set new ones.'
        % (host['record'], host['path']))
    assert not host['path'].exists()


def test_a_failing_postmap_fails_the_task_without_showing_a_password(capsys, host):
    host['fail'].write_text('')
    result = run_module(capsys, host, expect_failure=True)  # the stand-in prints the file to stderr
    assert result['msg'].startswith('%s -c %s hash:%s failed (rc 1): ' % (host['postmap'], host['dir'], host['path']))
    assert 'smtp1:********' in result['msg']


def test_a_missing_directory_fails_the_real_run(capsys, host):
    result = run_module(capsys, host, expect_failure=True, path=str(host['dir'] / 'missing' / 'sasl_passwd'))
    assert result['msg'] == 'The directory of %s is missing: install Postfix first.' % (host['dir'] / 'missing' / 'sasl_passwd')


def test_a_corrupt_record_fails_naming_it(capsys, host):
    host['record'].write_text('{"version": 2, "users": ')
    result = run_module(capsys, host, expect_failure=True)
    assert str(host['record']) in result['msg'] and 'not valid JSON' in result['msg']


@pytest.mark.parametrize('args, message', [
    ({'entries': {'bad key': 'default'}}, "entries has lookup keys Postfix cannot read (empty, with blanks, or a comment): "
                                          "'bad key'"),
    ({'owner': 'no-such-user-sendclean'}, 'the owner no-such-user-sendclean of the credentials file does not exist'),
    ({'entries': None}, 'state is present but all of the following are missing: entries'),
])
def test_bad_options_fail(capsys, host, args, message):
    result = run_module(capsys, host, expect_failure=True, **args)
    assert message in result['msg']


def test_absent_removes_the_file_and_every_map(capsys, host):
    for name in ('sasl_passwd', 'sasl_passwd.db', 'sasl_passwd.lmdb', 'sasl_passwd.dir', 'sasl_passwd.pag'):
        (host['dir'] / name).write_text('x')
    (host['dir'] / 'main.cf').write_text('x')
    checked = run_module(capsys, host, check_mode=True, state='absent', entries=None, map_type=None)
    assert checked['changed'] is True and len(os.listdir(str(host['dir']))) == 6
    result = run_module(capsys, host, state='absent', entries=None, map_type=None)
    assert result['changed'] is True
    assert result['credentials']['removed'] == [str(host['dir'] / name) for name in (
        'sasl_passwd', 'sasl_passwd.db', 'sasl_passwd.lmdb', 'sasl_passwd.dir', 'sasl_passwd.pag')]
    assert os.listdir(str(host['dir'])) == ['main.cf']
    assert run_module(capsys, host, state='absent', entries=None, map_type=None)['changed'] is False


@pytest.mark.skipif(not os.path.exists('/usr/sbin/postmap'), reason='needs Postfix installed')
def test_the_real_postmap_builds_a_map_postfix_reads(capsys, host):
    (host['dir'] / 'main.cf').write_text('')
    result = run_module(capsys, host, postmap='/usr/sbin/postmap')
    assert result['credentials']['map_built'] is True
    looked_up = subprocess.run(['/usr/sbin/postmap', '-c', str(host['dir']), '-q', RELAY, 'hash:%s' % host['path']],
                               capture_output=True, text=True, check=True).stdout
    assert looked_up == 'smtp1:%s\n' % PASSWORDS['default']


# --- nullmailer's remotes ---

REMOTE = 'us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'


@pytest.fixture
def remotes(host):
    """The arguments of remotes under the scratch host's etc/nullmailer."""
    (host['dir'].parent / 'nullmailer').mkdir()
    return {'path': str(host['dir'].parent / 'nullmailer' / 'remotes'), 'format': 'nullmailer_remotes',
            'entries': {REMOTE: 'default'}, 'map_type': None, 'mode': '0600'}


def test_remotes_is_written_from_the_record_private_and_without_a_map(capsys, host, remotes):
    result = run_module(capsys, host, **remotes)
    assert result['changed'] is True
    assert result['credentials'] == {'path': remotes['path'], 'state': 'present', 'removed': [], 'map_built': False,
                                     'written': True, 'entries': {REMOTE: 'smtp1'}}
    with open(remotes['path']) as handle:
        assert handle.read() == '%s --user=smtp1 --pass=%s\n' % (REMOTE, PASSWORDS['default'])
    assert mode_of(remotes['path']) == 0o600
    assert postmap_runs(host) == []
    assert run_module(capsys, host, **remotes)['changed'] is False


def test_a_password_debian_would_break_is_refused_naming_the_user(capsys, host, remotes):
    write_record(host['record'], {'default': 'Pw:with:colons'})
    result = run_module(capsys, host, expect_failure=True, **remotes)
    assert result['msg'].startswith('%s cannot hold the password of smtp1 (it holds a ":"' % remotes['path'])
    assert result['msg'].endswith('run the role with smtp_relay_rotate_password=true to give the user a new password.')
    assert 'Pw:with:colons' not in json.dumps(result)
    assert not os.path.exists(remotes['path'])


def test_a_password_with_quotes_reads_back_exactly_in_nullmailer(capsys, host, remotes):
    write_record(host['record'], {'default': 'it\'s"q'})
    run_module(capsys, host, **remotes)
    with open(remotes['path']) as handle:
        assert parse_remotes(handle.read()) == {REMOTE: ('smtp1', 'it\'s"q')}


def test_a_key_that_is_no_remotes_line_fails(capsys, host, remotes):
    result = run_module(capsys, host, expect_failure=True, **dict(remotes, entries={'relay --user=x': 'default'}))
    assert result['msg'].startswith('entries has relay lines nullmailer would not read back as given')


def test_absent_removes_remotes_alone(capsys, host, remotes):
    with open(remotes['path'], 'w') as handle:
        handle.write('x')
    (host['dir'] / 'sasl_passwd.db').write_text('x')
    result = run_module(capsys, host, state='absent', **dict(remotes, entries=None))
    assert result['credentials']['removed'] == [remotes['path']]
    assert os.path.exists(str(host['dir'] / 'sasl_passwd.db'))


def test_sasl_passwd_still_needs_its_map_type(capsys, host):
    result = run_module(capsys, host, expect_failure=True, map_type=None)
    assert result['msg'] == 'map_type is required with format sasl_passwd and state present'


# --- exim4's passwd.client ---

EXIM_KEYS = {'us1-mta1.sendclean.net': 'default', 'mta-a.sendclean.net': 'default'}


@pytest.fixture
def passwd_client(host):
    """The arguments of passwd.client under the scratch host's etc/exim4, readable by the group, as Debian ships it."""
    (host['dir'].parent / 'exim4').mkdir()
    return {'path': str(host['dir'].parent / 'exim4' / 'passwd.client'), 'format': 'exim4_passwd_client',
            'entries': EXIM_KEYS, 'map_type': None, 'mode': '0640'}


def test_passwd_client_is_written_from_the_record_group_readable_and_without_a_map(capsys, host, passwd_client):
    write_record(host['record'], {'default': 'Pw:with:colons'})  # exim takes all after the login's colon
    result, output = run_module_output(capsys, host, **passwd_client)
    assert result['changed'] is True
    assert result['credentials'] == {'path': passwd_client['path'], 'state': 'present', 'removed': [],
                                     'map_built': False, 'written': True,
                                     'entries': {'us1-mta1.sendclean.net': 'smtp1', 'mta-a.sendclean.net': 'smtp1'}}
    with open(passwd_client['path']) as handle:
        text = handle.read()
    assert text == 'us1-mta1.sendclean.net:smtp1:Pw:with:colons\nmta-a.sendclean.net:smtp1:Pw:with:colons\n'
    assert parse_passwd_client(text) == {'us1-mta1.sendclean.net': ('smtp1', 'Pw:with:colons'),
                                         'mta-a.sendclean.net': ('smtp1', 'Pw:with:colons')}
    assert mode_of(passwd_client['path']) == 0o640
    assert postmap_runs(host) == []
    assert 'Pw:with:colons' not in output
    assert run_module(capsys, host, **passwd_client)['changed'] is False


def test_passwd_client_as_debian_ships_it_is_replaced_and_its_mode_set(capsys, host, passwd_client):
    with open(passwd_client['path'], 'w') as handle:
        handle.write('### target.mail.server.example:login:password\n')
    os.chmod(passwd_client['path'], 0o644)
    assert run_module(capsys, host, **passwd_client)['changed'] is True
    assert mode_of(passwd_client['path']) == 0o640
    with open(passwd_client['path']) as handle:
        assert not handle.read().startswith('###')


def test_check_mode_writes_no_passwd_client(capsys, host, passwd_client):
    result = run_module(capsys, host, check_mode=True, **passwd_client)
    assert (result['changed'], result['credentials']['written']) == (True, True)
    assert not os.path.exists(passwd_client['path'])


def test_what_passwd_client_cannot_hold_is_refused_naming_the_user(capsys, host, passwd_client):
    write_record(host['record'], {'default': 'Pw-ends-with-a-blank '})
    result, output = run_module_output(capsys, host, expect_failure=True, **passwd_client)
    assert result['msg'].startswith('%s cannot hold the password of smtp1 (it holds a line break or ends with a blank)'
                                    % passwd_client['path'])
    assert 'Pw-ends-with-a-blank' not in output
    assert not os.path.exists(passwd_client['path'])


def test_a_key_exim_cannot_look_up_fails(capsys, host, passwd_client):
    result = run_module(capsys, host, expect_failure=True, **dict(passwd_client, entries={'relay:587': 'default'}))
    assert result['msg'].startswith('entries has keys exim cannot look up as host names')


def test_passwd_client_s_directory_missing_says_to_install_exim4(capsys, host, passwd_client):
    missing = host['dir'].parent / 'no-exim4' / 'passwd.client'
    result = run_module(capsys, host, expect_failure=True, **dict(passwd_client, path=str(missing)))
    assert result['msg'] == 'The directory of %s is missing: install exim4 first.' % missing


def test_absent_removes_passwd_client_alone(capsys, host, passwd_client):
    with open(passwd_client['path'], 'w') as handle:
        handle.write('x')
    result = run_module(capsys, host, state='absent', **dict(passwd_client, entries=None))
    assert result['credentials']['removed'] == [passwd_client['path']]
