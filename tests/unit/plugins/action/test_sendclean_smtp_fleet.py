# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ensure_fleet and ensure_slot against the running simulator, over HTTP: what each slot of each host gets, and what is
written."""

import contextlib
import os
import sys
from types import SimpleNamespace

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.sendclean.mta.plugins.action.sendclean_smtp_fleet import ActionModule, ensure_fleet, ensure_slot
from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry
from ansible_collections.sendclean.mta.plugins.plugin_utils._fleet import Decision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

NEW_USER_LIMITS = [10000, 500]


def marker(total_limit):
    return {'total_limit': total_limit, 'hourly_limit': 500, 'run': 'run-%d' % total_limit, 'since': 0, 'unsettled': False}


def entry(key, held=None, has_password=True, pending=None, slot='default', **options):
    """One slot of a host's request as the smtp_relay role describes it (see test_fleet.py for every option)."""
    described = {'slot': slot, 'key': key, 'name': None, 'state': 'present', 'total_limit': None,
                 'hourly_limit': None, 'new_user_limits': NEW_USER_LIMITS, 'rotate': False, 'recreate_missing': False,
                 'identity': {'name': held, 'recorded': bool(held), 'has_password': bool(held) and has_password,
                              'pending': pending, 'busy': None}}
    described.update(options)
    return described


def request(*entries):
    """A host's request: its connection, and one entry per slot."""
    return {'connection': 'account-1', 'users': list(entries)}


def default_only(key, **options):
    """The request of a host with its default slot alone."""
    return request(entry(key, **options))


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


def slot_key(host, slot):
    """The registry key of a slot, as the smtp_relay role makes it: the host's own for its default user."""
    return host if slot == 'default' else '%s %s' % (host, slot)


def converged_requests(fleet):
    """The requests of the next run: each slot of each host holds the user and the password the last run gave it."""
    return dict((host, request(*[entry(slot_key(host, slot), held=result['smtp_user']['name'], slot=slot)
                                 for slot, result in slots.items()]))
                for host, slots in fleet['hosts'].items())


# --- a new host ---

def test_a_new_host_is_created_with_its_one_off_limits_then_set_to_the_wanted_ones(simulator, provisioner):
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(123456789))})
    result = fleet['hosts']['h1']['default']
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
    result = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(123456789))})['hosts']['h1']['default']
    [created] = simulator.users()
    assert (created['total_limit'], created['hourly_limit']) == (123456789, 500)
    assert result['failed'] and result['operations'] == ['add', 'edit']
    assert result['smtp_user']['name'] == created['smtp_user_name']  # the host can still record it


def test_new_keyed_hosts_are_recorded_in_the_registry(simulator, provisioner, tmp_path):
    registry = Registry(str(tmp_path / 'registry.json'))
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(111111111)),
                                    'h2': default_only('h2', pending=marker(222222222))}, registry)
    names = dict((host, slots['default']['smtp_user']['name']) for host, slots in fleet['hosts'].items())
    assert Registry(registry.path).records == names
    assert sorted(names.values()) == sorted(users_by_name(simulator))


# --- a converged fleet ---

@pytest.mark.parametrize('password_key', ['password', 'absent'])
def test_a_converged_fleet_from_a_fresh_controller_makes_no_write(simulator, provisioner, password_key):
    first = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(111111111)),
                                    'h2': default_only('h2', pending=marker(222222222))})
    simulator.configure(password_key=password_key)
    zero_counters(simulator)
    before = users_by_name(simulator)
    fleet = run_fleet(provisioner, converged_requests(first))  # no registry: the hosts alone know their users
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    for host, slots in fleet['hosts'].items():
        result = slots['default']
        assert (result['origin'], result['changed'], result['failed']) == ('host', False, False), host
        assert result['smtp_password'] is None and result['operations'] == []
    assert users_by_name(simulator) == before
    assert fleet['unclaimed'] == []


def test_a_host_without_the_password_of_its_user_gets_a_reset(simulator, provisioner):
    [name] = simulator.add_users(1, 10000, 500)
    old_password = simulator.users()[0]['password']
    result = run_fleet(provisioner, {'h1': default_only('h1', held=name, has_password=False)})['hosts']['h1']['default']
    [listed] = simulator.users()
    assert (result['origin'], result['changed'], result['operations']) == ('host', True, ['reset'])
    assert result['password_changed'] and result['smtp_password'] == listed['password'] != old_password
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (0, 0, 1)


def test_a_host_holding_its_user_is_given_only_the_limits_the_inventory_sets(simulator, provisioner):
    [name] = simulator.add_users(1, 77, 7)
    fleet = run_fleet(provisioner, {'h1': default_only('h1', held=name),
                                    'h2': default_only(None, name=name, hourly_limit=9)})
    assert fleet['hosts']['h1']['default']['operations'] == []
    assert fleet['hosts']['h2']['default']['operations'] == ['edit', 'reset']
    [listed] = simulator.users()
    assert (listed['total_limit'], listed['hourly_limit']) == (77, 9)


# --- host, registry and reimaged hosts ---

def test_when_host_and_registry_disagree_the_registry_is_brought_up_to_date(simulator, provisioner, tmp_path):
    held, recorded = simulator.add_users(2, 10000, 500)
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('h1', recorded)
    result = run_fleet(provisioner, {'h1': default_only('h1', held=held)}, registry)['hosts']['h1']['default']
    assert result['smtp_user']['name'] == held and result['origin'] == 'host'
    assert recorded in result['note'] and held in result['note']
    assert Registry(registry.path).name_of('h1') == held
    assert simulator.requests()['writes'] == 0


def test_a_reimaged_host_gets_its_registry_user_back_with_a_reset(simulator, provisioner, tmp_path):
    first = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(111111111))}, Registry(str(tmp_path / 'r.json')))
    name = first['hosts']['h1']['default']['smtp_user']['name']
    zero_counters(simulator)
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(333333333))}, Registry(str(tmp_path / 'r.json')))
    result = fleet['hosts']['h1']['default']
    assert (result['origin'], result['smtp_user']['name'], result['operations']) == ('registry', name, ['reset'])
    assert result['smtp_password'] == users_by_name(simulator)[name]['password']
    assert len(simulator.users()) == 1 and fleet['unclaimed'] == []


def test_a_reimaged_host_without_the_registry_gets_a_new_user_and_the_old_one_is_unclaimed(simulator, provisioner):
    first = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(111111111))})
    old = first['hosts']['h1']['default']['smtp_user']['name']
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(333333333))})
    assert fleet['hosts']['h1']['default']['origin'] == 'new' and fleet['hosts']['h1']['default']['smtp_user']['name'] != old
    assert fleet['unclaimed'] == [{'name': old, 'total_limit': 10000, 'hourly_limit': 500}]


# --- unclaimed users ---

def unclaimed_scene(simulator, tmp_path):
    """An account with a host's user, a registry's user, a disabled user and two users nobody claims."""
    held, recorded, first_orphan, second_orphan = simulator.add_users(4, 10000, 500)
    simulator.add_users(1, 10000, 500, status='Disable')
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('decommissioned', recorded)
    return registry, {'h1': default_only('h1', held=held)}, {held, recorded}, {first_orphan, second_orphan}


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
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(10000))}, disable_unclaimed=True)
    created = [name for name in users_by_name(simulator) if name != orphan]
    assert [fleet['hosts']['h1']['default']['smtp_user']['name']] == created
    assert orphan not in fleet['disabled']


# --- check mode ---

def test_check_mode_predicts_every_case_and_writes_nothing(simulator, provisioner, tmp_path):
    held, recorded, orphan = simulator.add_users(3, 10000, 500)
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('reimaged', recorded)
    registry_bytes = open(registry.path, 'rb').read()
    provisioner.check_mode = True
    requests = {'new': default_only('new'), 'no-password': default_only('no-password', held=held, has_password=False),
                'reimaged': default_only('reimaged')}
    fleet = run_fleet(provisioner, requests, Registry(registry.path), disable_unclaimed=True)
    operations = dict((host, slots['default']['operations']) for host, slots in fleet['hosts'].items())
    assert operations == {'new': ['add'], 'no-password': ['reset'], 'reimaged': ['reset']}
    assert all(slots['default']['changed'] and not slots['default']['failed'] for slots in fleet['hosts'].values())
    assert fleet['disabled'] == [orphan]
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert open(registry.path, 'rb').read() == registry_bytes
    assert sorted(os.listdir(str(tmp_path))) == ['registry.json', 'registry.json.lock']


# --- a create whose reply is lost ---

def test_a_lost_create_reply_is_adopted_in_the_same_run_by_its_one_off_limits(simulator, provisioner):
    simulator.add_users(1, 10000, 500)  # a user of the same wanted limits, older than the create
    simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'])
    result = run_fleet(provisioner, {'h1': default_only('h1', pending=marker(123456789))})['hosts']['h1']['default']
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
    lost = ensure_fleet(provisioner, None, {'h1': default_only('h1', pending=pending)}, False)['hosts']['h1']['default']
    assert (lost['failed'], lost['create_unsettled'], lost['smtp_user']['name']) == (True, True, None)
    [orphan] = simulator.users()
    assert (orphan['total_limit'], orphan['hourly_limit']) == (123456789, 500)

    simulator.reset(users=False)
    fleet = run_fleet(provisioner, {'h1': default_only('h1', pending=dict(pending, unsettled=True))})
    result = fleet['hosts']['h1']['default']
    assert (result['origin'], result['smtp_user']['name']) == ('adopted', orphan['smtp_user_name'])
    assert result['operations'] == ['edit', 'reset']
    [adopted] = simulator.users()
    assert (adopted['total_limit'], adopted['hourly_limit']) == (10000, 500)
    assert result['smtp_password'] == adopted['password'] != orphan['password']
    assert simulator.requests()['counts']['addSmtp'] == 0 and fleet['unclaimed'] == []


# --- two inventories on one account ---

def test_two_inventories_on_one_account_never_take_each_others_users(simulator, provisioner, tmp_path):
    production = run_fleet(provisioner, {'web1': default_only('web1', pending=marker(111111111)),
                                         'web2': default_only('web2', pending=marker(222222222))},
                           Registry(str(tmp_path / 'production.json')))
    # Production's next create lost its reply: a user with production's one-off limits, that nobody claims yet.
    simulator.add_users(1, 987654321, 500)
    before = users_by_name(simulator)

    staging = run_fleet(provisioner, {'web1': default_only('web1', pending=marker(123456789))},
                        Registry(str(tmp_path / 'staging.json')))
    result = staging['hosts']['web1']['default']
    assert result['origin'] == 'new' and result['smtp_user']['name'] not in before
    after = users_by_name(simulator)
    assert dict((name, after[name]) for name in before) == before  # not one production user touched
    assert Registry(str(tmp_path / 'production.json')).records == dict(
        (host, slots['default']['smtp_user']['name']) for host, slots in production['hosts'].items())


# --- several slots on a host: the default user and one per sender ---

def names_by_slot(fleet):
    return dict(((host, slot), result['smtp_user']['name'])
                for host, slots in fleet['hosts'].items() for slot, result in slots.items())


def test_every_slot_of_every_host_gets_its_own_user_with_its_own_limits_from_one_list(simulator, provisioner, tmp_path):
    registry = Registry(str(tmp_path / 'registry.json'))
    fleet = run_fleet(provisioner, {
        'h1': request(entry('h1', pending=marker(111111111)),
                      entry('h1 orders@shop.example', pending=marker(222222222), slot='orders@shop.example',
                            total_limit=2000, hourly_limit=50),
                      entry('h1 @news.example', pending=marker(333333333), slot='@news.example', hourly_limit=900)),
        'h2': request(entry('h2', pending=marker(444444444)),
                      entry('h2 @news.example', pending=marker(555555555), slot='@news.example', hourly_limit=80)),
    }, registry)
    names = names_by_slot(fleet)
    assert sorted(names) == [('h1', '@news.example'), ('h1', 'default'), ('h1', 'orders@shop.example'),
                             ('h2', '@news.example'), ('h2', 'default')]
    assert sorted(names.values()) == sorted(users_by_name(simulator)) and len(set(names.values())) == 5
    listed = users_by_name(simulator)
    limits = dict((slot, (listed[name]['total_limit'], listed[name]['hourly_limit'])) for slot, name in names.items())
    assert limits == {('h1', 'default'): (10000, 500), ('h1', 'orders@shop.example'): (2000, 50),
                      ('h1', '@news.example'): (10000, 900), ('h2', 'default'): (10000, 500),
                      ('h2', '@news.example'): (10000, 80)}
    assert all(result['origin'] == 'new' and result['smtp_password'] == listed[result['smtp_user']['name']]['password']
               for slots in fleet['hosts'].values() for result in slots.values())
    counts = simulator.requests()['counts']
    assert (counts['listSmtp'], counts['addSmtp'], counts['editSmtp']) == (1, 5, 5)
    assert Registry(registry.path).records == dict((slot_key(*slot), name) for slot, name in names.items())

    zero_counters(simulator)
    converged = run_fleet(provisioner, converged_requests(fleet))
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert names_by_slot(converged) == names
    assert all((result['origin'], result['changed']) == ('host', False)
               for slots in converged['hosts'].values() for result in slots.values())
    assert converged['unclaimed'] == []


def test_an_hourly_limit_above_the_total_limit_warns_once_for_every_slot_that_has_it(simulator, provisioner):
    [held] = simulator.add_users(1, 100, 10)
    fleet = run_fleet(provisioner, {
        'h1': request(entry('h1', pending=marker(111111111), total_limit=100, hourly_limit=20000),
                      entry('h1 @news.example', pending=marker(222222222), slot='@news.example', total_limit=100)),
        'h2': request(entry('h2', held=held, total_limit=100, hourly_limit=20000)),
        'h3': request(entry('h3', pending=marker(333333333), total_limit=5000, hourly_limit=50)),
    })
    assert not any(result['failed'] for slots in fleet['hosts'].values() for result in slots.values())
    # The sender's new user gets the new-user hourly limit (500) under its total limit of 100: worth a word too.
    assert provisioner.warnings == [
        'the SMTP users of h1, h2: hourly_limit 20000 is above total_limit 100: the user can never send more than 100 '
        'messages in all, so the hourly limit never applies; check that the two are not swapped',
        'the SMTP users of h1 (sender @news.example): hourly_limit 500 is above total_limit 100: the user can never send '
        'more than 100 messages in all, so the hourly limit never applies; check that the two are not swapped']


def test_a_new_sender_gets_a_new_user_with_its_limits_and_the_default_user_is_untouched(simulator, provisioner):
    [default_user] = simulator.add_users(1, 10000, 500)
    before = users_by_name(simulator)[default_user]
    fleet = run_fleet(provisioner, {'h1': request(
        entry('h1', held=default_user),
        entry('h1 orders@shop.example', pending=marker(222222222), slot='orders@shop.example', total_limit=2000,
              hourly_limit=50))})
    default, sender = fleet['hosts']['h1']['default'], fleet['hosts']['h1']['orders@shop.example']
    assert (default['origin'], default['changed'], default['operations'], default['smtp_password']) == (
        'host', False, [], None)
    assert (sender['origin'], sender['operations']) == ('new', ['add', 'edit'])
    listed = users_by_name(simulator)
    assert listed[default_user] == before
    created = listed[sender['smtp_user']['name']]
    assert (created['total_limit'], created['hourly_limit'], created['status']) == (2000, 50, 'Enable')
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (1, 1, 0)


def test_a_removed_sender_disables_exactly_its_user(simulator, provisioner):
    default_user, removed_user, other_host_user = simulator.add_users(3, 10000, 500)
    fleet = run_fleet(provisioner, {
        'h1': request(entry('h1', held=default_user),
                      entry('h1 @old.example', held=removed_user, slot='@old.example', state='disabled')),
        'h2': request(entry('h2 @old.example', held=other_host_user, slot='@old.example')),
    })
    removed = fleet['hosts']['h1']['@old.example']
    assert (removed['origin'], removed['changed'], removed['failed']) == ('host', True, False)
    assert removed['smtp_password'] is None
    statuses = dict((name, listed['status']) for name, listed in users_by_name(simulator).items())
    assert statuses == {default_user: 'Enable', removed_user: 'Disable', other_host_user: 'Enable'}
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['editSmtp']) == (1, 1)
    assert fleet['unclaimed'] == []


def test_two_lost_creates_on_one_host_each_adopt_their_own_user(simulator, provisioner):
    [default_orphan] = simulator.add_users(1, 111111111, 500)
    [sender_orphan] = simulator.add_users(1, 222222222, 500)
    fleet = run_fleet(provisioner, {'h1': request(
        entry('h1', pending=marker(111111111)),
        entry('h1 @news.example', pending=marker(222222222), slot='@news.example', hourly_limit=80))})
    default, sender = fleet['hosts']['h1']['default'], fleet['hosts']['h1']['@news.example']
    assert (default['origin'], default['smtp_user']['name']) == ('adopted', default_orphan)
    assert (sender['origin'], sender['smtp_user']['name']) == ('adopted', sender_orphan)
    listed = users_by_name(simulator)
    assert (listed[default_orphan]['total_limit'], listed[default_orphan]['hourly_limit']) == (10000, 500)
    assert (listed[sender_orphan]['total_limit'], listed[sender_orphan]['hourly_limit']) == (10000, 80)
    assert default['smtp_password'] == listed[default_orphan]['password']
    assert sender['smtp_password'] == listed[sender_orphan]['password']
    assert simulator.requests()['counts']['addSmtp'] == 0 and fleet['unclaimed'] == []


@pytest.mark.parametrize('requests', [
    {'h1': request(entry('h1', pending=marker(111111111)),
                   entry('h1 @news.example', pending=marker(111111111), slot='@news.example'))},
    {'h1': default_only('h1', pending=marker(111111111)), 'h2': default_only('h2', pending=marker(111111111))},
], ids=['two slots of one host', 'two hosts'])
def test_one_orphan_is_adopted_by_one_slot_alone_even_when_two_markers_match_it(simulator, provisioner, requests):
    [orphan] = simulator.add_users(1, 111111111, 500)
    fleet = run_fleet(provisioner, requests)
    results = [result for slots in fleet['hosts'].values() for result in slots.values()]
    assert [result['origin'] for result in results] == ['adopted', 'new']
    assert results[0]['smtp_user']['name'] == orphan != results[1]['smtp_user']['name']
    assert simulator.requests()['counts']['addSmtp'] == 1 and len(simulator.users()) == 2


def test_a_user_a_later_slot_holds_is_never_adopted_by_an_earlier_one(simulator, provisioner):
    """A sender adopted its user last run, but the edit to its real limits failed: the user still carries the marker."""
    [held] = simulator.add_users(1, 111111111, 500)
    fleet = run_fleet(provisioner, {'h1': request(
        entry('h1', pending=marker(111111111)),
        entry('h1 @news.example', held=held, slot='@news.example'))})
    default, sender = fleet['hosts']['h1']['default'], fleet['hosts']['h1']['@news.example']
    assert (default['origin'], default['failed']) == ('new', False) and default['smtp_user']['name'] != held
    assert (sender['origin'], sender['smtp_user']['name']) == ('host', held)


def test_a_user_adopted_by_a_slot_that_failed_is_not_adopted_by_the_next_slot(simulator, provisioner):
    """The failed slot's result names no user, so only the decision tells ensure_fleet that it took one."""
    [orphan] = simulator.add_users(1, 111111111, 500)
    provisioner.refresh()
    # Listed with a status the client cannot read (the simulator lists only readable ones): apply refuses to touch it.
    provisioner.users[orphan].update(status='Suspended', enabled=None)
    fleet = ensure_fleet(provisioner, None, {'h1': request(
        entry('h1', pending=marker(111111111)),
        entry('h1 @news.example', pending=marker(111111111), slot='@news.example'))}, False)
    default, sender = fleet['hosts']['h1']['default'], fleet['hosts']['h1']['@news.example']
    assert default['failed'] and orphan in default['msg'] and default['smtp_user'] is None
    assert (sender['failed'], sender['origin']) == (False, 'new') and sender['smtp_user']['name'] != orphan


def test_a_failing_slot_fails_alone(simulator, provisioner):
    default_user, other_host_user = simulator.add_users(2, 10000, 500)
    # The service refuses every create, provably (429): the new sender fails, the reset of the default user goes on.
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    fleet = run_fleet(provisioner, {
        'h1': request(entry('h1', held=default_user, has_password=False),
                      entry('h1 @news.example', pending=marker(222222222), slot='@news.example'),
                      entry('h1 @busy.example', slot='@busy.example',
                            identity={'name': None, 'recorded': False, 'has_password': False, 'pending': None,
                                      'busy': 'another run owns this create'})),
        'h2': default_only('h2', held=other_host_user, hourly_limit=90),
    })
    h1 = fleet['hosts']['h1']
    assert h1['@news.example']['failed'] and 'addSmtp' in h1['@news.example']['msg']
    assert h1['@news.example']['create_unsettled'] is False
    assert (h1['@busy.example']['failed'], h1['@busy.example']['msg']) == (True, 'another run owns this create')
    assert (h1['default']['failed'], h1['default']['operations']) == (False, ['reset'])
    assert h1['default']['smtp_password'] == users_by_name(simulator)[default_user]['password']
    assert (fleet['hosts']['h2']['default']['failed'], fleet['hosts']['h2']['default']['operations']) == (False, ['edit'])
    assert users_by_name(simulator)[other_host_user]['hourly_limit'] == 90


def test_the_users_of_every_slot_are_claimed_and_only_the_others_are_disabled(simulator, provisioner, tmp_path):
    default_user, sender_user, removed_user, recorded, orphan = simulator.add_users(5, 10000, 500)
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('h2 @gone.example', recorded)  # a sender of a host that is not in this play
    fleet = run_fleet(provisioner, {'h1': request(
        entry('h1', held=default_user),
        entry('h1 orders@shop.example', held=sender_user, slot='orders@shop.example'),
        entry('h1 @old.example', held=removed_user, slot='@old.example', state='disabled'))},
        registry, disable_unclaimed=True)
    assert fleet['unclaimed'] == [{'name': orphan, 'total_limit': 10000, 'hourly_limit': 500}]
    assert fleet['disabled'] == [orphan]
    statuses = dict((name, listed['status']) for name, listed in users_by_name(simulator).items())
    assert statuses == {default_user: 'Enable', sender_user: 'Enable', removed_user: 'Disable', recorded: 'Enable',
                        orphan: 'Disable'}


# --- ensure_slot alone ---

def test_a_host_decided_in_error_fails_alone_without_a_request(simulator, provisioner):
    provisioner.refresh()
    zero_counters(simulator)
    result = ensure_slot(provisioner, Decision(error='another run owns this host', origin=None))
    assert (result['failed'], result['msg'], result['changed'], result['create_unsettled']) == (
        True, 'another run owns this host', False, False)
    assert simulator.requests()['total'] == 0


def test_a_host_with_nothing_to_ensure_succeeds_without_a_request(simulator, provisioner):
    provisioner.refresh()
    zero_counters(simulator)
    result = ensure_slot(provisioner, Decision(origin='registry'))
    assert (result['failed'], result['changed'], result['smtp_user'], result['origin']) == (False, False, None, 'registry')
    assert simulator.requests()['total'] == 0


def test_a_create_the_service_provably_refused_is_not_unsettled(simulator, provisioner):
    provisioner.refresh()
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    result = ensure_slot(provisioner, Decision(spec={'name': None, 'key': None, 'state': 'present', 'enabled': True,
                                                     'total_limit': 10000, 'hourly_limit': 500}, origin='new'))
    assert result['failed'] and 'addSmtp' in result['msg'] and 'diff' not in result
    assert result['api_error']['outcome_unknown'] is False and simulator.users() == []
    assert result['create_unsettled'] is False


def test_a_create_whose_outcome_is_unknown_is_unsettled(simulator, provisioner):
    provisioner.refresh()
    simulator.configure(fault_rate=1.0, fault_kinds=['html502'], fault_calls=['addSmtp'])
    result = ensure_slot(provisioner, Decision(spec={'name': None, 'key': None, 'state': 'present', 'enabled': True,
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
    requests = {'h1': None, 'h2': default_only('h2'), 'h3': dict(default_only('h3'), connection='account-2'),
                'h4': default_only('h4')}
    assert group('h2', requests) == ['h2', 'h4']  # h1 skipped the role; h3 uses another account
    assert group('h4', requests) == ['h2']  # not the leader: it looks no further than h2, its leader
    assert group('h3', requests) == ['h3']


def test_a_host_without_its_request_fact_fails_with_the_fact_named():
    with pytest.raises(AnsibleActionFail, match='sendclean_smtp_request is not set for h1'):
        group('h1', {'h1': {}, 'h2': default_only('h2')})


@pytest.mark.parametrize('options, refused', [
    ({}, None),
    ({'limit': 'h1'}, '--limit'),
    ({'play_hosts': ['h1', 'h2', 'h3']}, 'h3'),  # serial, or a when condition false for h3
])
def test_disable_unclaimed_is_refused_when_the_play_does_not_see_the_whole_fleet(options, refused):
    requests = {'h1': default_only('h1'), 'h2': default_only('h2')}
    errors = ActionModule._incomplete_scope(task_vars('h1', requests, **options), requests)  # pylint: disable=protected-access
    if refused is None:
        assert errors == []
    else:
        assert len(errors) == 1 and refused in errors[0] and 'disable_unclaimed is refused' in errors[0]


# --- the leader refuses a malformed request before any request to the service ---

def leader(simulator, check_mode=False, without=(), **args):
    """The action as the leader runs it, with the connection options of the simulator, but those named in ``without``
    (as the role omits an empty variable) and with ``args`` instead."""
    given = dict({'owner_id': simulator.owner_id, 'token': simulator.token, 'api_url': simulator.api_url}, **args)
    action = object.__new__(ActionModule)  # _outcome reads the task's arguments and check mode only
    action._task = SimpleNamespace(args=dict((option, value) for option, value in given.items() if option not in without),  # pylint: disable=protected-access
                                   check_mode=check_mode)
    return action


def test_a_well_formed_call_lists_once_and_returns_every_slot(simulator):
    requests = {'h1': request(entry('h1'), entry('h1 @news.example', slot='@news.example')), 'h2': default_only('h2')}
    result = leader(simulator, check_mode=True)._ensure(task_vars('h1', requests), [].append)  # pylint: disable=protected-access
    assert result['fleet']['leader'] == 'h1'
    assert dict((host, sorted(slots)) for host, slots in result['fleet']['hosts'].items()) == {
        'h1': ['@news.example', 'default'], 'h2': ['default']}
    stats = simulator.requests()
    assert (stats['total'], stats['counts']['listSmtp']) == (1, 1)


@pytest.mark.parametrize('malformed, problem', [
    ({'connection': 'account-1'}, 'sendclean_smtp_request of h2: it has no users list'),
    (request(entry('h2', slot=None)), 'sendclean_smtp_request of h2: users[0] has no slot'),
    (request(entry('h2'), entry('h2 @news.example', slot='@news.example'), entry('h2 again')),
     "sendclean_smtp_request of h2: users[2] repeats slot 'default'"),
], ids=['no users', 'no slot', 'duplicate slot'])
def test_a_malformed_request_fails_the_call_naming_the_fact_and_the_host_with_nothing_sent(simulator, malformed, problem):
    requests = {'h1': default_only('h1', pending=marker(111111111)), 'h2': malformed}
    with pytest.raises(AnsibleActionFail) as failure:
        leader(simulator)._ensure(task_vars('h1', requests), [].append)  # pylint: disable=protected-access
    assert problem in failure.value.message
    assert simulator.requests()['total'] == 0 and simulator.users() == []


# --- the connection: the same rules as the modules' (module_utils/_module.py) ---

@pytest.fixture
def no_endpoint_from_the_environment(monkeypatch, no_proxy_from_the_environment):  # pylint: disable=unused-argument
    for variable in ('SENDCLEAN_APP_DOMAIN', 'SENDCLEAN_API_URL'):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def elsewhere(tmp_path):
    """A second simulator, standing for the endpoint an exported SENDCLEAN_API_URL names: it must never be asked."""
    with Simulator().start(str(tmp_path / 'elsewhere')) as sim:
        yield sim


@pytest.mark.usefixtures('no_endpoint_from_the_environment')
def test_the_task_app_domain_wins_over_the_environment_api_url(simulator, elsewhere, proxy, monkeypatch):
    """The role passes smtp_relay_app_domain as app_domain: an exported SENDCLEAN_API_URL must not take the token."""
    proxy.refuse = True  # shows where the request went, without leaving this machine
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:%d' % proxy.server_address[1])
    monkeypatch.setenv('SENDCLEAN_API_URL', elsewhere.api_url)
    action = leader(simulator, without=['api_url'], app_domain='us1-mta1.sendclean.net', retries=0)
    result = action._outcome(task_vars('h1', {'h1': default_only('h1')}))  # pylint: disable=protected-access
    assert result['failed'] and 'could not connect to https://api.us1-mta1.sendclean.net/v1.0/' in result['msg']
    assert [head.split(' ')[:2] for head in proxy.heads] == [['CONNECT', 'api.us1-mta1.sendclean.net:443']]
    assert elsewhere.requests()['total'] == 0


@pytest.mark.usefixtures('no_endpoint_from_the_environment')
def test_with_neither_option_set_the_environment_names_the_endpoint(simulator, monkeypatch):
    monkeypatch.setenv('SENDCLEAN_API_URL', simulator.api_url)
    action = leader(simulator, check_mode=True, without=['api_url'])
    assert action._outcome(task_vars('h1', {'h1': default_only('h1')}))['fleet']['leader'] == 'h1'  # pylint: disable=protected-access
    assert simulator.requests()['counts']['listSmtp'] == 1


@pytest.mark.usefixtures('no_endpoint_from_the_environment')
def test_a_missing_owner_id_names_its_environment_variable(simulator, monkeypatch):
    monkeypatch.delenv('SENDCLEAN_OWNER_ID', raising=False)
    result = leader(simulator, without=['owner_id'])._outcome(task_vars('h1', {'h1': default_only('h1')}))  # pylint: disable=protected-access
    assert result['failed'] and 'owner_id is required: set it on the task or in module_defaults, or export ' \
        'SENDCLEAN_OWNER_ID' in result['msg']
    assert simulator.requests()['total'] == 0


def test_the_retries_before_a_failed_call_are_in_its_warnings(simulator):
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['listSmtp'], retry_after=0)
    result = leader(simulator, retries=1)._outcome(task_vars('h1', {'h1': default_only('h1')}))  # pylint: disable=protected-access
    assert result['failed'] and result['msg'].endswith('; gave up after 2 attempts over %s s' % result['msg'].split()[-2])
    assert [warning for warning in result['warnings'] if 'attempt' in warning] == [
        'SendClean settings/listSmtp: attempt 1 of 2 failed (GeneralError: Too many requests (HTTP 429)); retrying in 0.0 s']
    assert simulator.token not in repr(result)
