# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ensure_fleet and ensure_host against the running simulator, over HTTP: what each host gets, and what is written."""

import contextlib
import os

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.sendclean.mta.plugins.action.sendclean_smtp_fleet import ActionModule, ensure_fleet, ensure_host
from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry
from ansible_collections.sendclean.mta.plugins.plugin_utils._fleet import Decision

NEW_USER_LIMITS = [10000, 500]


def marker(total_limit):
    return {'total_limit': total_limit, 'hourly_limit': 500, 'run': 'run-%d' % total_limit, 'since': 0, 'unsettled': False}


def request(key, held=None, has_password=True, pending=None, **options):
    """A host's request as the smtp_relay role describes it (see test_fleet.py for every option)."""
    described = {'connection': 'account-1', 'key': key, 'name': None, 'state': 'present', 'total_limit': None,
                 'hourly_limit': None, 'new_user_limits': NEW_USER_LIMITS, 'rotate': False, 'recreate_missing': False,
                 'identity': {'name': held, 'recorded': bool(held), 'has_password': bool(held) and has_password,
                              'pending': pending, 'busy': None}}
    described.update(options)
    return described


@pytest.fixture
def provisioner(simulator):
    client = SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url, retries=1, sleep=lambda seconds: None)
    warnings = []
    result = Provisioner(client, None, False, warnings.append)
    result.warnings = warnings
    return result


def run_fleet(provisioner, requests, registry=None, disable_unclaimed=False):
    """What the action does on the leader: one listing, then ensure_fleet under the registry's lock."""
    lock = registry.locked() if registry is not None and not provisioner.check_mode else contextlib.nullcontext()
    with lock:
        provisioner.refresh()
        return ensure_fleet(provisioner, registry, requests, disable_unclaimed)


def zero_counters(simulator):
    simulator.reset(users=False, config=False)


def users_by_name(simulator):
    return dict((listed['smtp_user_name'], listed) for listed in simulator.users())


def converged_requests(fleet):
    """The requests of the next run: each host holds the user and the password the last run gave it."""
    return dict((host, request(host, held=result['smtp_user']['name'])) for host, result in fleet['hosts'].items())


# --- a new host ---

def test_a_new_host_is_created_with_its_one_off_limits_then_set_to_the_wanted_ones(simulator, provisioner):
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=marker(123456789))})
    result = fleet['hosts']['h1']
    [created] = simulator.users()
    assert (result['origin'], result['failed'], result['changed']) == ('new', False, True)
    assert result['operations'] == ['add', 'edit']
    assert result['smtp_user']['name'] == created['smtp_user_name']
    assert result['smtp_password'] == created['password']
    assert (created['total_limit'], created['hourly_limit'], created['status']) == (10000, 500, 'Enable')
    counts = simulator.requests()['counts']
    assert (counts['listSmtp'], counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (1, 1, 1, 0)
    assert fleet['unclaimed'] == [] and fleet['disabled'] == []


def test_the_create_is_sent_with_the_pending_marker_limits(simulator, provisioner):
    """With the edit that follows refused, the account shows what addSmtp was sent with."""
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    result = run_fleet(provisioner, {'h1': request('h1', pending=marker(123456789))})['hosts']['h1']
    [created] = simulator.users()
    assert (created['total_limit'], created['hourly_limit']) == (123456789, 500)
    assert result['failed'] and result['operations'] == ['add', 'edit']
    assert result['smtp_user']['name'] == created['smtp_user_name']  # the host can still record it


def test_new_keyed_hosts_are_recorded_in_the_registry(simulator, provisioner, tmp_path):
    registry = Registry(str(tmp_path / 'registry.json'))
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=marker(111111111)),
                                    'h2': request('h2', pending=marker(222222222))}, registry)
    names = dict((host, result['smtp_user']['name']) for host, result in fleet['hosts'].items())
    assert Registry(registry.path).records == names
    assert sorted(names.values()) == sorted(users_by_name(simulator))


# --- a converged fleet ---

@pytest.mark.parametrize('password_key', ['password', 'absent'])
def test_a_converged_fleet_from_a_fresh_controller_makes_no_write(simulator, provisioner, password_key):
    first = run_fleet(provisioner, {'h1': request('h1', pending=marker(111111111)),
                                    'h2': request('h2', pending=marker(222222222))})
    simulator.configure(password_key=password_key)
    zero_counters(simulator)
    before = users_by_name(simulator)
    fleet = run_fleet(provisioner, converged_requests(first))  # no registry: the hosts alone know their users
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    for host, result in fleet['hosts'].items():
        assert (result['origin'], result['changed'], result['failed']) == ('host', False, False), host
        assert result['smtp_password'] is None and result['operations'] == []
    assert users_by_name(simulator) == before
    assert fleet['unclaimed'] == []


def test_a_host_without_the_password_of_its_user_gets_a_reset(simulator, provisioner):
    [name] = simulator.add_users(1, 10000, 500)
    old_password = simulator.users()[0]['password']
    result = run_fleet(provisioner, {'h1': request('h1', held=name, has_password=False)})['hosts']['h1']
    [listed] = simulator.users()
    assert (result['origin'], result['changed'], result['operations']) == ('host', True, ['reset'])
    assert result['password_changed'] and result['smtp_password'] == listed['password'] != old_password
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (0, 0, 1)


def test_a_host_holding_its_user_is_given_only_the_limits_the_inventory_sets(simulator, provisioner):
    [name] = simulator.add_users(1, 77, 7)
    fleet = run_fleet(provisioner, {'h1': request('h1', held=name),
                                    'h2': request(None, name=name, hourly_limit=9)})
    assert fleet['hosts']['h1']['operations'] == [] and fleet['hosts']['h2']['operations'] == ['edit', 'reset']
    [listed] = simulator.users()
    assert (listed['total_limit'], listed['hourly_limit']) == (77, 9)


# --- host, registry and reimaged hosts ---

def test_when_host_and_registry_disagree_the_registry_is_brought_up_to_date(simulator, provisioner, tmp_path):
    held, recorded = simulator.add_users(2, 10000, 500)
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('h1', recorded)
    result = run_fleet(provisioner, {'h1': request('h1', held=held)}, registry)['hosts']['h1']
    assert result['smtp_user']['name'] == held and result['origin'] == 'host'
    assert recorded in result['note'] and held in result['note']
    assert Registry(registry.path).name_of('h1') == held
    assert simulator.requests()['writes'] == 0


def test_a_reimaged_host_gets_its_registry_user_back_with_a_reset(simulator, provisioner, tmp_path):
    first = run_fleet(provisioner, {'h1': request('h1', pending=marker(111111111))}, Registry(str(tmp_path / 'r.json')))
    name = first['hosts']['h1']['smtp_user']['name']
    zero_counters(simulator)
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=marker(333333333))}, Registry(str(tmp_path / 'r.json')))
    result = fleet['hosts']['h1']
    assert (result['origin'], result['smtp_user']['name'], result['operations']) == ('registry', name, ['reset'])
    assert result['smtp_password'] == users_by_name(simulator)[name]['password']
    assert len(simulator.users()) == 1 and fleet['unclaimed'] == []


def test_a_reimaged_host_without_the_registry_gets_a_new_user_and_the_old_one_is_unclaimed(simulator, provisioner):
    old = run_fleet(provisioner, {'h1': request('h1', pending=marker(111111111))})['hosts']['h1']['smtp_user']['name']
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=marker(333333333))})
    assert fleet['hosts']['h1']['origin'] == 'new' and fleet['hosts']['h1']['smtp_user']['name'] != old
    assert fleet['unclaimed'] == [{'name': old, 'total_limit': 10000, 'hourly_limit': 500}]


# --- unclaimed users ---

def unclaimed_scene(simulator, tmp_path):
    """An account with a host's user, a registry's user, a disabled user and two users nobody claims."""
    held, recorded, first_orphan, second_orphan = simulator.add_users(4, 10000, 500)
    simulator.add_users(1, 10000, 500, status='Disable')
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('decommissioned', recorded)
    return registry, {'h1': request('h1', held=held)}, {held, recorded}, {first_orphan, second_orphan}


def test_the_enabled_users_nobody_claims_are_reported_and_left_alone(simulator, provisioner, tmp_path):
    registry, requests, dummy, orphans = unclaimed_scene(simulator, tmp_path)
    fleet = run_fleet(provisioner, requests, registry)
    assert sorted(user['name'] for user in fleet['unclaimed']) == sorted(orphans)
    assert all(set(user) == {'name', 'total_limit', 'hourly_limit'} for user in fleet['unclaimed'])
    assert fleet['disabled'] == [] and simulator.requests()['writes'] == 0


def test_disable_unclaimed_disables_exactly_the_unclaimed_users(simulator, provisioner, tmp_path):
    registry, requests, claimed, orphans = unclaimed_scene(simulator, tmp_path)
    fleet = run_fleet(provisioner, requests, registry, disable_unclaimed=True)
    assert sorted(fleet['disabled']) == sorted(orphans)
    assert set(name for name, listed in users_by_name(simulator).items() if listed['status'] == 'Enable') == claimed
    assert simulator.requests()['counts']['editSmtp'] == len(orphans)


def test_a_failed_disable_of_an_unclaimed_user_keeps_the_hosts_results(simulator, provisioner):
    [orphan] = simulator.add_users(1, 300, 30)
    # The marker carries the wanted limits, so the create needs no edit; every edit (the disable) then fails.
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=marker(10000))}, disable_unclaimed=True)
    created = [name for name in users_by_name(simulator) if name != orphan]
    assert [fleet['hosts']['h1']['smtp_user']['name']] == created
    assert orphan not in fleet['disabled']


# --- check mode ---

def test_check_mode_predicts_every_case_and_writes_nothing(simulator, provisioner, tmp_path):
    held, recorded, orphan = simulator.add_users(3, 10000, 500)
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('reimaged', recorded)
    registry_bytes = open(registry.path, 'rb').read()
    provisioner.check_mode = True
    requests = {'new': request('new'), 'no-password': request('no-password', held=held, has_password=False),
                'reimaged': request('reimaged')}
    fleet = run_fleet(provisioner, requests, Registry(registry.path), disable_unclaimed=True)
    operations = dict((host, result['operations']) for host, result in fleet['hosts'].items())
    assert operations == {'new': ['add'], 'no-password': ['reset'], 'reimaged': ['reset']}
    assert all(result['changed'] and not result['failed'] for result in fleet['hosts'].values())
    assert fleet['disabled'] == [orphan]
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert open(registry.path, 'rb').read() == registry_bytes
    assert sorted(os.listdir(str(tmp_path))) == ['registry.json', 'registry.json.lock']


# --- a create whose reply is lost ---

def test_a_lost_create_reply_is_adopted_in_the_same_run_by_its_one_off_limits(simulator, provisioner):
    simulator.add_users(1, 10000, 500)  # a user of the same wanted limits, older than the create
    simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'])
    result = run_fleet(provisioner, {'h1': request('h1', pending=marker(123456789))})['hosts']['h1']
    assert (result['failed'], result['adopted'], result['operations']) == (False, True, ['add', 'edit'])
    created = users_by_name(simulator)[result['smtp_user']['name']]
    assert (created['total_limit'], created['hourly_limit']) == (10000, 500)
    assert result['smtp_password'] == created['password']
    assert len(simulator.users()) == 2 and simulator.requests()['counts']['addSmtp'] == 1


def test_a_create_left_unsettled_is_adopted_by_the_next_run_through_the_pending_marker(simulator, provisioner):
    pending = marker(123456789)
    provisioner.refresh()
    simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'], fault_rate=1.0, fault_kinds=['html503'],
                        fault_calls=['listSmtp'], retry_after=0)
    lost = ensure_fleet(provisioner, None, {'h1': request('h1', pending=pending)}, False)['hosts']['h1']
    assert (lost['failed'], lost['create_unsettled'], lost['smtp_user']['name']) == (True, True, None)
    [orphan] = simulator.users()
    assert (orphan['total_limit'], orphan['hourly_limit']) == (123456789, 500)

    simulator.reset(users=False)
    fleet = run_fleet(provisioner, {'h1': request('h1', pending=dict(pending, unsettled=True))})
    result = fleet['hosts']['h1']
    assert (result['origin'], result['smtp_user']['name']) == ('adopted', orphan['smtp_user_name'])
    assert result['operations'] == ['edit', 'reset']
    [adopted] = simulator.users()
    assert (adopted['total_limit'], adopted['hourly_limit']) == (10000, 500)
    assert result['smtp_password'] == adopted['password'] != orphan['password']
    assert simulator.requests()['counts']['addSmtp'] == 0 and fleet['unclaimed'] == []


# --- two inventories on one account ---

def test_two_inventories_on_one_account_never_take_each_others_users(simulator, provisioner, tmp_path):
    production = run_fleet(provisioner, {'web1': request('web1', pending=marker(111111111)),
                                         'web2': request('web2', pending=marker(222222222))},
                           Registry(str(tmp_path / 'production.json')))
    # Production's next create lost its reply: a user with production's one-off limits, that nobody claims yet.
    simulator.add_users(1, 987654321, 500)
    before = users_by_name(simulator)

    staging = run_fleet(provisioner, {'web1': request('web1', pending=marker(123456789))},
                        Registry(str(tmp_path / 'staging.json')))
    result = staging['hosts']['web1']
    assert result['origin'] == 'new' and result['smtp_user']['name'] not in before
    after = users_by_name(simulator)
    assert dict((name, after[name]) for name in before) == before  # not one production user touched
    assert Registry(str(tmp_path / 'production.json')).records == dict(
        (host, host_result['smtp_user']['name']) for host, host_result in production['hosts'].items())


# --- ensure_host alone ---

def test_a_host_decided_in_error_fails_alone_without_a_request(simulator, provisioner):
    provisioner.refresh()
    zero_counters(simulator)
    result = ensure_host(provisioner, Decision(error='another run owns this host', origin=None))
    assert (result['failed'], result['msg'], result['changed'], result['create_unsettled']) == (
        True, 'another run owns this host', False, False)
    assert simulator.requests()['total'] == 0


def test_a_host_with_nothing_to_ensure_succeeds_without_a_request(simulator, provisioner):
    provisioner.refresh()
    zero_counters(simulator)
    result = ensure_host(provisioner, Decision(origin='registry'))
    assert (result['failed'], result['changed'], result['smtp_user'], result['origin']) == (False, False, None, 'registry')
    assert simulator.requests()['total'] == 0


def test_a_create_the_service_provably_refused_is_not_unsettled(simulator, provisioner):
    provisioner.refresh()
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    result = ensure_host(provisioner, Decision(spec={'name': None, 'key': None, 'state': 'present', 'enabled': True,
                                                     'total_limit': 10000, 'hourly_limit': 500}, origin='new'))
    assert result['failed'] and 'addSmtp' in result['msg'] and 'diff' not in result
    assert result['api_error']['outcome_unknown'] is False and simulator.users() == []
    assert result['create_unsettled'] is False


def test_a_create_whose_outcome_is_unknown_is_unsettled(simulator, provisioner):
    provisioner.refresh()
    simulator.configure(fault_rate=1.0, fault_kinds=['html502'], fault_calls=['addSmtp'])
    result = ensure_host(provisioner, Decision(spec={'name': None, 'key': None, 'state': 'present', 'enabled': True,
                                                     'total_limit': 10000, 'hourly_limit': 500}, origin='new'))
    assert result['failed'] and result['api_error']['outcome_unknown']
    assert result['create_unsettled'] is True and 'diff' not in result


# --- the batch: who leads, who is in the call, and when the call sees the whole fleet ---

def task_vars(host, requests, batch=None, limit=None, play_hosts=None):
    """The task variables of one host: its own request fact, and every host's through hostvars."""
    batch = batch or list(requests)
    hostvars = dict((name, {'sendclean_smtp_request': requests[name]} if requests.get(name) else {}) for name in batch)
    return dict(hostvars[host], inventory_hostname=host, hostvars=hostvars, ansible_play_batch=batch,
                ansible_play_hosts_all=play_hosts or batch, ansible_limit=limit)


def group(host, requests, **options):
    action = object.__new__(ActionModule)  # _group reads task variables only
    return list(action._group(task_vars(host, requests, **options), 'sendclean_smtp_request'))  # pylint: disable=protected-access


def test_the_first_host_of_the_batch_with_the_connection_leads_for_all_of_them():
    requests = {'h1': None, 'h2': request('h2'), 'h3': dict(request('h3'), connection='account-2'), 'h4': request('h4')}
    assert group('h2', requests) == ['h2', 'h4']  # h1 skipped the role; h3 uses another account
    assert group('h4', requests) == ['h2']  # not the leader: it looks no further than h2, its leader
    assert group('h3', requests) == ['h3']


def test_a_host_without_its_request_fact_fails_with_the_fact_named():
    with pytest.raises(AnsibleActionFail, match='sendclean_smtp_request is not set for h1'):
        group('h1', {'h1': {}, 'h2': request('h2')})


@pytest.mark.parametrize('options, refused', [
    ({}, None),
    ({'limit': 'h1'}, '--limit'),
    ({'play_hosts': ['h1', 'h2', 'h3']}, 'h3'),  # serial, or a when condition false for h3
])
def test_disable_unclaimed_is_refused_when_the_play_does_not_see_the_whole_fleet(options, refused):
    requests = {'h1': request('h1'), 'h2': request('h2')}
    errors = ActionModule._incomplete_scope(task_vars('h1', requests, **options), requests)  # pylint: disable=protected-access
    if refused is None:
        assert errors == []
    else:
        assert len(errors) == 1 and refused in errors[0] and 'disable_unclaimed is refused' in errors[0]
