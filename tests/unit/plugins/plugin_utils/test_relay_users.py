# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The SendClean users of a host of the smtp_relay role: which user each slot gets (decide), and what a run of the
role's SendClean step does for a host (HostUsers) against the simulator over HTTP, with the host's record written on
disk by the functions sendclean_relay_record runs.

A run here is what sendclean_relay_users does for each host of a play batch: the batch's one listing (a fresh
controller lists again), the host's record read as sendclean_relay_facts reports it, HostUsers.ensure, then the
listing merged. Runs are killed by a write of the record that raises instead of returning.
"""

import functools
import json
import os
import time

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils import _host_record
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry
from ansible_collections.sendclean.mta.plugins.plugin_utils._account_snapshot import AccountSnapshot, snapshot_key
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_users import (
    ORIGIN_ADOPTED, ORIGIN_HOST, ORIGIN_NEW, ORIGIN_PINNED, ORIGIN_REGISTRY, HostUsers, changes_of, decide,
    day_of, limits_warnings, next_rotations, rotation_reason, slot_entries, summary, unclaimed_users,
)

NEW_USER_LIMITS = (10000, 500)
ORDERS, NEWS, OLD = 'orders@shop.example', '@news.example', '@old.example'
MARKER = {'total_limit': 123456789, 'hourly_limit': 500, 'since': 0}
NOW = 1796425200  # 2026-12-04 22:20 UTC
DAY = 86400


def settings(**options):
    """The role's settings as _relay_input.check normalizes them (the SendClean part), for host h1."""
    normalized = {'state': 'present', 'smtp_user_name': None, 'user_key': 'h1', 'registry': None,
                  'recreate_missing': False, 'total_limit': None, 'hourly_limit': None,
                  'new_user_total_limit': NEW_USER_LIMITS[0], 'new_user_hourly_limit': NEW_USER_LIMITS[1],
                  'rotate_password': False, 'rotate_after_days': None, 'senders': []}
    normalized.update(options)
    return normalized


def sender(address, total_limit=None, hourly_limit=None, rotate_password=None, rotate_after_days=None):
    return {'sender': address, 'total_limit': total_limit, 'hourly_limit': hourly_limit,
            'rotate_password': rotate_password, 'rotate_after_days': rotate_after_days}


def held(name=None, has_password=True, pending=None, marker=None):
    """A slot of the host's record as sendclean_relay_facts reports it (never a password); ``marker``: the limits of
    the create that made its user."""
    return {'name': name, 'has_password': bool(name) and has_password, 'issued': None, 'rotation_unsettled': False,
            'pending': pending,
            'marker': marker}


def entry(slot='default', held_user=None, legacy=False, **options):
    """The entry of one slot, from slot_entries: a host holding ``held_user`` (see held) in that slot."""
    if slot != 'default' and 'senders' not in options:
        options['senders'] = [sender(slot)]
    identity = {'users': {slot: held_user} if held_user else {}, 'legacy': [slot] if legacy else []}
    [found] = [described for described in slot_entries(settings(**options), identity, NOW) if described['slot'] == slot]
    return found


def user(name, total_limit=10000, hourly_limit=500, enabled=True):
    """A listed user as the shared listing gives it."""
    return {'name': name, 'enabled': enabled, 'status': 'Enable' if enabled else 'Disable', 'total_limit': total_limit,
            'hourly_limit': hourly_limit, 'password': None}


def account(*users):
    return dict((listed['name'], listed) for listed in users)


def decide_alone(described, users, registry_name=None, claimed=()):
    """decide as HostUsers calls it for a host alone in its batch: the registry's names are claimed."""
    return decide(described, users, registry_name, set(claimed) | set([registry_name] if registry_name else []))


# --- the slots of a host ---

def test_the_default_slot_and_each_sender_are_keyed_by_the_user_key_with_their_limits():
    entries = slot_entries(settings(total_limit=3000, senders=[sender(ORDERS, 2000, 50), sender(NEWS, hourly_limit=900)]),
                           {'users': {}, 'legacy': []}, NOW)
    assert [(described['slot'], described['key'], described['state']) for described in entries] == [
        ('default', 'h1', 'present'), (ORDERS, 'h1 ' + ORDERS, 'present'), (NEWS, 'h1 ' + NEWS, 'present')]
    assert [(described['total_limit'], described['hourly_limit'], described['new_user_limits'])
            for described in entries] == [(3000, None, (3000, 500)), (2000, 50, (2000, 50)), (None, 900, (10000, 900))]
    assert all(described['identity'] == {'name': None, 'has_password': False, 'pending': None}
               for described in entries)


def test_a_pinned_name_is_the_default_slots_and_has_no_key():
    entries = slot_entries(settings(smtp_user_name='smtp7', senders=[sender(ORDERS)]), {'users': {}, 'legacy': []}, NOW)
    assert [(described['slot'], described['key'], described['name']) for described in entries] == [
        ('default', None, 'smtp7'), (ORDERS, 'h1 ' + ORDERS, None)]


def test_a_sender_taken_off_the_list_is_disabled_and_a_marker_alone_is_no_user_to_disable():
    identity = {'users': {'default': held('smtp1'), OLD: held('smtp2'), NEWS: held(pending=MARKER)}, 'legacy': []}
    entries = slot_entries(settings(senders=[sender(ORDERS)]), identity, NOW)
    assert [(described['slot'], described['state']) for described in entries] == [
        ('default', 'present'), (ORDERS, 'present'), (OLD, 'disabled')]
    assert entries[2]['identity']['name'] == 'smtp2' and entries[2]['rotate'] is None


def test_a_decommissioned_host_disables_every_slot_it_holds_whatever_the_senders_say():
    identity = {'users': {'default': held('smtp1'), ORDERS: held('smtp2')}, 'legacy': []}
    entries = slot_entries(settings(state='disabled', rotate_password=True, senders=[sender(ORDERS), sender(NEWS)]),
                           identity, NOW)
    assert [(described['slot'], described['state'], described['rotate']) for described in entries] == [
        ('default', 'disabled', None), (ORDERS, 'disabled', None)]


@pytest.mark.parametrize('role, own, rotated', [(False, None, False), (True, None, True), (False, True, True)])
def test_a_sender_rotates_with_the_role_or_on_its_own(role, own, rotated):
    entries = slot_entries(settings(rotate_password=role, senders=[sender(ORDERS, rotate_password=own)]),
                           {'users': {}, 'legacy': []}, NOW)
    assert (bool(entries[0]['rotate']), bool(entries[1]['rotate'])) == (role, rotated)


def test_a_slot_held_only_in_sasl_passwd_is_marked_legacy():
    identity = {'users': {'default': held('smtpD')}, 'legacy': ['default']}
    assert slot_entries(settings(), identity, NOW)[0]['identity']['legacy'] is True


# --- pinned by name ---

@pytest.mark.parametrize('held_user, reset', [
    (held('smtp1'), False),  # the host holds the pinned user's password: kept
    (held('smtp1', has_password=False), True),  # the host holds that user without its password: a reset
    (held('smtp2'), True),  # the host's password is another user's: a reset
    (None, True),
])
def test_a_pinned_user_is_used_and_reset_only_when_the_host_lacks_its_password(held_user, reset):
    decision = decide_alone(entry(held_user=held_user, smtp_user_name='smtp1'), account(user('smtp1'), user('smtp2')))
    assert decision.origin == ORIGIN_PINNED and decision.error is None
    assert decision.spec['name'] == 'smtp1'
    assert decision.spec['reset_password'] is reset


def test_pinning_an_existing_user_does_not_push_the_default_limits_onto_it():
    decision = decide_alone(entry(smtp_user_name='smtp1'), account(user('smtp1', 77, 7)))
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == (None, None)


@pytest.mark.parametrize('recreate_missing', [False, True])
def test_a_pinned_user_missing_from_the_account_is_an_error_never_a_new_user(recreate_missing):
    decision = decide_alone(entry(smtp_user_name='smtp9', recreate_missing=recreate_missing), account(user('smtp1')))
    assert decision.spec is None and decision.create is False
    assert 'smtp_relay_smtp_user_name' in decision.error and 'smtp9' in decision.error


def test_a_pinned_user_to_disable_is_disabled_without_limits_or_reset():
    decision = decide_alone(entry(smtp_user_name='smtp1', state='disabled', rotate_password=True), account(user('smtp1')))
    assert decision.origin == ORIGIN_PINNED
    assert decision.spec['state'] == 'disabled'
    assert decision.spec['enabled'] is None
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == (None, None)
    assert decision.spec['reset_password'] is False


@pytest.mark.parametrize('options, registry_name, origin', [
    ({'smtp_user_name': 'smtp9'}, None, ORIGIN_PINNED),
    ({'held_user': held('smtp9')}, None, ORIGIN_HOST),
    ({}, 'smtp9', ORIGIN_REGISTRY),
], ids=['pinned', 'held', 'registry'])
def test_a_user_to_disable_that_is_gone_leaves_nothing_to_do(options, registry_name, origin):
    decision = decide_alone(entry(state='disabled', **options), account(user('smtp1')), registry_name)
    assert (decision.spec, decision.error, decision.origin) == (None, None, origin)


# --- held by the host ---

@pytest.mark.parametrize('has_password', [True, False])
def test_the_user_the_host_holds_is_kept_and_reset_only_without_its_password(has_password):
    decision = decide_alone(entry(held_user=held('smtp1', has_password)), account(user('smtp1'), user('smtp2')))
    assert decision.origin == ORIGIN_HOST and decision.error is None and decision.note is None
    assert decision.spec['name'] == 'smtp1' and decision.spec['state'] == 'present' and decision.spec['enabled'] is True
    assert decision.spec['reset_password'] is not has_password


def test_a_held_user_missing_from_the_account_is_an_error_without_recreate_missing():
    decision = decide_alone(entry(held_user=held('smtp9')), account(user('smtp1')))
    assert decision.spec is None
    assert 'smtp9' in decision.error and 'smtp_relay_recreate_missing=true' in decision.error


@pytest.mark.parametrize('pending', [None, MARKER])
def test_a_held_user_missing_from_the_account_is_replaced_with_recreate_missing(pending):
    decision = decide_alone(entry(held_user=held('smtp9', pending=pending), recreate_missing=True),
                            account(user('smtp1')))
    assert decision.origin == ORIGIN_NEW and decision.error is None and decision.create is True
    assert 'smtp9' in decision.note
    assert decision.spec['name'] is None and decision.spec['state'] == 'present'
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == NEW_USER_LIMITS


@pytest.mark.parametrize('listed, new_user', [((123456789, 500), True), ((10000, 500), False), ((123456789, 499), False)],
                         ids=['at the marker', 'set since', 'another marker'])
def test_a_held_user_still_at_the_limits_of_the_marker_it_was_made_with_gets_the_new_user_limits(listed, new_user):
    """The run that made it recorded it, then was killed (or its edit failed) before setting its limits."""
    decision = decide_alone(entry(held_user=held('smtp1', marker=MARKER)), account(user('smtp1', *listed)))
    assert (decision.origin, decision.spec['name'], decision.spec['reset_password']) == (ORIGIN_HOST, 'smtp1', False)
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == (NEW_USER_LIMITS if new_user else (None, None))


def test_when_host_and_registry_disagree_the_host_wins_and_the_run_says_so():
    decision = decide_alone(entry(held_user=held('smtp1')), account(user('smtp1'), user('smtp2')), 'smtp2')
    assert decision.origin == ORIGIN_HOST
    assert decision.spec['name'] == 'smtp1' and decision.spec['reset_password'] is False
    assert 'smtp2' in decision.note and 'smtp1' in decision.note and "'h1'" in decision.note


def test_a_registry_that_agrees_with_the_host_is_not_mentioned():
    decision = decide_alone(entry(held_user=held('smtp1')), account(user('smtp1')), 'smtp1')
    assert decision.origin == ORIGIN_HOST and decision.note is None


def test_a_held_user_that_is_gone_is_an_error_and_the_registry_is_not_mentioned():
    decision = decide_alone(entry(held_user=held('smtp9')), account(user('smtp2')), 'smtp2')
    assert decision.error and decision.note is None and decision.spec is None


# --- recorded by the registry: a reimaged host ---

def test_a_reimaged_host_gets_its_registry_user_back_with_a_new_password():
    decision = decide_alone(entry(held_user=held(pending=MARKER)), account(user('smtp1'), user('smtp2')), 'smtp2')
    assert decision.origin == ORIGIN_REGISTRY and decision.error is None
    assert decision.spec['name'] == 'smtp2'
    assert decision.spec['reset_password'] is True  # a listed password is never used


def test_a_registry_user_missing_from_the_account_is_an_error_without_recreate_missing():
    decision = decide_alone(entry(), account(user('smtp1')), 'smtp9')
    assert decision.spec is None
    assert 'smtp9' in decision.error and "'h1'" in decision.error and 'recreate_missing' in decision.error


def test_a_registry_user_missing_from_the_account_is_replaced_with_recreate_missing():
    decision = decide_alone(entry(held_user=held(pending=MARKER), recreate_missing=True), account(), 'smtp9')
    assert decision.origin == ORIGIN_NEW and 'smtp9' in decision.note and decision.create is True


def test_a_registry_user_to_disable_is_disabled():
    decision = decide_alone(entry(state='disabled'), account(user('smtp1')), 'smtp1')
    assert decision.origin == ORIGIN_REGISTRY
    assert decision.spec['name'] == 'smtp1' and decision.spec['state'] == 'disabled'


# --- a pending create: adopt its user, or create one ---

def test_the_one_unclaimed_user_with_the_pending_limits_is_adopted_with_a_reset_and_the_wanted_limits():
    users = account(user('smtp1'), user('smtp2', 123456789, 500), user('smtp3', 123456789, 499))
    decision = decide_alone(entry(held_user=held(pending=MARKER)), users)
    assert decision.origin == ORIGIN_ADOPTED and decision.error is None and decision.extras == []
    assert decision.spec['name'] == 'smtp2'
    assert decision.spec['reset_password'] is True
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == NEW_USER_LIMITS
    assert 'smtp2' in decision.note


def test_a_claimed_user_is_never_adopted_even_with_the_pending_limits():
    """Claimed: recorded by the registry, held or pinned by a host of the batch (see the runs below for each)."""
    decision = decide_alone(entry(held_user=held(pending=MARKER)), account(user('smtp2', 123456789, 500)),
                            claimed={'smtp2'})
    assert decision.origin == ORIGIN_NEW and decision.create is True and decision.spec['name'] is None


def test_an_unclaimed_user_is_adopted_when_its_twin_is_claimed():
    users = account(user('smtp1', 123456789, 500), user('smtp2', 123456789, 500))
    decision = decide_alone(entry(held_user=held(pending=MARKER)), users, claimed={'smtp1'})
    assert decision.origin == ORIGIN_ADOPTED and decision.spec['name'] == 'smtp2' and decision.extras == []


def test_of_several_unclaimed_users_with_the_pending_limits_one_is_adopted_and_the_others_are_extras():
    """Two runs raced on the create: the first by name is adopted, the others are for the caller to disable."""
    users = account(user('smtp1'), user('smtp3', 123456789, 500), user('smtp2', 123456789, 500),
                    user('smtp4', 123456789, 500))
    decision = decide_alone(entry(held_user=held(pending=MARKER)), users)
    assert decision.origin == ORIGIN_ADOPTED and decision.error is None
    assert decision.spec['name'] == 'smtp2'
    assert [extra['name'] for extra in decision.extras] == ['smtp3', 'smtp4']


def test_without_a_candidate_a_new_user_is_created_with_the_new_user_limits():
    decision = decide_alone(entry(held_user=held(pending=MARKER)), account(user('smtp1')))
    assert decision.origin == ORIGIN_NEW and decision.error is None and decision.note is None
    assert decision.create is True and decision.spec['name'] is None and decision.spec['key'] is None
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == NEW_USER_LIMITS


def test_without_a_pending_marker_a_new_user_is_created():
    decision = decide_alone(entry(), account(user('smtp1', 123456789, 500)))
    assert decision.origin == ORIGIN_NEW and decision.create is True


@pytest.mark.parametrize('pending', [None, MARKER])
def test_a_host_to_disable_that_never_had_a_user_leaves_nothing_to_do(pending):
    decision = decide_alone(entry(state='disabled', held_user=held(pending=pending) if pending else None),
                            account(user('smtp1', 123456789, 500)))
    assert (decision.spec, decision.error, decision.origin, decision.note, decision.create) == (
        None, None, None, None, False)


def test_staging_never_adopts_a_production_user_with_the_same_hourly_limit():
    """Two inventories on one account: production's hosts and registry are invisible to staging."""
    production = account(
        user('smtp1', 10000, 500),  # a production user, set to its wanted limits
        user('smtp2', 987654321, 500),  # production's own create whose reply was lost: its marker, not staging's
    )
    decision = decide_alone(entry(held_user=held(pending=MARKER), user_key='stage-web1'), production)
    assert decision.origin == ORIGIN_NEW and decision.create is True


# --- limits and passwords ---

@pytest.mark.parametrize('inventory, held_user, wanted', [
    ((None, None), held('smtp1'), (None, None)),
    ((2000, None), held('smtp1'), (2000, None)),
    ((None, 50), held('smtp1'), (None, 50)),
    ((None, None), None, NEW_USER_LIMITS),
    ((2000, None), None, (2000, 500)),
    ((2000, 50), None, (2000, 50)),
])
def test_only_the_inventory_limits_are_enforced_on_existing_users_and_new_users_get_the_new_user_limits(
        inventory, held_user, wanted):
    decision = decide_alone(entry(held_user=held_user, total_limit=inventory[0], hourly_limit=inventory[1]),
                            account(user('smtp1', 77, 7)))
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == wanted


@pytest.mark.parametrize('options, registry_name', [
    ({'held_user': held('smtp1')}, None),
    ({'held_user': held('smtp1'), 'smtp_user_name': 'smtp1'}, None),
    ({}, 'smtp1'),
], ids=['held', 'pinned', 'registry'])
def test_rotation_resets_the_password_of_an_existing_user(options, registry_name):
    decision = decide_alone(entry(rotate_password=True, **options), account(user('smtp1')), registry_name)
    assert decision.spec['name'] == 'smtp1' and decision.spec['reset_password'] is True


def test_specs_never_ask_the_provisioner_for_a_listed_password():
    users = account(user('smtp1'), user('smtp2', 123456789, 500))
    for described in (entry(held_user=held('smtp1')), entry(held_user=held(pending=MARKER)), entry()):
        assert decide_alone(described, users).spec['return_password'] is False


# --- unclaimed users ---

def test_unclaimed_users_are_the_enabled_users_nobody_claims_without_their_passwords():
    listed = [user('smtp1'), user('smtp2', 300, 30), user('smtp3', enabled=False), user('smtp4')]
    listed[1]['password'] = 'listed-secret'
    assert unclaimed_users(listed, {'smtp1', 'smtp4'}) == [{'name': 'smtp2', 'total_limit': 300, 'hourly_limit': 30}]


def test_no_user_is_unclaimed_when_every_enabled_user_is_claimed():
    assert unclaimed_users([user('smtp1'), user('smtp2', enabled=False)], {'smtp1'}) == []


# === runs against the simulator ===

class Killed(BaseException):
    """What SIGKILL does to a run, as far as the run's own code can tell: it stops, and nothing of it catches that."""


class Host(object):
    """A host of the play: its record on disk (written as sendclean_relay_record writes it) and its sasl_passwd."""

    def __init__(self, tmp_path, name='h1'):
        self.name = name
        self.root = tmp_path / name
        self.record = str(self.root / 'etc' / 'sendclean' / 'smtp_relay.json')
        self.sasl_passwd = None
        self.writes = []

    def write_record(self, **changes):
        """What sendclean_relay_record does with these arguments: under the record's lock, read it, update it and
        write it if it changed. Returns the module's result."""
        record = HostRecord(self.record)
        with record.locked():
            record.read()
            written = _host_record.update(record, time.time(), **changes)
            if written['changed']:
                record.write()
        self.writes.append(dict(written, mark=changes.get('mark'), names=changes.get('names')))
        return written

    def facts(self):
        """The identity part of sendclean_relay_facts: the record, never a password."""
        return _host_record.identity_facts(self.record, self.sasl_passwd)

    def users(self):
        return HostRecord(self.record).read().users

    def pending(self):
        return HostRecord(self.record).read().pending

    def name_of(self, slot='default'):
        return (self.users().get(slot) or {}).get('name')

    def password_of(self, slot='default'):
        return (self.users().get(slot) or {}).get('password')


def killed_at(write, call, after_writing=False):
    """A write_record that writes with ``write`` ``call - 1`` times, and at the ``call``-th is killed before (or just
    after) it writes."""
    calls = []

    def write_record(**changes):
        calls.append(changes)
        if len(calls) == call and not after_writing:
            raise Killed()
        written = write(**changes)
        if len(calls) == call:
            raise Killed()
        return written
    return write_record


class Outcome(object):
    """What sendclean_relay_users tells of one host: the slots' results, notes, summary lines and warnings."""

    def __init__(self, host_users, warnings):
        self.results = host_users.results
        self.notes = host_users.notes
        self.summary = summary(host_users.results)
        self.warnings = warnings

    def __getitem__(self, slot):
        return self.results[slot]

    def name(self, slot='default'):
        return (self.results[slot]['smtp_user'] or {}).get('name')


class Run(object):
    """One ansible-playbook run of the role's SendClean step: a controller of its own (so a listing of its own, shared
    by its hosts), the hosts' actions in turn."""

    count = 0

    def __init__(self, simulator, tmp_path, check_mode=False):
        Run.count += 1
        self.simulator = simulator
        self.check_mode = check_mode
        self.local_tmp = str(tmp_path / ('controller-%d' % Run.count))
        self.key = snapshot_key([simulator.owner_id, simulator.token, simulator.api_url], ['play', 'batch'])
        self.client = SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url, retries=1,
                                      sleep=lambda seconds: None)

    def snapshot(self):
        return AccountSnapshot(self.local_tmp, self.key)

    def list(self):
        """The batch's listing, as the first host of the batch takes it."""
        return self.snapshot().users(self.client.list_users)

    def host(self, host, options=None, write_record=None, before_ensure=None):
        """sendclean_relay_users for ``host`` with the role's ``options``; the outcome holds no secret."""
        role = settings(**dict({'user_key': host.name}, **(options or {})))
        warnings = []
        provisioner = Provisioner(self.client, None, self.check_mode, warnings.append)
        snapshot = self.snapshot()
        provisioner.users, claimed = snapshot.users(self.client.list_users)
        registry = Registry(role['registry']) if role['registry'] else None
        facts = host.facts()
        now = int(time.time())
        entries = slot_entries(role, facts, now)
        warnings.extend(limits_warnings(entries))
        write_record = write_record or host.write_record
        if facts['legacy']:  # as the action runs the module: it imports what only sasl_passwd holds
            write_record = functools.partial(write_record, sasl_passwd=facts['sasl_passwd'])
        if before_ensure:
            before_ensure(provisioner)
        host_users = HostUsers(provisioner, registry, write_record, now)
        try:
            claimed = host_users.ensure(entries, claimed | set(registry.records.values() if registry else ()))
        finally:
            assert_secret_free(self.simulator, host_users.results, host_users.notes, summary(host_users.results),
                               warnings)
        snapshot.merge(host.name, provisioner.users, claimed)
        return Outcome(host_users, warnings)

    def unclaimed(self):
        """What sendclean_relay_unclaimed reports from the batch's listing."""
        with self.snapshot().first_report() as listing:
            return unclaimed_users(listing['users'].values(), set(listing['claimed']))


def assert_secret_free(simulator, *outputs):
    text = json.dumps(outputs, default=repr)
    for secret in simulator.issued_secrets() + [simulator.token]:
        assert secret not in text


def users_by_name(simulator):
    return dict((listed['smtp_user_name'], listed) for listed in simulator.users())


def limits_of(simulator, name):
    listed = users_by_name(simulator)[name]
    return listed['total_limit'], listed['hourly_limit']


def zero_counters(simulator):
    simulator.reset(users=False, config=False)


@pytest.fixture
def run(simulator, tmp_path):
    """Start a run (a fresh controller): ``run()``, or ``run(check_mode=True)``."""
    return lambda check_mode=False: Run(simulator, tmp_path, check_mode)


@pytest.fixture
def h1(tmp_path):
    return Host(tmp_path, 'h1')


@pytest.fixture
def h2(tmp_path):
    return Host(tmp_path, 'h2')


# --- a new host ---

def test_a_new_host_is_created_with_a_markers_limits_recorded_then_set_to_the_wanted_ones(simulator, run, h1):
    outcome = run().host(h1)
    result = outcome['default']
    [created] = simulator.users()
    assert (result['origin'], result['failed'], result['changed'], result['password_changed']) == (
        'new', False, True, True)
    assert result['operations'] == ['add', 'edit']
    assert outcome.name() == created['smtp_user_name'] == h1.name_of()
    assert h1.password_of() == created['password']
    assert (created['total_limit'], created['hourly_limit'], created['status']) == (10000, 500, 'Enable')
    assert [(bool(write['mark']), bool(write['names'])) for write in h1.writes] == [(True, False), (False, True)]
    counts = simulator.requests()['counts']
    assert (counts['listSmtp'], counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (1, 1, 1, 0)
    assert outcome.summary == ['%s (this host): created, limits total 10000, hourly 500' % created['smtp_user_name']]
    assert result['diff'] == {'before': {}, 'after': {
        'name': created['smtp_user_name'], 'enabled': True, 'status': 'Enable', 'total_limit': 10000, 'hourly_limit': 500}}


def test_the_create_is_sent_with_the_markers_limits_and_recorded_before_the_limits_edit(simulator, run, h1):
    """With the edit that follows refused, the account shows what addSmtp was sent with, and the host holds it."""
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    outcome = run().host(h1)
    marking, recording = h1.writes
    [created] = simulator.users()
    assert marking['mark'] == {'default': 500} and not marking['names']
    assert (created['total_limit'], created['hourly_limit']) == (marking['markers']['default']['total_limit'], 500)
    assert recording['names'] == {'default': created['smtp_user_name']} and not recording['mark']
    assert outcome['default']['failed'] and 'editSmtp' in outcome['default']['msg']
    assert outcome.name() == created['smtp_user_name'] == h1.name_of()
    assert h1.password_of() == created['password']
    [line] = outcome.summary
    assert line.startswith('The SendClean SMTP user of this host could not be ensured: ') and 'editSmtp' in line


def test_new_keyed_hosts_are_recorded_in_the_registry(simulator, run, h1, h2, tmp_path):
    registry = str(tmp_path / 'registry.json')
    this_run = run()
    names = dict((host.name, this_run.host(host, {'registry': registry}).name()) for host in (h1, h2))
    assert Registry(registry).records == names
    assert sorted(names.values()) == sorted(users_by_name(simulator))
    assert simulator.requests()['counts']['listSmtp'] == 1  # one listing for the batch


# --- a converged host ---

@pytest.mark.parametrize('password_key', ['password', 'absent'])
def test_a_converged_host_from_a_fresh_controller_makes_no_write_and_writes_no_record(
        simulator, run, h1, h2, password_key):
    first = run()
    first.host(h1, {'senders': [sender(ORDERS)]})
    first.host(h2)
    simulator.configure(password_key=password_key)
    zero_counters(simulator)
    before = users_by_name(simulator)
    records = [open(host.record, 'rb').read() for host in (h1, h2)]
    writes = len(h1.writes) + len(h2.writes)
    rerun = run()  # no registry: the hosts alone know their users
    outcomes = [rerun.host(h1, {'senders': [sender(ORDERS)]}), rerun.host(h2)]
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    for outcome in outcomes:
        for result in outcome.results.values():
            assert (result['origin'], result['changed'], result['failed']) == ('host', False, False)
            assert result['operations'] == [] and result['password_changed'] is False
        assert (outcome.summary, outcome.notes) == ([], [])
    assert users_by_name(simulator) == before
    assert [open(host.record, 'rb').read() for host in (h1, h2)] == records
    assert len(h1.writes) + len(h2.writes) == writes
    assert rerun.unclaimed() == []


def test_a_host_without_the_password_of_its_user_gets_a_reset_recorded(simulator, run, h1):
    [name] = simulator.add_users(1, 10000, 500)
    write_record_names(h1, {'default': name})
    old_password = simulator.users()[0]['password']
    outcome = run().host(h1)
    [listed] = simulator.users()
    result = outcome['default']
    assert (result['origin'], result['changed'], result['operations']) == ('host', True, ['reset'])
    assert result['password_changed'] and h1.password_of() == listed['password'] != old_password
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (0, 0, 1)
    assert outcome.summary == ['%s (this host): password rotated' % name]


def write_record_names(host, names, passwords=None):
    """A host that already holds these users (and these passwords, else none)."""
    host.write_record(names=names, passwords=passwords or {}, expected={})
    host.writes = []


def test_a_host_holding_its_user_is_given_only_the_limits_the_inventory_sets(simulator, run, h1, h2):
    [name] = simulator.add_users(1, 77, 7)
    write_record_names(h1, {'default': name}, {'default': 'irrelevant'})
    this_run = run()
    assert this_run.host(h1)['default']['operations'] == []
    pinned = this_run.host(h2, {'smtp_user_name': name, 'hourly_limit': 9})
    assert pinned['default']['operations'] == ['edit', 'reset'] and pinned['default']['origin'] == 'pinned'
    assert limits_of(simulator, name) == (77, 9)
    assert pinned.summary == ['%s (this host): hourly limit 7 -> 9, password rotated' % name]
    assert h2.password_of() == users_by_name(simulator)[name]['password']


def test_a_limit_change_is_a_line_and_a_diff_of_the_limits(simulator, run, h1):
    [name] = simulator.add_users(1, 10000, 500)
    write_record_names(h1, {'default': name}, {'default': 'irrelevant'})
    outcome = run().host(h1, {'hourly_limit': 300, 'total_limit': 10000})
    assert outcome.summary == ['%s (this host): hourly limit 500 -> 300' % name]
    diff = outcome['default']['diff']
    assert (diff['before']['hourly_limit'], diff['after']['hourly_limit']) == (500, 300)
    assert changes_of(outcome['default']) == ['hourly limit 500 -> 300']
    assert h1.writes == []  # the record did not change: not written


# --- host, registry and reimaged hosts ---

def test_when_host_and_registry_disagree_the_registry_is_brought_up_to_date(simulator, run, h1, tmp_path):
    held_name, recorded = simulator.add_users(2, 10000, 500)
    write_record_names(h1, {'default': held_name}, {'default': 'irrelevant'})
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('h1', recorded)
    outcome = run().host(h1, {'registry': registry.path})
    assert outcome.name() == held_name and outcome['default']['origin'] == 'host'
    assert len(outcome.notes) == 1 and recorded in outcome.notes[0] and held_name in outcome.notes[0]
    assert Registry(registry.path).name_of('h1') == held_name
    assert simulator.requests()['writes'] == 0


def test_a_reimaged_host_gets_its_registry_user_back_with_a_reset(simulator, run, h1, tmp_path):
    registry = str(tmp_path / 'registry.json')
    name = run().host(h1, {'registry': registry}).name()
    os.remove(h1.record)  # reimaged
    zero_counters(simulator)
    outcome = run().host(h1, {'registry': registry})
    result = outcome['default']
    assert (result['origin'], outcome.name(), result['operations']) == ('registry', name, ['reset'])
    assert h1.name_of() == name and h1.password_of() == users_by_name(simulator)[name]['password']
    assert len(simulator.users()) == 1


def test_a_reimaged_host_without_the_registry_gets_a_new_user_and_the_old_one_is_unclaimed(simulator, run, h1):
    old = run().host(h1).name()
    os.remove(h1.record)
    rerun = run()
    outcome = rerun.host(h1)
    assert outcome['default']['origin'] == 'new' and outcome.name() != old
    assert rerun.unclaimed() == [{'name': old, 'total_limit': 10000, 'hourly_limit': 500}]


# --- unclaimed users ---

def test_the_enabled_users_nobody_claims_are_reported_and_left_alone(simulator, run, h1, tmp_path):
    held_name, recorded, first_orphan, second_orphan = simulator.add_users(4, 10000, 500)
    simulator.add_users(1, 10000, 500, status='Disable')
    write_record_names(h1, {'default': held_name}, {'default': 'irrelevant'})
    registry = Registry(str(tmp_path / 'registry.json'))
    with registry.locked():
        registry.record('decommissioned', recorded)
    this_run = run()
    this_run.host(h1, {'registry': registry.path})
    unclaimed = this_run.unclaimed()
    assert sorted(listed['name'] for listed in unclaimed) == sorted([first_orphan, second_orphan])
    assert all(set(listed) == {'name', 'total_limit', 'hourly_limit'} for listed in unclaimed)
    assert simulator.requests()['writes'] == 0


def test_the_users_of_every_slot_of_every_host_are_claimed(simulator, run, h1, h2):
    default_user, sender_user, removed_user, other_user, orphan = simulator.add_users(5, 10000, 500)
    write_record_names(h1, {'default': default_user, ORDERS: sender_user, OLD: removed_user},
                       {'default': 'pw', ORDERS: 'pw', OLD: 'pw'})
    write_record_names(h2, {'default': other_user}, {'default': 'pw'})
    this_run = run()
    this_run.host(h1, {'senders': [sender(ORDERS)]})
    this_run.host(h2)
    assert this_run.unclaimed() == [{'name': orphan, 'total_limit': 10000, 'hourly_limit': 500}]


# --- check mode ---

def check_scene(simulator, tmp_path):
    """Hosts in every case: new, without its password, reimaged, a lost create to adopt, a limit to change, a sender
    taken off the list, decommissioned."""
    hosts = dict((name, Host(tmp_path, name)) for name in (
        'new', 'no-password', 'reimaged', 'lost-create', 'limits', 'senders', 'decommissioned'))
    no_password, recorded, limits, default_user, removed_user, gone_host_user = simulator.add_users(6, 10000, 500)
    [lost] = simulator.add_users(1, 123456789, 500)
    write_record_names(hosts['no-password'], {'default': no_password})
    write_record_names(hosts['limits'], {'default': limits}, {'default': 'pw'})
    write_record_names(hosts['senders'], {'default': default_user, OLD: removed_user}, {'default': 'pw', OLD: 'pw'})
    write_record_names(hosts['decommissioned'], {'default': gone_host_user}, {'default': 'pw'})
    record = HostRecord(hosts['lost-create'].record)
    with record.locked():
        record.pending['default'] = dict(MARKER)
        record.write()
    registry = str(tmp_path / 'registry.json')
    with Registry(registry).locked() as opened:
        opened.record('reimaged', recorded)
    options = {'limits': {'hourly_limit': 300}, 'decommissioned': {'state': 'disabled'}}
    return hosts, dict((name, dict(options.get(name, {}), registry=registry)) for name in hosts), lost


def seen(outcome, created):
    """What a user sees of a host's outcome, with the names of new users (unknown in check mode) left out."""
    def anonymous(text):
        for name in created:
            text = text.replace(name, '(a new user)')
        return text

    results = dict((slot, {
        'origin': result['origin'], 'changed': result['changed'], 'password_changed': result['password_changed'],
        'failed': result['failed'], 'operations': sorted(set(result['operations'])),
        'diff': dict((side, dict(view, name=None)) for side, view in result['diff'].items() if view),
    }) for slot, result in outcome.results.items())
    return results, [anonymous(line) for line in outcome.summary], [anonymous(note) for note in outcome.notes]


def test_check_mode_predicts_every_case_and_writes_nothing(simulator, run, tmp_path):
    hosts, options, lost = check_scene(simulator, tmp_path)
    registry_bytes = open(options['new']['registry'], 'rb').read()
    records = dict((name, os.path.exists(host.record) and open(host.record, 'rb').read()) for name, host in hosts.items())
    before = users_by_name(simulator)
    checked_run = run(check_mode=True)
    checked = dict((name, checked_run.host(host, options[name])) for name, host in hosts.items())
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert open(options['new']['registry'], 'rb').read() == registry_bytes
    assert dict((name, os.path.exists(host.record) and open(host.record, 'rb').read())
                for name, host in hosts.items()) == records
    assert all(host.writes == [] for host in hosts.values())
    assert users_by_name(simulator) == before

    real_run = run()
    real = dict((name, real_run.host(host, options[name])) for name, host in hosts.items())
    created = set(users_by_name(simulator)) - set(before)
    assert len(created) == 1 and real['lost-create'].name() == lost
    for name in hosts:
        predicted, done = seen(checked[name], created), seen(real[name], created)
        if name == 'new':  # the create's first step, to the marker's limits, is not an operation of its own
            assert predicted[0]['default']['operations'] == ['add'] and done[0]['default']['operations'] == ['add', 'edit']
            predicted[0]['default']['operations'] = done[0]['default']['operations']
        assert predicted == done, name
    assert all(any(result['changed'] for result in real[name].results.values()) for name in hosts)


# --- a create whose reply is lost ---

def test_a_lost_create_reply_is_adopted_in_the_same_run_by_the_markers_limits(simulator, run, h1):
    simulator.add_users(1, 10000, 500)  # a user of the same wanted limits, older than the create
    simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'])
    outcome = run().host(h1)
    result = outcome['default']
    assert (result['failed'], result['adopted'], result['operations']) == (False, True, ['add', 'edit'])
    assert limits_of(simulator, outcome.name()) == (10000, 500)
    assert h1.name_of() == outcome.name()
    assert h1.password_of() == users_by_name(simulator)[outcome.name()]['password']
    assert len(simulator.users()) == 2 and simulator.requests()['counts']['addSmtp'] == 1


def test_a_create_left_unsettled_is_adopted_by_the_next_run_through_the_marker(simulator, run, h1):
    first = run()
    first.list()
    simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'], fault_rate=1.0, fault_kinds=['html503'],
                        fault_calls=['listSmtp'], retry_after=0)
    lost = first.host(h1)['default']
    assert (lost['failed'], lost['create_unsettled'], lost['smtp_user']) == (True, True, None)
    [orphan] = simulator.users()
    assert h1.users() == {} and list(h1.pending()) == ['default']
    assert (orphan['total_limit'], orphan['hourly_limit']) == (h1.pending()['default']['total_limit'], 500)

    simulator.reset(users=False)
    outcome = run().host(h1)
    result = outcome['default']
    assert (result['origin'], outcome.name(), result['failed']) == ('adopted', orphan['smtp_user_name'], False)
    assert result['operations'] == ['reset', 'edit']
    [adopted] = simulator.users()
    assert (adopted['total_limit'], adopted['hourly_limit']) == (10000, 500)
    assert h1.password_of() == adopted['password'] != orphan['password']
    assert simulator.requests()['counts']['addSmtp'] == 0
    assert outcome.notes == ['adopted %s, the user an earlier run created for this host but never recorded'
                             % orphan['smtp_user_name']]


# --- a run killed at any point blocks nothing ---

def test_a_run_killed_after_the_create_before_the_record_is_adopted_by_the_next(simulator, run, h1):
    with pytest.raises(Killed):
        run().host(h1, write_record=killed_at(h1.write_record, 2))
    [orphan] = simulator.users()
    assert h1.users() == {} and orphan['total_limit'] == h1.pending()['default']['total_limit']

    outcome = run().host(h1)  # a fresh controller, at once
    assert (outcome['default']['origin'], outcome['default']['failed']) == ('adopted', False)
    [adopted] = simulator.users()
    assert outcome.name() == h1.name_of() == orphan['smtp_user_name']
    assert (adopted['total_limit'], adopted['hourly_limit'], adopted['status']) == (10000, 500, 'Enable')
    assert h1.password_of() == adopted['password']


def test_a_run_killed_after_the_mark_before_the_create_leaves_a_marker_the_next_run_uses(simulator, run, h1):
    with pytest.raises(Killed):
        run().host(h1, write_record=killed_at(h1.write_record, 1, after_writing=True))
    assert simulator.users() == [] and list(h1.pending()) == ['default']
    outcome = run().host(h1)
    assert (outcome['default']['origin'], outcome['default']['failed']) == ('new', False)
    [created] = simulator.users()
    assert (created['total_limit'], created['hourly_limit']) == (10000, 500)
    assert h1.name_of() == created['smtp_user_name'] and h1.password_of() == created['password']


@pytest.mark.parametrize('inventory', [{}, {'total_limit': 2000, 'hourly_limit': 50}],
                         ids=['new-user limits', 'inventory limits'])
def test_a_run_killed_after_the_record_before_the_limits_edit_is_finished_by_the_next(simulator, run, h1, inventory):
    with pytest.raises(Killed):
        run().host(h1, inventory, write_record=killed_at(h1.write_record, 2, after_writing=True))
    [created] = simulator.users()
    assert h1.name_of() == created['smtp_user_name'] and created['total_limit'] >= 100000000

    zero_counters(simulator)
    outcome = run().host(h1, inventory)
    assert (outcome['default']['origin'], outcome['default']['failed']) == ('host', False)
    [edited] = simulator.users()
    wanted = (inventory.get('total_limit', 10000), inventory.get('hourly_limit', 500))
    assert (edited['total_limit'], edited['hourly_limit']) == wanted
    assert h1.password_of() == edited['password'] == created['password']
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (0, 1, 0)

    zero_counters(simulator)
    assert run().host(h1, inventory)['default']['changed'] is False
    assert simulator.requests()['writes'] == 0


def test_a_limits_edit_that_failed_after_the_record_is_made_by_the_next_run(simulator, run, h1):
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    assert run().host(h1)['default']['failed']
    simulator.reset(users=False)
    outcome = run().host(h1)
    assert (outcome['default']['failed'], outcome['default']['operations']) == (False, ['edit'])
    assert limits_of(simulator, h1.name_of()) == (10000, 500)


# --- two runs at once on one host ---

def nested(host, when, other_run):
    """A write_record that runs ``other_run()`` (another run, from start to end) at the write ``when`` picks: just
    after the marker is written, or just before the user is recorded."""
    def write_record(**changes):
        if when == 'before record' and changes.get('names'):
            other_run()
        written = host.write_record(**changes)
        if when == 'after mark' and changes.get('mark'):
            other_run()
        return written
    return write_record


def enabled_users(simulator):
    return sorted(name for name, listed in users_by_name(simulator).items() if listed['status'] == 'Enable')


@pytest.mark.parametrize('registry', [False, True])
def test_two_runs_that_both_create_for_one_slot_both_succeed_and_the_first_to_record_keeps_its_user(
        simulator, run, h1, tmp_path, registry):
    """Run A marks; run B (another controller) runs from start to end: it takes A's marker over, finds no user with
    it yet, creates its own and records it first. A creates, finds the slot recorded, and disables its user."""
    options = {'registry': str(tmp_path / 'registry.json')} if registry else {}
    runs, outcomes = {'a': run(), 'b': run()}, {}

    def run_b():
        outcomes['b'] = runs['b'].host(h1, options)

    outcomes['a'] = runs['a'].host(h1, options, write_record=nested(h1, 'after mark', run_b))
    a, b = outcomes['a'], outcomes['b']
    assert not a['default']['failed'] and not b['default']['failed']
    listed = users_by_name(simulator)
    [a_user] = [name for name in listed if name != b.name()]
    assert h1.name_of() == b.name() == a.name()
    assert h1.password_of() == listed[b.name()]['password']
    assert enabled_users(simulator) == [b.name()] and limits_of(simulator, b.name()) == (10000, 500)
    assert a.notes == ['disabled %s: another run recorded %s for this host first' % (a_user, b.name())]
    assert b.notes == []
    if registry:
        assert Registry(options['registry']).records == {'h1': b.name()}
    assert runs['a'].unclaimed() == []  # the disabled user is not reported as an enabled one nobody holds
    rerun = run()
    assert rerun.host(h1, options)['default']['changed'] is False
    assert rerun.unclaimed() == []


def test_a_run_that_adopts_the_user_another_run_is_about_to_record_leaves_the_host_a_working_password(
        simulator, run, h1):
    """Run A created its user; before A records it, run B finds it by A's marker, adopts it, gives it a new password
    and records it. A's password no longer works: the host keeps B's."""
    outcomes = {}

    def run_b():
        outcomes['b'] = run().host(h1)

    outcomes['a'] = run().host(h1, write_record=nested(h1, 'before record', run_b))
    a, b = outcomes['a'], outcomes['b']
    [only] = simulator.users()
    assert (b['default']['origin'], b.name()) == ('adopted', only['smtp_user_name'])
    assert not a['default']['failed'] and not b['default']['failed'] and a.name() == b.name()
    assert h1.password_of() == only['password']
    assert (only['status'], only['total_limit'], only['hourly_limit']) == ('Enable', 10000, 500)
    assert a.notes == ['another run recorded %s for this host first: the host keeps it' % only['smtp_user_name']]
    assert run().host(h1)['default']['changed'] is False


def frozen_facts(host):
    """What a run that read the host now will go on with, whatever other runs record meanwhile."""
    facts = host.facts()
    copy = Host.__new__(Host)
    copy.__dict__.update(host.__dict__)
    copy.facts = lambda: facts
    return copy


def test_a_run_that_read_the_host_before_another_recorded_its_user_adopts_nothing_and_resets_nothing(
        simulator, run, h1):
    """Run B read the host just after run A marked its create; A then created and recorded its user (and was killed
    before its limits edit). B finds A's user by the marker, but the record holds it by the time B would give it a new
    password: B leaves it and its password alone, and the next run sets its limits."""
    seen = {}

    def b_reads_the_host():
        seen['b'] = frozen_facts(h1)

    with pytest.raises(Killed):
        run().host(h1, write_record=killed_at(nested(h1, 'after mark', b_reads_the_host), 2, after_writing=True))
    [only] = simulator.users()
    zero_counters(simulator)
    outcome = run().host(seen['b'])
    assert (outcome['default']['failed'], outcome.name(), h1.name_of()) == (
        False, only['smtp_user_name'], only['smtp_user_name'])
    assert h1.password_of() == users_by_name(simulator)[only['smtp_user_name']]['password'] == only['password']
    assert simulator.requests()['writes'] == 0
    assert outcome.notes == ['another run recorded %s for this host first: the host keeps it' % only['smtp_user_name']]
    assert run().host(h1)['default']['operations'] == ['edit']
    assert limits_of(simulator, only['smtp_user_name']) == (10000, 500)


def test_a_run_that_read_the_host_before_another_recorded_its_user_keeps_that_user(simulator, run, h1):
    """Run A read the host (no user) before run B created and recorded one: A creates its own, finds the slot recorded
    when it records, and disables its user."""
    h1_as_a_read_it = frozen_facts(h1)
    b = run().host(h1)
    outcome = run().host(h1_as_a_read_it)
    assert not outcome['default']['failed']
    assert h1.name_of() == b.name() == outcome.name()
    assert h1.password_of() == users_by_name(simulator)[b.name()]['password']
    assert enabled_users(simulator) == [b.name()] and len(simulator.users()) == 2
    [a_user] = [name for name in users_by_name(simulator) if name != b.name()]
    assert outcome.notes == ['disabled %s: another run recorded %s for this host first' % (a_user, b.name())]


def test_several_users_with_one_markers_limits_one_is_adopted_and_the_others_are_disabled(simulator, run, h1):
    record = HostRecord(h1.record)
    with record.locked():
        record.pending['default'] = dict(MARKER)
        record.write()
    raced = simulator.add_users(3, 123456789, 500)
    outcome = run().host(h1)
    first, others = sorted(raced)[0], sorted(raced)[1:]
    assert (outcome['default']['origin'], outcome.name(), outcome['default']['failed']) == ('adopted', first, False)
    listed = users_by_name(simulator)
    assert [listed[name]['status'] for name in sorted(raced)] == ['Enable', 'Disable', 'Disable']
    assert limits_of(simulator, first) == (10000, 500)
    assert h1.name_of() == first and h1.password_of() == listed[first]['password']
    assert any(all(name in note for name in others) and 'disabled' in note for note in outcome.notes)
    assert simulator.requests()['counts']['addSmtp'] == 0


def test_in_check_mode_the_users_of_a_race_are_named_and_left_as_they_are(simulator, run, h1):
    pending_in(h1, {'default': dict(MARKER)})
    raced = sorted(simulator.add_users(2, 123456789, 500))
    before = users_by_name(simulator)
    outcome = run(check_mode=True).host(h1)
    assert (outcome['default']['origin'], outcome.name()) == ('adopted', raced[0])
    assert any(raced[1] in note and 'disabled' in note for note in outcome.notes)
    assert users_by_name(simulator) == before and simulator.requests()['writes'] == 0 and h1.writes == []


# --- two inventories on one account ---

def test_two_inventories_on_one_account_never_take_each_others_users(simulator, run, tmp_path):
    production = dict((name, Host(tmp_path / 'production', name)) for name in ('web1', 'web2'))
    production_run = run()
    for host in production.values():
        production_run.host(host, {'registry': str(tmp_path / 'production.json')})
    # Production's next create lost its reply: a user with production's one-off limits, that nobody claims yet.
    simulator.add_users(1, 987654321, 500)
    before = users_by_name(simulator)
    staging = Host(tmp_path / 'staging', 'web1')
    record = HostRecord(staging.record)
    with record.locked():
        record.pending['default'] = dict(MARKER)
        record.write()
    outcome = run().host(staging, {'registry': str(tmp_path / 'staging.json')})
    assert outcome['default']['origin'] == 'new' and outcome.name() not in before
    after = users_by_name(simulator)
    assert dict((name, after[name]) for name in before) == before  # not one production user touched
    assert Registry(str(tmp_path / 'production.json')).records == dict(
        (name, host.name_of()) for name, host in production.items())


# --- several slots on a host: the default user and one per sender ---

def test_every_slot_gets_its_own_user_with_its_own_limits_from_one_list(simulator, run, h1, h2, tmp_path):
    registry = str(tmp_path / 'registry.json')
    options = {'h1': {'registry': registry, 'senders': [sender(ORDERS, 2000, 50), sender(NEWS, hourly_limit=900)]},
               'h2': {'registry': registry, 'senders': [sender(NEWS, hourly_limit=80)]}}
    this_run = run()
    outcomes = dict((host.name, this_run.host(host, options[host.name])) for host in (h1, h2))
    names = dict(((host, slot), outcome.name(slot)) for host, outcome in outcomes.items() for slot in outcome.results)
    assert sorted(names) == [('h1', NEWS), ('h1', 'default'), ('h1', ORDERS), ('h2', NEWS), ('h2', 'default')]
    assert sorted(names.values()) == sorted(users_by_name(simulator)) and len(set(names.values())) == 5
    limits = dict((slot, limits_of(simulator, name)) for slot, name in names.items())
    assert limits == {('h1', 'default'): (10000, 500), ('h1', ORDERS): (2000, 50), ('h1', NEWS): (10000, 900),
                      ('h2', 'default'): (10000, 500), ('h2', NEWS): (10000, 80)}
    listed = users_by_name(simulator)
    for host in (h1, h2):
        assert dict((slot, (user_record['name'], user_record['password'])) for slot, user_record in host.users().items()) \
            == dict((slot, (name, listed[name]['password'])) for (owner, slot), name in names.items() if owner == host.name)
    counts = simulator.requests()['counts']
    assert (counts['listSmtp'], counts['addSmtp'], counts['editSmtp']) == (1, 5, 5)
    assert Registry(registry).records == dict(
        ((host if slot == 'default' else '%s %s' % (host, slot)), name) for (host, slot), name in names.items())

    zero_counters(simulator)
    rerun = run()
    converged = dict((host.name, rerun.host(host, options[host.name])) for host in (h1, h2))
    stats = simulator.requests()
    assert (stats['writes'], stats['counts']['listSmtp']) == (0, 1)
    assert dict(((host, slot), outcome.name(slot)) for host, outcome in converged.items()
                for slot in outcome.results) == names
    assert all((result['origin'], result['changed']) == ('host', False)
               for outcome in converged.values() for result in outcome.results.values())
    assert rerun.unclaimed() == []


def test_an_hourly_limit_above_the_total_limit_warns_once_for_every_slot_that_has_it(simulator, run, h1, h2):
    [held_name] = simulator.add_users(1, 100, 10)
    write_record_names(h2, {'default': held_name}, {'default': 'pw'})
    this_run = run()
    first = this_run.host(h1, {'total_limit': 100, 'hourly_limit': 20000, 'senders': [sender(NEWS, total_limit=100)]})
    second = this_run.host(h2, {'total_limit': 100, 'hourly_limit': 20000})
    third = this_run.host(Host(h1.root.parent, 'h3'), {'total_limit': 5000, 'hourly_limit': 50})
    assert not any(result['failed'] for outcome in (first, second, third) for result in outcome.results.values())
    swapped = ('hourly_limit %d is above total_limit 100: the user can never send more than 100 messages in all, so the '
               'hourly limit never applies; check that the two are not swapped')
    # The sender's new user gets the new-user hourly limit (500) under its total limit of 100: worth a word too.
    assert first.warnings == ['the SMTP user of this host: ' + swapped % 20000,
                              'the SMTP user of sender @news.example: ' + swapped % 500]
    assert second.warnings == ['the SMTP user of this host: ' + swapped % 20000]
    assert third.warnings == []


def test_a_new_sender_gets_a_new_user_with_its_limits_and_the_default_user_is_untouched(simulator, run, h1):
    [default_user] = simulator.add_users(1, 10000, 500)
    write_record_names(h1, {'default': default_user}, {'default': 'pw-default'})
    before = users_by_name(simulator)[default_user]
    outcome = run().host(h1, {'senders': [sender(ORDERS, 2000, 50)]})
    default, added = outcome['default'], outcome[ORDERS]
    assert (default['origin'], default['changed'], default['operations']) == ('host', False, [])
    assert (added['origin'], added['operations']) == ('new', ['add', 'edit'])
    listed = users_by_name(simulator)
    assert listed[default_user] == before
    created = listed[outcome.name(ORDERS)]
    assert (created['total_limit'], created['hourly_limit'], created['status']) == (2000, 50, 'Enable')
    assert (h1.name_of(), h1.password_of()) == (default_user, 'pw-default')
    assert (h1.name_of(ORDERS), h1.password_of(ORDERS)) == (created['smtp_user_name'], created['password'])
    counts = simulator.requests()['counts']
    assert (counts['addSmtp'], counts['editSmtp'], counts['resetSmtpPassword']) == (1, 1, 0)
    assert outcome.summary == ['%s (sender %s): created, limits total 2000, hourly 50' % (created['smtp_user_name'], ORDERS)]


def test_a_removed_sender_disables_exactly_its_user_and_the_host_forgets_it(simulator, run, h1, h2):
    default_user, removed_user, other_host_user = simulator.add_users(3, 10000, 500)
    write_record_names(h1, {'default': default_user, OLD: removed_user}, {'default': 'pw', OLD: 'pw-old'})
    write_record_names(h2, {'default': other_host_user}, {'default': 'pw'})
    this_run = run()
    outcome = this_run.host(h1)
    this_run.host(h2, {'senders': [sender(OLD)]})
    removed = outcome[OLD]
    assert (removed['origin'], removed['changed'], removed['failed'], removed['state']) == (
        'host', True, False, 'disabled')
    statuses = dict((name, listed['status']) for name, listed in users_by_name(simulator).items())
    assert statuses[default_user] == statuses[other_host_user] == 'Enable' and statuses[removed_user] == 'Disable'
    assert sorted(h1.users()) == ['default']
    assert outcome.summary == ['%s (sender %s): disabled' % (removed_user, OLD)]
    assert this_run.unclaimed() == []


def test_a_removed_sender_whose_disable_failed_is_kept_for_the_next_run(simulator, run, h1):
    default_user, removed_user = simulator.add_users(2, 10000, 500)
    write_record_names(h1, {'default': default_user, OLD: removed_user}, {'default': 'pw', OLD: 'pw-old'})
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'], fault_calls=['editSmtp'])
    assert run().host(h1)[OLD]['failed']
    assert h1.name_of(OLD) == removed_user
    simulator.reset(users=False)
    assert run().host(h1)[OLD]['failed'] is False
    assert users_by_name(simulator)[removed_user]['status'] == 'Disable' and sorted(h1.users()) == ['default']


def test_a_decommissioned_host_disables_every_user_it_holds_and_drops_their_passwords(simulator, run, h1, tmp_path):
    registry = str(tmp_path / 'registry.json')
    run().host(h1, {'registry': registry, 'senders': [sender(ORDERS)]})
    names = dict((slot, h1.name_of(slot)) for slot in ('default', ORDERS))
    outcome = run().host(h1, {'registry': registry, 'state': 'disabled', 'senders': [sender(ORDERS)]})
    assert all((result['state'], result['changed'], result['failed']) == ('disabled', True, False)
               for result in outcome.results.values())
    assert all(users_by_name(simulator)[name]['status'] == 'Disable' for name in names.values())
    assert dict((slot, (held_user['name'], held_user['password'])) for slot, held_user in h1.users().items()) == dict(
        (slot, (name, None)) for slot, name in names.items())
    assert sorted(outcome.summary) == sorted('%s (%s): disabled' % (name, 'this host' if slot == 'default' else
                                                                    'sender ' + slot) for slot, name in names.items())
    zero_counters(simulator)
    again = run().host(h1, {'registry': registry, 'state': 'disabled'})
    assert not any(result['changed'] for result in again.results.values())
    assert simulator.requests()['writes'] == 0


def test_two_lost_creates_on_one_host_each_adopt_their_own_user(simulator, run, h1):
    [default_orphan] = simulator.add_users(1, 111111111, 500)
    [sender_orphan] = simulator.add_users(1, 222222222, 80)
    record = HostRecord(h1.record)
    with record.locked():
        record.pending = {'default': dict(MARKER, total_limit=111111111),
                          NEWS: dict(MARKER, total_limit=222222222, hourly_limit=80)}
        record.write()
    outcome = run().host(h1, {'senders': [sender(NEWS, hourly_limit=80)]})
    assert (outcome['default']['origin'], outcome.name()) == ('adopted', default_orphan)
    assert (outcome[NEWS]['origin'], outcome.name(NEWS)) == ('adopted', sender_orphan)
    assert limits_of(simulator, default_orphan) == (10000, 500) and limits_of(simulator, sender_orphan) == (10000, 80)
    listed = users_by_name(simulator)
    assert h1.password_of() == listed[default_orphan]['password']
    assert h1.password_of(NEWS) == listed[sender_orphan]['password']
    assert simulator.requests()['counts']['addSmtp'] == 0


def pending_in(host, markers):
    record = HostRecord(host.record)
    with record.locked():
        record.read()
        record.pending.update(markers)
        record.write()


@pytest.mark.parametrize('two_hosts', [False, True], ids=['two slots of one host', 'two hosts'])
def test_one_orphan_is_adopted_by_one_slot_alone_even_when_two_markers_match_it(simulator, run, h1, h2, two_hosts):
    [orphan] = simulator.add_users(1, 111111111, 500)
    marker = dict(MARKER, total_limit=111111111)
    this_run = run()
    if two_hosts:
        pending_in(h1, {'default': marker})
        pending_in(h2, {'default': marker})
        results = [this_run.host(h1)['default'], this_run.host(h2)['default']]
    else:
        pending_in(h1, {'default': marker, NEWS: marker})
        outcome = this_run.host(h1, {'senders': [sender(NEWS)]})
        results = [outcome['default'], outcome[NEWS]]
    assert [result['origin'] for result in results] == ['adopted', 'new']
    assert results[0]['smtp_user']['name'] == orphan != results[1]['smtp_user']['name']
    assert simulator.requests()['counts']['addSmtp'] == 1 and len(simulator.users()) == 2


def test_a_user_a_later_slot_holds_is_never_adopted_by_an_earlier_one(simulator, run, h1):
    """A sender adopted its user last run, but the edit to its real limits failed: the user still carries the marker."""
    [held_name] = simulator.add_users(1, 111111111, 500)
    write_record_names(h1, {NEWS: held_name}, {NEWS: 'pw'})
    pending_in(h1, {'default': dict(MARKER, total_limit=111111111)})
    outcome = run().host(h1, {'senders': [sender(NEWS)]})
    assert (outcome['default']['origin'], outcome['default']['failed']) == ('new', False)
    assert outcome.name() != held_name
    assert (outcome[NEWS]['origin'], outcome.name(NEWS)) == ('host', held_name)


def test_a_user_held_by_another_host_of_the_batch_is_never_adopted(simulator, run, h1, h2):
    [held_name] = simulator.add_users(1, 111111111, 500)
    write_record_names(h1, {'default': held_name}, {'default': 'pw'})
    pending_in(h2, {'default': dict(MARKER, total_limit=111111111)})
    this_run = run()
    this_run.host(h1, {'total_limit': 111111111})
    outcome = this_run.host(h2)
    assert outcome['default']['origin'] == 'new' and outcome.name() != held_name


def test_a_user_adopted_by_a_slot_that_failed_is_not_adopted_by_the_next_slot(simulator, run, h1):
    """The failed slot's result names no user, so only the decision tells the next slot that it took one."""
    [orphan] = simulator.add_users(1, 111111111, 500)
    marker = dict(MARKER, total_limit=111111111)
    pending_in(h1, {'default': marker, NEWS: marker})

    def unreadable_status(provisioner):
        # Listed with a status the client cannot read (the simulator lists only readable ones): nothing touches it.
        provisioner.users[orphan] = dict(provisioner.users[orphan], status='Suspended', enabled=None)

    outcome = run().host(h1, {'senders': [sender(NEWS)]}, before_ensure=unreadable_status)
    default, news = outcome['default'], outcome[NEWS]
    assert default['failed'] and orphan in default['msg']
    assert (news['failed'], news['origin']) == (False, 'new') and outcome.name(NEWS) != orphan


def test_a_failing_slot_fails_alone(simulator, run, h1, h2):
    default_user, other_host_user = simulator.add_users(2, 10000, 500)
    write_record_names(h1, {'default': default_user})
    write_record_names(h2, {'default': other_host_user}, {'default': 'pw'})
    # The service refuses every create, provably (429): the new sender fails, the reset of the default user goes on.
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    this_run = run()
    h1_outcome = this_run.host(h1, {'senders': [sender(NEWS)]})
    h2_outcome = this_run.host(h2, {'hourly_limit': 90})
    news = h1_outcome[NEWS]
    assert news['failed'] and 'addSmtp' in news['msg'] and news['create_unsettled'] is False
    assert (h1_outcome['default']['failed'], h1_outcome['default']['operations']) == (False, ['reset'])
    assert h1.password_of() == users_by_name(simulator)[default_user]['password']
    assert h1.name_of(NEWS) is None
    assert (h2_outcome['default']['failed'], h2_outcome['default']['operations']) == (False, ['edit'])
    assert limits_of(simulator, other_host_user) == (10000, 90)
    assert [line for line in h1_outcome.summary if 'could not' in line] == [
        'The SendClean SMTP user of sender @news.example could not be ensured: %s.' % news['msg'].rstrip('.')]


def test_a_slot_decided_in_error_fails_alone_without_a_request(simulator, run, h1):
    this_run = run()
    this_run.list()
    zero_counters(simulator)
    outcome = this_run.host(h1, {'smtp_user_name': 'smtp9'})
    assert outcome['default']['failed'] and 'smtp9' in outcome['default']['msg']
    assert outcome['default']['changed'] is False
    assert simulator.requests()['total'] == 0 and h1.writes == []


@pytest.mark.parametrize('fault, unsettled', [('429', False), ('html502', True)])
def test_a_failed_create_is_unsettled_only_when_its_outcome_is_unknown(simulator, run, h1, fault, unsettled):
    simulator.configure(fault_rate=1.0, fault_kinds=[fault], fault_calls=['addSmtp'], retry_after=0)
    result = run().host(h1)['default']
    assert result['failed'] and 'addSmtp' in result['msg']
    assert result['create_unsettled'] is unsettled and result['smtp_user'] is None
    assert simulator.users() == [] and h1.users() == {} and list(h1.pending()) == ['default']


# --- recreate_missing ---

def test_a_held_user_gone_from_the_account_is_replaced_with_recreate_missing(simulator, run, h1):
    write_record_names(h1, {'default': 'smtp-gone'}, {'default': 'old-pw'})
    outcome = run().host(h1, {'recreate_missing': True})
    [created] = simulator.users()
    assert (outcome['default']['origin'], outcome['default']['failed']) == ('new', False)
    assert any('smtp-gone' in note for note in outcome.notes)
    assert (h1.name_of(), h1.password_of()) == (created['smtp_user_name'], created['password'])
    assert (created['total_limit'], created['hourly_limit']) == (10000, 500)


def test_a_held_user_gone_from_the_account_fails_without_recreate_missing(simulator, run, h1):
    write_record_names(h1, {'default': 'smtp-gone'}, {'default': 'old-pw'})
    outcome = run().host(h1)
    assert outcome['default']['failed'] and 'smtp_relay_recreate_missing=true' in outcome['default']['msg']
    assert simulator.users() == [] and h1.password_of() == 'old-pw'


# --- rotation, and a host configured by an earlier version ---

def test_rotation_gives_every_slot_a_new_password_recorded_on_the_host(simulator, run, h1):
    run().host(h1, {'senders': [sender(ORDERS)]})
    before = dict((slot, h1.password_of(slot)) for slot in ('default', ORDERS))
    outcome = run().host(h1, {'senders': [sender(ORDERS)], 'rotate_password': True})
    listed = users_by_name(simulator)
    for slot in ('default', ORDERS):
        assert outcome[slot]['operations'] == ['reset'] and outcome[slot]['password_changed']
        assert h1.password_of(slot) == listed[h1.name_of(slot)]['password'] != before[slot]
    assert all(line.endswith(': password rotated') for line in outcome.summary)


# --- rotation by age, and a rotation cut off half way (issue 22) ---

@pytest.mark.parametrize('identity, asked, after_days, reason', [
    ({'has_password': True, 'issued': NOW - 91 * DAY}, False, 90, 'age'),
    ({'has_password': True, 'issued': NOW - 90 * DAY}, False, 90, 'age'),  # exactly 90 days old: due
    ({'has_password': True, 'issued': NOW - 89 * DAY}, False, 90, None),
    ({'has_password': True, 'issued': NOW - 400 * DAY}, False, None, None),  # never by age unless asked
    ({'has_password': True, 'issued': None}, False, 90, None),  # unknown: stamped, not rotated
    ({'has_password': False, 'issued': None}, False, 90, None),  # a new password anyway
    ({'has_password': True, 'issued': NOW, 'rotation_unsettled': True}, False, None, 'unsettled'),
    ({'has_password': True, 'issued': NOW}, True, 90, 'asked'),
], ids=['older', 'exactly due', 'younger', 'no age set', 'issue time unknown', 'no password', 'unsettled', 'asked'])
def test_why_a_password_is_rotated(identity, asked, after_days, reason):
    assert rotation_reason(identity, asked, after_days, NOW) == reason


def test_a_sender_rotates_by_its_own_age_or_the_hosts():
    identity = {'users': dict((slot, dict(held('smtp%d' % index), issued=NOW - 40 * DAY))
                              for index, slot in enumerate(('default', ORDERS, NEWS))), 'legacy': []}
    entries = slot_entries(settings(rotate_after_days=60, senders=[sender(ORDERS, rotate_after_days=30), sender(NEWS)]),
                           identity, NOW)
    assert [(described['slot'], described['rotate'], described['rotate_after_days']) for described in entries] == [
        ('default', None, 60), (ORDERS, 'age', 30), (NEWS, None, 60)]


def test_only_a_known_password_of_unknown_age_is_stamped_and_only_when_rotating_by_age():
    identity = {'users': {'default': held('smtp1'), ORDERS: held('smtp2', has_password=False)}, 'legacy': []}
    stamped = dict((described['slot'], described['stamp']) for described in slot_entries(
        settings(rotate_after_days=90, senders=[sender(ORDERS)]), identity, NOW))
    assert stamped == {'default': True, ORDERS: False}
    assert not slot_entries(settings(), identity, NOW)[0]['stamp']


def issued_days_ago(host, days, slot='default'):
    """Make the host's record say the slot's password was issued ``days`` ago."""
    record = HostRecord(host.record)
    with record.locked():
        record.read()
        record.users[slot]['issued'] = None if days is None else int(time.time()) - days * DAY
        record.write()


def test_a_password_older_than_rotate_after_days_is_rotated_once_and_the_next_rotation_is_due_after_it(
        simulator, run, h1):
    run().host(h1, {'senders': [sender(ORDERS)]})
    issued_days_ago(h1, 91)
    issued_days_ago(h1, 10, ORDERS)
    old = h1.password_of()
    zero_counters(simulator)
    options = {'rotate_after_days': 90, 'senders': [sender(ORDERS)]}
    outcome = run().host(h1, options)
    assert simulator.requests()['counts']['resetSmtpPassword'] == 1
    assert outcome['default']['operations'] == ['reset'] and outcome[ORDERS]['operations'] == []
    assert outcome['default']['rotation'] == 'age' and outcome[ORDERS]['rotation'] is None
    assert h1.password_of() == users_by_name(simulator)[h1.name_of()]['password'] != old
    assert abs(h1.users()['default']['issued'] - time.time()) < 60
    assert outcome.summary == ['%s (this host): password rotated (older than rotate_after_days)' % h1.name_of()]
    assert outcome['default']['next_rotation'] == outcome['default']['password_issued'] + 90 * DAY
    assert outcome[ORDERS]['next_rotation'] == h1.users()[ORDERS]['issued'] + 90 * DAY
    diff = outcome['default']['diff']
    assert (diff['before']['password_issued'], diff['after']['password_issued']) == (
        time.strftime('%Y-%m-%d', time.gmtime(time.time() - 91 * DAY)), time.strftime('%Y-%m-%d', time.gmtime()))
    assert next_rotations(outcome.results) == 'next password rotation: %s (sender %s), %s (this host)' % (
        day_of(outcome[ORDERS]['next_rotation']), ORDERS, day_of(outcome['default']['next_rotation']))
    zero_counters(simulator)
    assert run().host(h1, options)['default']['changed'] is False
    assert simulator.requests()['writes'] == 0


def test_a_password_of_unknown_age_gets_todays_issue_time_not_a_rotation(simulator, run, h1):
    run().host(h1)
    issued_days_ago(h1, None)
    password = h1.password_of()
    zero_counters(simulator)
    outcome = run().host(h1, {'rotate_after_days': 90})
    assert simulator.requests()['writes'] == 0
    assert (outcome['default']['changed'], outcome['default']['password_changed']) == (True, False)
    assert outcome.summary == ['%s (this host): password issue time unknown, its age counted from today' % h1.name_of()]
    assert h1.password_of() == password and abs(h1.users()['default']['issued'] - time.time()) < 60
    assert run().host(h1, {'rotate_after_days': 90})['default']['changed'] is False


def test_check_mode_names_the_users_that_would_rotate_and_writes_nothing(simulator, run, h1):
    run().host(h1)
    issued_days_ago(h1, 100)
    before = open(h1.record, 'rb').read()
    zero_counters(simulator)
    outcome = run(check_mode=True).host(h1, {'rotate_after_days': 90})
    assert simulator.requests()['writes'] == 0 and open(h1.record, 'rb').read() == before
    assert (outcome['default']['password_changed'], outcome['default']['rotation']) == (True, 'age')
    assert outcome.summary == ['%s (this host): password rotated (older than rotate_after_days)' % h1.name_of()]
    assert outcome['default']['diff']['before']['password_issued'] != outcome['default']['diff']['after'][
        'password_issued']


def test_a_run_killed_after_the_reset_before_the_record_leaves_a_mark_and_the_next_run_resets_again(
        simulator, run, h1):
    """resetSmtpPassword ends the old password at once: a run killed before it records the new one leaves the host a
    dead password. The rotation mark written before the reset makes the next run reset again."""
    run().host(h1)
    with pytest.raises(Killed):
        run().host(h1, {'rotate_password': True}, write_record=killed_at(h1.write_record, 2))
    name = h1.name_of()
    assert h1.password_of() != users_by_name(simulator)[name]['password']  # the host's password is dead
    assert h1.facts()['users']['default']['rotation_unsettled'] is True
    zero_counters(simulator)
    outcome = run().host(h1)
    assert (outcome['default']['operations'], outcome['default']['rotation']) == (['reset'], 'unsettled')
    assert h1.password_of() == users_by_name(simulator)[name]['password']
    assert h1.facts()['users']['default']['rotation_unsettled'] is False
    assert outcome.summary == ['%s (this host): password rotated (an earlier rotation was never recorded on the host: '
                               'its password may be dead)' % name]
    zero_counters(simulator)
    assert run().host(h1)['default']['changed'] is False and simulator.requests()['writes'] == 0


def test_a_run_killed_after_marking_a_rotation_before_the_reset_rotates_on_the_next_run(simulator, run, h1):
    run().host(h1)
    with pytest.raises(Killed):
        run().host(h1, {'rotate_password': True}, write_record=killed_at(h1.write_record, 1, after_writing=True))
    assert simulator.requests()['counts']['resetSmtpPassword'] == 0
    outcome = run().host(h1)
    assert outcome['default']['rotation'] == 'unsettled'
    assert h1.password_of() == users_by_name(simulator)[h1.name_of()]['password']


@pytest.mark.parametrize('when', ['after mark', 'before record'])
def test_two_runs_rotating_one_host_leave_it_a_working_password_at_most_one_run_later(simulator, run, h1, when):
    """Run B rotates from start to end while run A is between its rotation mark and its reset, or between its reset
    and its record. Whichever reset came last, the record either holds the live password or is left unsettled, and
    the next run resets again: never a dead password taken for a good one."""
    run().host(h1)

    def write_record(**changes):
        if when == 'before record' and changes.get('passwords'):
            run().host(h1, {'rotate_password': True})
        written = h1.write_record(**changes)
        if when == 'after mark' and changes.get('begin_rotation'):
            run().host(h1, {'rotate_password': True})
        return written

    a = run().host(h1, {'rotate_password': True}, write_record=write_record)
    assert not a['default']['failed']
    name = h1.name_of()
    live = users_by_name(simulator)[name]['password']
    if h1.password_of() != live:
        assert h1.facts()['users']['default']['rotation_unsettled'] is True
    outcome = run().host(h1)
    assert h1.password_of() == users_by_name(simulator)[name]['password']
    assert outcome['default']['rotation'] in (None, 'unsettled')
    assert run().host(h1)['default']['changed'] is False


def test_an_earlier_versions_host_keeps_its_user_and_its_password_moves_into_the_record(simulator, run, h1, tmp_path):
    [name] = simulator.add_users(1, 10000, 500)
    password = users_by_name(simulator)[name]['password']
    h1.sasl_passwd = str(tmp_path / 'sasl_passwd')
    with open(h1.sasl_passwd, 'w') as handle:
        handle.write('[relay.example.org]:587 %s:%s\n' % (name, password))
    outcome = run().host(h1)
    assert (outcome['default']['origin'], outcome['default']['operations']) == ('host', [])
    assert (h1.name_of(), h1.password_of()) == (name, password)
    assert simulator.requests()['writes'] == 0


# --- the real module as the writer ---

def test_the_record_written_by_the_module_itself(simulator, run, h1, run_module):
    """sendclean_relay_record run as Ansible runs it, as HostUsers's write_record: the same outcome."""
    modules = []

    def module_write(**changes):
        result, dummy = run_module('sendclean_relay_record', path=h1.record, **changes)
        modules.append(result)
        return result

    outcome = run().host(h1, {'senders': [sender(ORDERS)]}, write_record=module_write)
    listed = users_by_name(simulator)
    assert [slot for slot in outcome.results if outcome[slot]['failed']] == []
    for slot in ('default', ORDERS):
        assert (h1.name_of(slot), h1.password_of(slot)) == (outcome.name(slot), listed[outcome.name(slot)]['password'])
        assert limits_of(simulator, outcome.name(slot)) == (10000, 500)
    assert len(modules) == 2
    assert_secret_free(simulator, modules)
