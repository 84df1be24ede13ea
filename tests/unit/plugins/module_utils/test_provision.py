# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Provisioning against the running simulator: lost replies, races and what the registry records."""

import os

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient, parse_user
from ansible_collections.sendclean.mta.plugins.module_utils._provision import ProvisionError, Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry


def spec(**options):
    desired = {'name': None, 'key': None, 'state': 'present', 'enabled': True, 'total_limit': 500, 'hourly_limit': 50,
               'reset_password': False, 'return_password': False, 'recreate_missing': False}
    desired.update(options)
    return desired


@pytest.fixture
def provisioner(simulator, tmp_path):
    client = SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url, retries=1, sleep=lambda seconds: None)
    warnings = []
    result = Provisioner(client, Registry(str(tmp_path / 'registry.json')), warn=warnings.append)
    result.warnings = warnings
    return result


def apply(provisioner, desired):
    provisioner.refresh()
    with provisioner.registry.locked():
        return provisioner.apply(desired)


def test_lost_add_reply_is_adopted_and_recorded(simulator, provisioner):
    simulator.configure(drop_rate=1.0)
    result = apply(provisioner, spec(key='web1'))
    users = simulator.users()
    assert len(users) == 1
    assert result['adopted'] and result['operations'] == ['add']
    assert result['smtp_user']['name'] == users[0]['smtp_user_name']
    assert result['smtp_password'] == users[0]['password']
    assert provisioner.registry.name_of('web1') == users[0]['smtp_user_name']
    assert users[0]['password'] not in ' '.join(provisioner.warnings)


def test_adopted_user_without_listed_password_gets_a_reset(simulator, provisioner):
    simulator.configure(password_key='absent', drop_rate=1.0, drop_calls=['addSmtp'])
    result = apply(provisioner, spec(key='web1'))
    assert result['adopted']
    assert result['operations'] == ['add', 'reset']
    assert result['smtp_password'] == simulator.users()[0]['password']


def test_several_new_users_with_the_same_limits_fail_and_are_named(simulator, provisioner):
    provisioner.refresh()
    racing = simulator.add_users(1, 500, 50)  # another creator, outside this controller's lock
    simulator.configure(drop_rate=1.0)
    with pytest.raises(ProvisionError) as caught:
        provisioner.apply(spec())
    assert racing[0] in str(caught.value)
    assert 'several new users match' in str(caught.value)
    assert len(simulator.users()) == 2


def test_add_that_never_applied_is_made_once_more_then_reported(simulator, provisioner):
    simulator.configure(fault_rate=1.0, fault_kinds=['html502'], fault_calls=['addSmtp'])
    provisioner.refresh()
    with pytest.raises(ProvisionError) as caught:
        provisioner.apply(spec())
    assert caught.value.result['api_error']['outcome_unknown']
    assert caught.value.result['operations'] == ['add', 'add']
    assert simulator.requests()['counts']['addSmtp'] == 2
    assert simulator.users() == []


def test_lost_reset_without_a_listed_password_is_made_once_more(simulator, provisioner):
    name = provisioner.client.add_user(500, 50)[0]
    simulator.configure(password_key='absent', drop_rate=1.0)
    provisioner.refresh()
    with pytest.raises(ProvisionError) as caught:
        provisioner.apply(spec(name=name, reset_password=True))
    assert caught.value.result['operations'] == ['reset', 'reset']
    assert caught.value.result['api_error']['outcome_unknown']


def test_registry_name_that_vanished_is_not_replaced_silently(simulator, provisioner):
    apply(provisioner, spec(key='web1'))
    simulator.reset(users=True, counters=True, config=False)
    with pytest.raises(ProvisionError, match='recreate_missing'):
        apply(provisioner, spec(key='web1'))
    assert simulator.requests()['writes'] == 0


def test_check_mode_writes_nothing(simulator, provisioner, tmp_path):
    provisioner.check_mode = True
    result = apply(provisioner, spec(key='web1'))
    assert result['changed'] and result['smtp_user']['name'] is None
    assert simulator.requests()['writes'] == 0
    assert not os.path.exists(str(tmp_path / 'registry.json'))


@pytest.mark.parametrize('options', [{}, {'enabled': True}, {'state': 'disabled'}, {'hourly_limit': 99}])
def test_an_unknown_status_fails_naming_the_user_and_the_value_and_writes_nothing(simulator, provisioner, options):
    name = simulator.add_users(1, 500, 50)[0]
    provisioner.refresh()
    provisioner.users[name] = parse_user({'smtp_user_name': name, 'status': 'Suspended', 'total_limit': 500,
                                          'hourly_limit': 50})  # as a list with such a status gives it
    with pytest.raises(ProvisionError) as caught:
        provisioner.apply(spec(name=name, **options))
    assert name in str(caught.value) and "'Suspended'" in str(caught.value)
    assert simulator.requests()['writes'] == 0


@pytest.mark.parametrize('options, after', [
    ({'hourly_limit': 99}, (True, 'Enable', 500, 99)),
    ({'state': 'disabled'}, (False, 'Disable', 500, 50)),
])
def test_an_edit_shows_in_the_snapshot_for_the_specs_and_hosts_that_share_it(simulator, provisioner, options, after):
    name = simulator.add_users(1, 500, 50)[0]
    apply(provisioner, spec(name=name, **options))
    found = provisioner.find(name)
    assert (found['enabled'], found['status'], found['total_limit'], found['hourly_limit']) == after


def mark_pending(provisioner, key, total_limit, hourly_limit):
    with provisioner.registry.locked():
        provisioner.registry.mark_pending(key, total_limit, hourly_limit)


def test_of_several_users_with_a_pending_creates_limits_one_is_adopted_and_the_others_are_disabled(
        simulator, provisioner):
    """Two runs raced on the create of key web1: the first user by name is adopted, none is left enabled unclaimed."""
    raced = sorted(simulator.add_users(3, 123456789, 50))
    mark_pending(provisioner, 'web1', 123456789, 50)
    result = apply(provisioner, spec(key='web1'))
    assert (result['adopted'], result['smtp_user']['name']) == (True, raced[0])
    listed = dict((user['smtp_user_name'], user) for user in simulator.users())
    assert [listed[name]['status'] for name in raced] == ['Enable', 'Disable', 'Disable']
    assert (listed[raced[0]]['total_limit'], listed[raced[0]]['hourly_limit']) == (500, 50)
    assert (provisioner.registry.name_of('web1'), provisioner.registry.pending_of('web1')) == (raced[0], None)
    assert any(raced[1] in warning and raced[2] in warning and 'disabled' in warning for warning in provisioner.warnings)
    assert simulator.requests()['counts']['addSmtp'] == 0


def test_a_user_another_key_records_is_never_adopted_nor_disabled(simulator, provisioner):
    recorded, unrecorded = sorted(simulator.add_users(2, 123456789, 50))
    with provisioner.registry.locked():
        provisioner.registry.record('web7', recorded)
    mark_pending(provisioner, 'web1', 123456789, 50)
    assert apply(provisioner, spec(key='web1'))['smtp_user']['name'] == unrecorded
    assert [user['status'] for user in simulator.users()] == ['Enable', 'Enable']
