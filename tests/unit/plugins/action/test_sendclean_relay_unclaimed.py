# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_relay_unclaimed action as the role runs it after each host ensured its users: a real Play, Task and
Templar, against the simulator over HTTP, from the listing the hosts of the batch shared."""

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.block import Block
from ansible.playbook.play import Play
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_unclaimed import UNCLAIMED_ARGUMENT_SPEC, ActionModule
from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_users import batch_snapshot
from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils._module import endpoint_from_environment

HOSTS = ['web1', 'web2']


class Scene(object):
    """A play over HOSTS (``strategy``), whose hosts ensured their users: ``ensured(host, claimed)`` merges what a
    host's sendclean_relay_users merges into the batch's listing; ``report(host, disable, ...)`` runs the action."""

    def __init__(self, simulator, strategy='linear'):
        self.simulator = simulator
        loader = DataLoader()
        self.loader = loader
        self.play = Play.load({'name': 'relay', 'hosts': 'all', 'strategy': strategy, 'tasks': []}, loader=loader)
        self.args = {'owner_id': simulator.owner_id, 'token': simulator.token, 'api_url': simulator.api_url,
                     'retries': 0}

    def task_vars(self, host, batch=None, limit=None):
        return {'inventory_hostname': host, 'ansible_play_batch': batch or HOSTS, 'ansible_play_hosts_all': HOSTS,
                'ansible_limit': limit}

    def task(self, disable, check_mode=False):
        task = Task.load({'action': 'sendclean.mta.sendclean_relay_unclaimed', 'args': dict(self.args, disable=disable)},
                         block=Block(play=self.play), loader=self.loader)
        task.check_mode = check_mode
        return task

    def action(self, host, disable=False, check_mode=False, **variables):
        task_vars = self.task_vars(host, **variables)
        play_context = PlayContext()
        action = ActionModule(task=self.task(disable, check_mode), connection=connection_loader.get('local', play_context),
                              play_context=play_context, loader=self.loader,
                              templar=Templar(loader=self.loader, variables=task_vars), shared_loader_obj=None)
        return action, task_vars

    def snapshot(self, host):
        """The batch's listing as sendclean_relay_users finds it, for these connection options (as validated)."""
        action, task_vars = self.action(host)
        dummy, params = action.validate_argument_spec(argument_spec=UNCLAIMED_ARGUMENT_SPEC)
        return batch_snapshot(action._task, task_vars, endpoint_from_environment(params))  # pylint: disable=protected-access

    def ensured(self, host, claimed):
        snapshot = self.snapshot(host)
        client = SendCleanClient(self.simulator.owner_id, self.simulator.token, self.simulator.api_url)
        users, dummy = snapshot.users(client.list_users)
        snapshot.merge(host, users, set(claimed))

    def report(self, host, disable=False, check_mode=False, **variables):
        action, task_vars = self.action(host, disable, check_mode, **variables)
        result = action.run(task_vars=task_vars)
        assert self.simulator.token not in repr(result)
        assert not any(listed['password'] in repr(result) for listed in self.simulator.users())
        return result


def statuses(simulator):
    return dict((listed['smtp_user_name'], listed['status']) for listed in simulator.users())


@pytest.fixture
def fleet(simulator):
    """Two hosts that each hold a user, a user the registry holds, a disabled user and two users nobody holds."""
    web1, web2, recorded, first_orphan, second_orphan = simulator.add_users(5, 10000, 500)
    simulator.add_users(1, 10000, 500, status='Disable')
    scene = Scene(simulator)
    scene.ensured('web1', [web1, recorded])
    scene.ensured('web2', [web2, recorded])
    scene.orphans = sorted([first_orphan, second_orphan])
    scene.held = sorted([web1, web2, recorded])
    return scene


def test_the_enabled_users_nobody_claims_are_reported_once_for_the_batch_and_left_alone(simulator, fleet):
    before = statuses(simulator)
    result = fleet.report('web1')
    assert sorted(user['name'] for user in result['unclaimed']) == fleet.orphans
    assert all(set(user) == {'name', 'total_limit', 'hourly_limit'} for user in result['unclaimed'])
    assert (result['changed'], result['disabled']) == (False, [])
    assert all(name in result['msg'] for name in fleet.orphans) and 'smtp_relay_disable_unclaimed=true' in result['msg']
    assert fleet.report('web2')['msg'] == 'reported by another host of the play batch'
    assert statuses(simulator) == before and simulator.requests()['writes'] == 0


def test_disable_unclaimed_disables_exactly_the_unclaimed_users(simulator, fleet):
    result = fleet.report('web1', disable=True)
    assert (result['changed'], sorted(result['disabled'])) == (True, fleet.orphans)
    enabled = sorted(name for name, status in statuses(simulator).items() if status == 'Enable')
    assert enabled == fleet.held
    assert simulator.requests()['counts']['editSmtp'] == len(fleet.orphans)


def test_disable_unclaimed_in_check_mode_names_them_and_writes_nothing(simulator, fleet):
    result = fleet.report('web1', disable=True, check_mode=True)
    assert sorted(result['disabled']) == fleet.orphans
    assert simulator.requests()['writes'] == 0


def test_a_failed_disable_warns_and_the_user_stays_in_the_report(simulator, fleet):
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    result = fleet.report('web1', disable=True)
    assert result['disabled'] == [] and result['changed'] is False
    assert sorted(user['name'] for user in result['unclaimed']) == fleet.orphans
    assert len([warning for warning in result['warnings'] if 'could not disable unclaimed SMTP user' in warning]) == 2


def test_with_every_user_held_there_is_nothing_to_report(simulator):
    web1, web2 = simulator.add_users(2, 10000, 500)
    scene = Scene(simulator)
    scene.ensured('web1', [web1])
    scene.ensured('web2', [web2])
    result = scene.report('web1', disable=True)
    assert (result['changed'], result['unclaimed'], result['disabled'], result['msg']) == (
        False, [], [], 'every enabled user is held')
    assert simulator.requests()['writes'] == 0


@pytest.mark.parametrize('variables, reason', [
    ({'limit': 'web1'}, 'the play runs under --limit'),
    ({'batch': ['web1']}, 'the play runs in batches (serial)'),
], ids=['limit', 'serial'])
@pytest.mark.parametrize('disable', [True, False])
def test_a_play_that_sees_part_of_the_fleet_reports_nothing_and_disabling_is_refused(
        simulator, fleet, variables, reason, disable):
    result = fleet.report('web1', disable=disable, **variables)
    assert reason in result['msg'] and 'unclaimed' not in result
    assert result.get('failed', False) is disable
    if disable:
        assert result['msg'].startswith('smtp_relay_disable_unclaimed is refused: ')
    assert simulator.requests()['writes'] == 0


@pytest.mark.parametrize('strategy', ['free', 'host_pinned'])
def test_under_a_strategy_that_does_not_wait_for_every_host_disabling_is_refused(simulator, strategy):
    [orphan] = simulator.add_users(1, 10000, 500)
    scene = Scene(simulator, strategy)
    scene.ensured('web1', [])
    scene.ensured('web2', [])
    refused = scene.report('web1', disable=True)
    assert refused['failed'] and 'under strategy %s' % strategy in refused['msg']
    assert 'unclaimed' not in scene.report('web1')
    assert statuses(simulator) == {orphan: 'Enable'}


def test_a_host_of_the_play_that_did_not_ensure_its_users_refuses_disabling_and_is_named(simulator):
    [orphan] = simulator.add_users(1, 10000, 500)
    scene = Scene(simulator)
    scene.ensured('web1', [])  # web2 skipped the role (a when condition) or failed
    refused = scene.report('web1', disable=True)
    assert refused['failed'] and '1 host(s) of the play did not ensure their users in this run' in refused['msg']
    assert refused['msg'].endswith('web2; run it over the whole fleet at once')
    assert statuses(simulator) == {orphan: 'Enable'}
