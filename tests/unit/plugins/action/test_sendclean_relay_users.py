# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_relay_users action as a task of the role runs it: a real Play, Task, Templar and local connection,
the role's variables from its defaults, the host's record written by the sendclean_relay_record module that the action
runs on the host (found through the collection loader ansible-test sets up), against the simulator over HTTP. What the
task shows: changed, one line, a diff; never a secret.

What the action decides for each slot is tested without Ansible's machinery in tests/unit/plugins/plugin_utils/.
"""

import json
import os
import stat
import sys
import time

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.block import Block
from ansible.playbook.play import Play
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_users import ActionModule
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord, identity_facts


@pytest.fixture
def run_users(simulator, relay_task_vars, tmp_path):
    """``run_users(check_mode=False, mtas=(), **variables)``: the action's result for host web1 (which has the MTAs
    ``mtas``), alone in its play, whose record is under tmp_path; every run is a play of its own (so it lists the
    account)."""
    record = str(tmp_path / 'web1' / 'etc' / 'sendclean' / 'smtp_relay.json')

    def run(check_mode=False, mtas=(), **variables):
        loader = DataLoader()
        play = Play.load({'name': 'relay', 'hosts': 'all', 'tasks': []}, loader=loader)
        args = {'owner_id': simulator.owner_id, 'token': simulator.token, 'api_url': simulator.api_url,
                'host': {'identity': identity_facts(record, None), 'mtas': list(mtas)}}
        task = Task.load({'action': 'sendclean.mta.sendclean_relay_users', 'args': args}, block=Block(play=play),
                         loader=loader)
        task.check_mode = check_mode
        task_vars = relay_task_vars(**dict({
            'smtp_relay_app_domain': '', 'smtp_relay_host': 'relay.example.org', 'smtp_relay_registry': '',
            'ansible_facts': {'os_family': 'Debian'}, 'ansible_play_batch': ['web1'],
            'ansible_play_hosts_all': ['web1'], 'ansible_python_interpreter': sys.executable}, **variables))
        play_context = PlayContext()
        action = ActionModule(task=task, connection=connection_loader.get('local', play_context),
                              play_context=play_context, loader=loader, templar=Templar(loader=loader, variables=task_vars),
                              shared_loader_obj=None)
        result = action.run(task_vars=task_vars)
        shown = json.dumps(result, default=repr)
        for secret in simulator.issued_secrets() + [simulator.token]:
            assert secret not in shown
        return result

    run.record = record
    return run


def listed(simulator):
    return dict((user['smtp_user_name'], user) for user in simulator.users())


def test_a_new_host_shows_its_new_user_in_one_line_and_a_diff_and_the_host_records_its_password(simulator, run_users):
    result = run_users()
    [created] = simulator.users()
    name = created['smtp_user_name']
    assert (result['changed'], result.get('failed', False), result['_ansible_verbose_always']) == (True, False, True)
    assert result['msg'] == '%s (this host): created, limits total 10000, hourly 500' % name
    assert result['smtp_relay_users'] == {'default': {
        'name': name, 'state': 'present', 'origin': 'new', 'changed': True, 'password_changed': True, 'rotation': None,
        'password_issued': time.strftime('%Y-%m-%d', time.gmtime()), 'next_rotation': None}}
    assert result['diff'] == [{'before': {}, 'after': {'name': name, 'enabled': True, 'status': 'Enable',
                                                       'total_limit': 10000, 'hourly_limit': 500},
                               'before_header': 'SMTP user of this host', 'after_header': '%s (this host)' % name}]
    record = HostRecord(run_users.record).read()
    assert (record.users['default']['name'], record.users['default']['password']) == (name, created['password'])
    assert stat.S_IMODE(os.stat(run_users.record).st_mode) == 0o600
    assert (created['total_limit'], created['hourly_limit']) == (10000, 500)


def test_a_converged_host_says_no_change_and_writes_nothing(simulator, run_users):
    run_users()
    before = open(run_users.record, 'rb').read()
    simulator.reset(users=False, config=False)
    result = run_users()
    assert (result['changed'], result['msg'], result['diff']) == (False, 'no change', [])
    assert '_ansible_verbose_always' not in result
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert open(run_users.record, 'rb').read() == before


def test_check_mode_shows_the_limits_before_and_after_and_writes_nothing(simulator, run_users):
    run_users()
    [user] = simulator.users()
    before = open(run_users.record, 'rb').read()
    simulator.reset(users=False, config=False)
    result = run_users(check_mode=True, smtp_relay_hourly_limit=300)
    assert result['changed'] and result['msg'] == '%s (this host): hourly limit 500 -> 300' % user['smtp_user_name']
    [diff] = result['diff']
    assert (diff['before']['hourly_limit'], diff['after']['hourly_limit']) == (500, 300)
    assert simulator.requests()['writes'] == 0 and open(run_users.record, 'rb').read() == before
    assert listed(simulator)[user['smtp_user_name']]['hourly_limit'] == 500


@pytest.mark.parametrize('variable, value', [('smtp_relay_hourly_limit', -1), ('smtp_relay_total_limit', 'abc'),
                                             ('smtp_relay_sender_address', 'noreply')])
def test_bad_input_fails_naming_the_variable_before_any_request_or_write(simulator, run_users, variable, value):
    result = run_users(**{variable: value})
    assert result['failed'] and variable in result['msg'] and json.dumps(value) in result['msg']
    assert simulator.requests()['total'] == 0 and not os.path.exists(run_users.record)


@pytest.mark.parametrize('mtas, mta', [((), 'postfix'), (('postfix',), 'postfix'), (('nullmailer',), 'nullmailer')])
def test_the_result_names_the_mta_the_role_configures(simulator, run_users, mtas, mta):
    assert run_users(mtas=mtas)['smtp_relay_mta'] == mta


def test_senders_on_a_nullmailer_host_fail_before_any_request_or_write(simulator, run_users):
    """nullmailer relays all mail as one user: a sender's user would be made at SendClean and never used."""
    result = run_users(mtas=('nullmailer',), smtp_relay_senders=[{'sender': 'orders@shop.example'}])
    assert result['failed'] and result['msg'].startswith('smtp_relay_senders is refused with nullmailer')
    assert 'smtp_relay_mta=postfix' in result['msg']
    assert simulator.requests()['total'] == 0 and not os.path.exists(run_users.record)


def test_main_cf_settings_that_would_bounce_a_refused_login_fail_before_any_request_or_write(simulator, run_users):
    """Refused here, not only in the Postfix plan: a rotation made first would leave the host with a password its
    Postfix never gets."""
    result = run_users(smtp_relay_rotate_password=True, smtp_relay_main_cf_settings={'smtp_sasl_auth_soft_bounce': 'no'})
    assert result['failed'] and result['msg'].startswith(
        'smtp_relay_main_cf_settings sets smtp_sasl_auth_soft_bounce to "no", but the role keeps it yes')
    assert simulator.requests()['total'] == 0 and not os.path.exists(run_users.record)


def test_a_slot_that_fails_says_what_failed_in_plain_words(simulator, run_users):
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    result = run_users(smtp_relay_retries=0)
    assert result['failed'] and result['changed'] is False
    assert result['msg'].startswith('The SendClean SMTP user of this host could not be ensured: SendClean '
                                    'settings/addSmtp failed: ')
    assert simulator.users() == []


@pytest.mark.parametrize('variables, reason', [
    ({'ansible_limit': 'web1'}, 'the play runs under --limit'),
    ({'ansible_play_hosts_all': ['web1', 'web2']}, 'the play runs in batches (serial)'),
], ids=['limit', 'serial'])
def test_disable_unclaimed_on_part_of_the_fleet_is_refused_with_the_input_before_any_request(
        simulator, run_users, variables, reason):
    result = run_users(smtp_relay_disable_unclaimed=True, **variables)
    assert result['failed'] and 'smtp_relay_disable_unclaimed is refused: ' in result['msg'] and reason in result['msg']
    assert simulator.requests()['total'] == 0 and not os.path.exists(run_users.record)
