# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which SMTP user each slot of a host gets: every branch of decide, the shape of a host's request, and the claimed /
unclaimed bookkeeping around it."""

import pytest

from ansible_collections.sendclean.mta.plugins.plugin_utils._fleet import (
    ORIGIN_ADOPTED, ORIGIN_HOST, ORIGIN_NEW, ORIGIN_PINNED, ORIGIN_REGISTRY, claimed_names, decide, request_problems,
    unclaimed_users, wanted_limits,
)

NEW_USER_LIMITS = [10000, 500]
MARKER = {'total_limit': 123456789, 'hourly_limit': 500, 'run': 'r1', 'since': 0, 'unsettled': False}


def identity(name=None, has_password=False, pending=None, busy=None):
    """What sendclean_host_identity reports for the host (its password left out, as the role does)."""
    return {'name': name, 'recorded': bool(name), 'has_password': has_password, 'pending': pending, 'busy': busy}


def entry(**options):
    """One slot of a host's request as the smtp_relay role describes it: the default slot, keyed, present, no
    inventory limits, holding nothing."""
    described = {'slot': 'default', 'key': 'web1', 'name': None, 'state': 'present', 'total_limit': None,
                 'hourly_limit': None, 'new_user_limits': NEW_USER_LIMITS, 'rotate': False, 'recreate_missing': False,
                 'identity': identity()}
    described.update(options)
    return described


def user(name, total_limit=10000, hourly_limit=500, enabled=True):
    """A listed user as _client.parse_user gives it (no password: decisions never use a listed one)."""
    return {'name': name, 'enabled': enabled, 'status': 'Enable' if enabled else 'Disable', 'total_limit': total_limit,
            'hourly_limit': hourly_limit, 'password': None}


def account(*users):
    return dict((listed['name'], listed) for listed in users)


def host_request(*entries):
    """A host's request: its connection, and one entry per slot."""
    return {'connection': 'account-1', 'users': list(entries)}


def decide_alone(slot, users, registry_name=None):
    """decide with what ensure_fleet claims for a play of one host with this one slot and a registry holding
    registry_name."""
    records = {slot.get('key'): registry_name} if registry_name else {}
    return decide(slot, users, registry_name, claimed_names([host_request(slot)], records))


# --- a run that owns the host's create elsewhere ---

def test_a_busy_host_fails_alone_with_the_reason_and_nothing_to_ensure():
    busy = 'another run marked a create for this host pending'
    decision = decide_alone(entry(name='smtp1', identity=identity('smtp1', True, busy=busy)), account(user('smtp1')))
    assert decision.error == busy
    assert decision.spec is None


# --- pinned by name ---

@pytest.mark.parametrize('held, has_password, reset', [
    ('smtp1', True, False),  # the host holds the pinned user's password: kept
    ('smtp1', False, True),  # the host holds that user without its password: a reset
    ('smtp2', True, True),  # the host's password is another user's: a reset
    (None, False, True),
])
def test_a_pinned_user_is_used_and_reset_only_when_the_host_lacks_its_password(held, has_password, reset):
    decision = decide_alone(entry(key=None, name='smtp1', identity=identity(held, has_password)),
                            account(user('smtp1'), user('smtp2')))
    assert decision.origin == ORIGIN_PINNED and decision.error is None
    assert decision.spec['name'] == 'smtp1'
    assert decision.spec['reset_password'] is reset


def test_pinning_an_existing_user_does_not_push_the_default_limits_onto_it():
    decision = decide_alone(entry(key=None, name='smtp1'), account(user('smtp1', 77, 7)))
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == (None, None)


@pytest.mark.parametrize('recreate_missing', [False, True])
def test_a_pinned_user_missing_from_the_account_is_an_error_never_a_new_user(recreate_missing):
    decision = decide_alone(entry(key=None, name='smtp9', recreate_missing=recreate_missing), account(user('smtp1')))
    assert decision.spec is None
    assert 'smtp_relay_smtp_user_name' in decision.error and 'smtp9' in decision.error


def test_a_pinned_user_to_disable_is_disabled_without_limits_or_reset():
    decision = decide_alone(entry(key=None, name='smtp1', state='disabled', rotate=True), account(user('smtp1')))
    assert decision.origin == ORIGIN_PINNED
    assert decision.spec['state'] == 'disabled'
    assert decision.spec['enabled'] is None
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == (None, None)
    assert decision.spec['reset_password'] is False


@pytest.mark.parametrize('options, registry_name, origin', [
    ({'key': None, 'name': 'smtp9'}, None, ORIGIN_PINNED),
    ({'identity': identity('smtp9', True)}, None, ORIGIN_HOST),
    ({}, 'smtp9', ORIGIN_REGISTRY),
], ids=['pinned', 'held', 'registry'])
def test_a_user_to_disable_that_is_gone_leaves_nothing_to_do(options, registry_name, origin):
    decision = decide_alone(entry(state='disabled', **options), account(user('smtp1')), registry_name)
    assert (decision.spec, decision.error, decision.origin) == (None, None, origin)


# --- held by the host ---

@pytest.mark.parametrize('has_password', [True, False])
def test_the_user_the_host_holds_is_kept_and_reset_only_without_its_password(has_password):
    decision = decide_alone(entry(identity=identity('smtp1', has_password)), account(user('smtp1'), user('smtp2')))
    assert decision.origin == ORIGIN_HOST and decision.error is None and decision.note is None
    assert decision.spec['name'] == 'smtp1' and decision.spec['state'] == 'present' and decision.spec['enabled'] is True
    assert decision.spec['reset_password'] is not has_password


def test_a_held_user_missing_from_the_account_is_an_error_without_recreate_missing():
    decision = decide_alone(entry(identity=identity('smtp9', True)), account(user('smtp1')))
    assert decision.spec is None
    assert 'smtp9' in decision.error and 'smtp_relay_recreate_missing=true' in decision.error


@pytest.mark.parametrize('pending, create_limits', [(None, None), (MARKER, (123456789, 500))])
def test_a_held_user_missing_from_the_account_is_replaced_with_recreate_missing(pending, create_limits):
    decision = decide_alone(entry(recreate_missing=True, identity=identity('smtp9', True, pending=pending)),
                            account(user('smtp1')))
    assert decision.origin == ORIGIN_NEW and decision.error is None
    assert 'smtp9' in decision.note
    assert decision.spec['name'] is None and decision.spec['state'] == 'present'
    assert decision.spec.get('create_limits') == create_limits
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == tuple(NEW_USER_LIMITS)


def test_when_host_and_registry_disagree_the_host_wins_and_the_run_says_so():
    decision = decide_alone(entry(identity=identity('smtp1', True)), account(user('smtp1'), user('smtp2')), 'smtp2')
    assert decision.origin == ORIGIN_HOST
    assert decision.spec['name'] == 'smtp1' and decision.spec['reset_password'] is False
    assert 'smtp2' in decision.note and 'smtp1' in decision.note and 'web1' in decision.note


def test_a_registry_that_agrees_with_the_host_is_not_mentioned():
    decision = decide_alone(entry(identity=identity('smtp1', True)), account(user('smtp1')), 'smtp1')
    assert decision.origin == ORIGIN_HOST and decision.note is None


def test_a_held_user_that_is_gone_is_an_error_and_the_registry_is_not_mentioned():
    decision = decide_alone(entry(identity=identity('smtp9', True)), account(user('smtp2')), 'smtp2')
    assert decision.error and decision.note is None and decision.spec is None


# --- recorded by the registry: a reimaged host ---

def test_a_reimaged_host_gets_its_registry_user_back_with_a_new_password():
    decision = decide_alone(entry(identity=identity(pending=MARKER)), account(user('smtp1'), user('smtp2')), 'smtp2')
    assert decision.origin == ORIGIN_REGISTRY and decision.error is None
    assert decision.spec['name'] == 'smtp2'
    assert decision.spec['reset_password'] is True  # a listed password is never used


def test_a_registry_user_missing_from_the_account_is_an_error_without_recreate_missing():
    decision = decide_alone(entry(), account(user('smtp1')), 'smtp9')
    assert decision.spec is None
    assert 'smtp9' in decision.error and 'web1' in decision.error and 'recreate_missing' in decision.error


def test_a_registry_user_missing_from_the_account_is_replaced_with_recreate_missing():
    decision = decide_alone(entry(recreate_missing=True, identity=identity(pending=MARKER)), account(), 'smtp9')
    assert decision.origin == ORIGIN_NEW and 'smtp9' in decision.note
    assert decision.spec['create_limits'] == (123456789, 500)


def test_a_registry_user_to_disable_is_disabled():
    decision = decide_alone(entry(state='disabled'), account(user('smtp1')), 'smtp1')
    assert decision.origin == ORIGIN_REGISTRY
    assert decision.spec['name'] == 'smtp1' and decision.spec['state'] == 'disabled'


# --- a pending create: adopt its user, or create one ---

def test_the_one_unclaimed_user_with_the_pending_limits_is_adopted_with_a_reset_and_the_wanted_limits():
    users = account(user('smtp1'), user('smtp2', 123456789, 500), user('smtp3', 123456789, 499))
    decision = decide_alone(entry(identity=identity(pending=MARKER)), users)
    assert decision.origin == ORIGIN_ADOPTED and decision.error is None
    assert decision.spec['name'] == 'smtp2'
    assert decision.spec['reset_password'] is True
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == tuple(NEW_USER_LIMITS)
    assert 'smtp2' in decision.note


@pytest.mark.parametrize('claimer', ['registry', 'other host', 'pin of another host'])
def test_a_claimed_user_is_never_adopted_even_with_the_pending_limits(claimer):
    host = entry(identity=identity(pending=MARKER))
    other = entry(key='web2', identity=identity())
    records = {}
    if claimer == 'registry':
        records = {'web7': 'smtp2'}
    elif claimer == 'other host':
        other['identity'] = identity('smtp2', True)
    else:
        other.update(key=None, name='smtp2')
    users = account(user('smtp2', 123456789, 500))
    decision = decide(host, users, None, claimed_names([host_request(host), host_request(other)], records))
    assert decision.origin == ORIGIN_NEW
    assert decision.spec['name'] is None and decision.spec['create_limits'] == (123456789, 500)


def test_an_unclaimed_user_is_adopted_when_its_twin_is_claimed():
    host = entry(identity=identity(pending=MARKER))
    users = account(user('smtp1', 123456789, 500), user('smtp2', 123456789, 500))
    decision = decide(host, users, None, claimed_names([host_request(host)], {'web7': 'smtp1'}))
    assert decision.origin == ORIGIN_ADOPTED and decision.spec['name'] == 'smtp2'


def test_two_unclaimed_users_with_the_pending_limits_fail_the_host_and_are_both_named():
    users = account(user('smtp1'), user('smtp2', 123456789, 500), user('smtp3', 123456789, 500))
    decision = decide_alone(entry(identity=identity(pending=MARKER)), users)
    assert decision.spec is None
    assert 'smtp2, smtp3' in decision.error and 'smtp_relay_smtp_user_name' in decision.error
    assert 'smtp1' not in decision.error


def test_without_a_candidate_a_new_user_is_created_with_the_pending_limits_then_set_to_the_wanted_ones():
    decision = decide_alone(entry(identity=identity(pending=MARKER)), account(user('smtp1')))
    assert decision.origin == ORIGIN_NEW and decision.error is None and decision.note is None
    assert decision.spec['name'] is None and decision.spec['key'] is None
    assert decision.spec['create_limits'] == (123456789, 500)
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == tuple(NEW_USER_LIMITS)
    assert decision.spec['reset_password'] is False  # the create brings a password


def test_without_a_pending_marker_a_new_user_is_created_with_the_wanted_limits():
    decision = decide_alone(entry(), account(user('smtp1', 10000, 500)))  # check mode claims no marker
    assert decision.origin == ORIGIN_NEW
    assert 'create_limits' not in decision.spec
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == tuple(NEW_USER_LIMITS)


@pytest.mark.parametrize('pending', [None, MARKER])
def test_a_host_to_disable_that_never_had_a_user_leaves_nothing_to_do(pending):
    decision = decide_alone(entry(state='disabled', identity=identity(pending=pending)),
                            account(user('smtp1', 123456789, 500)))
    assert (decision.spec, decision.error, decision.origin, decision.note) == (None, None, None, None)


def test_staging_never_adopts_a_production_user_with_the_same_hourly_limit():
    """Two inventories on one account: production's hosts and registry are invisible to staging."""
    production = account(
        user('smtp1', 10000, 500),  # a production user, set to its wanted limits
        user('smtp2', 987654321, 500),  # production's own create whose reply was lost: its marker, not staging's
    )
    staging = entry(key='stage-web1', identity=identity(pending=MARKER))
    decision = decide(staging, production, None, claimed_names([host_request(staging)], {}))
    assert decision.origin == ORIGIN_NEW
    assert decision.spec['name'] is None and decision.spec['create_limits'] == (123456789, 500)


# --- limits and passwords ---

@pytest.mark.parametrize('inventory, new_user, wanted', [
    ((None, None), False, (None, None)),
    ((2000, None), False, (2000, None)),
    ((None, 50), False, (None, 50)),
    ((None, None), True, (10000, 500)),
    ((2000, None), True, (2000, 500)),
    ((2000, 50), True, (2000, 50)),
])
def test_only_the_inventory_limits_are_enforced_on_existing_users_and_new_users_get_the_new_user_limits(
        inventory, new_user, wanted):
    assert wanted_limits(entry(total_limit=inventory[0], hourly_limit=inventory[1]), new_user) == wanted


@pytest.mark.parametrize('inventory', [(None, None), (2000, 50)])
def test_an_existing_user_is_given_exactly_the_limits_the_inventory_sets(inventory):
    decision = decide_alone(entry(total_limit=inventory[0], hourly_limit=inventory[1], identity=identity('smtp1', True)),
                            account(user('smtp1', 77, 7)))
    assert (decision.spec['total_limit'], decision.spec['hourly_limit']) == inventory


@pytest.mark.parametrize('options, registry_name', [
    ({'identity': identity('smtp1', True)}, None),
    ({'key': None, 'name': 'smtp1', 'identity': identity('smtp1', True)}, None),
    ({}, 'smtp1'),
], ids=['held', 'pinned', 'registry'])
def test_rotation_resets_the_password_of_an_existing_user(options, registry_name):
    decision = decide_alone(entry(rotate=True, **options), account(user('smtp1')), registry_name)
    assert decision.spec['name'] == 'smtp1' and decision.spec['reset_password'] is True


def test_rotation_of_a_new_user_needs_no_reset():
    decision = decide_alone(entry(rotate=True, identity=identity(pending=MARKER)), account())
    assert decision.origin == ORIGIN_NEW and decision.spec['reset_password'] is False


def test_specs_never_ask_the_provisioner_for_a_listed_password():
    users = account(user('smtp1'), user('smtp2', 123456789, 500))
    for host in (entry(identity=identity('smtp1', True)), entry(identity=identity(pending=MARKER)), entry()):
        assert decide_alone(host, users).spec['return_password'] is False


# --- claimed and unclaimed users ---

def test_claimed_names_are_the_registry_records_the_pins_and_the_users_the_hosts_hold():
    requests = [
        host_request(entry(key='web1', identity=identity('smtp1', True))),
        host_request(entry(key=None, name='smtp2', identity=identity('smtp3', False))),
        host_request(entry(key='web3', identity=identity(pending=MARKER))),  # holds nothing: claims nothing
    ]
    assert claimed_names(requests, {'web1': 'smtp1', 'gone-host': 'smtp4'}) == {'smtp1', 'smtp2', 'smtp3', 'smtp4'}


def test_claimed_names_are_those_of_every_slot_of_every_host():
    requests = [
        host_request(entry(identity=identity('smtp1', True)),
                     entry(slot='orders@shop.example', key='web1 orders@shop.example', identity=identity('smtp2', True)),
                     entry(slot='@news.example', key=None, name='smtp3')),
        host_request(entry(key='web2', identity=identity('smtp4', True)),
                     entry(slot='@old.example', key='web2 @old.example', state='disabled', identity=identity('smtp5'))),
    ]
    assert claimed_names(requests, {}) == {'smtp1', 'smtp2', 'smtp3', 'smtp4', 'smtp5'}


def test_claimed_names_of_no_host_and_no_registry_are_empty():
    assert claimed_names([host_request(entry(), entry(slot='@news.example'))], {}) == set()


def test_unclaimed_users_are_the_enabled_users_nobody_claims_without_their_passwords():
    listed = [user('smtp1'), user('smtp2', 300, 30), user('smtp3', enabled=False), user('smtp4')]
    listed[1]['password'] = 'listed-secret'
    assert unclaimed_users(listed, {'smtp1', 'smtp4'}) == [{'name': 'smtp2', 'total_limit': 300, 'hourly_limit': 30}]


def test_no_user_is_unclaimed_when_every_enabled_user_is_claimed():
    assert unclaimed_users([user('smtp1'), user('smtp2', enabled=False)], {'smtp1'}) == []


# --- the shape of a host's request ---

def test_a_request_with_several_well_formed_slots_has_no_problem():
    described = host_request(entry(), entry(slot='orders@shop.example'), entry(slot='@old.example', state='disabled'))
    assert request_problems(described) == []


@pytest.mark.parametrize('users, problem', [
    (None, 'it has no users list'),
    ([], 'it has no users list'),
    ({'default': {}}, 'it has no users list'),
    (['default'], 'users[0] is not a dict'),
    ([entry(slot=None)], 'users[0] has no slot'),
    ([entry(slot='')], 'users[0] has no slot'),
    ([entry(), entry(slot='@news.example'), entry()], "users[2] repeats slot 'default'"),
    ([entry(state='absent')], "users[0] has state 'absent', not one of present, disabled"),
    ([entry(identity=None)], 'users[0] has no identity dict'),
    ([entry(new_user_limits=[10000])], 'users[0] has no new_user_limits pair'),
], ids=['no users', 'empty users', 'users by slot', 'not a dict', 'no slot', 'empty slot', 'duplicate slot',
        'unknown state', 'no identity', 'one limit'])
def test_a_malformed_request_is_named_with_what_is_wrong(users, problem):
    described = {'connection': 'account-1'}
    if users is not None:
        described['users'] = users
    problems = request_problems(described)
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_every_problem_of_a_request_is_named():
    problems = request_problems(host_request(entry(slot=None, state=None), entry(identity=[])))
    assert problems == ['users[0] has no slot', "users[0] has state None, not one of present, disabled",
                        'users[1] has no identity dict']
