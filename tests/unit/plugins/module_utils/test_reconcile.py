# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The reconcile decisions as pure functions: desired user vs current user -> writes."""

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._reconcile import (
    InputError, adoption_candidates, check_spec, desired_status, diff_of, plan, public_view, require_create_limits,
)


def spec(**options):
    desired = {'name': None, 'key': None, 'state': 'present', 'enabled': None, 'total_limit': None,
               'hourly_limit': None, 'reset_password': False}
    desired.update(options)
    return desired


def user(name='smtp10000001', status='Enable', total=200, hourly=20, password='Pw12345678'):
    return {'name': name, 'enabled': status == 'Enable', 'status': status, 'total_limit': total,
            'hourly_limit': hourly, 'password': password}


@pytest.mark.parametrize('state, enabled, expected', [
    ('present', True, 'Enable'),
    ('present', False, 'Disable'),
    ('present', None, None),
    ('disabled', None, 'Disable'),
    ('disabled', True, 'Disable'),
    ('disabled', False, 'Disable'),
])
def test_desired_status(state, enabled, expected):
    assert desired_status(state, enabled) == expected


def test_converged_user_needs_no_write():
    result = plan(spec(name='smtp10000001', total_limit=200, hourly_limit=20), user())
    assert result.operations == []
    assert not result.changed
    assert result.before == result.after


def test_unset_limits_are_not_compared():
    result = plan(spec(name='smtp10000001'), user(total=999, hourly=99))
    assert result.operations == []


def test_changed_limit_edits_only_that_field():
    result = plan(spec(name='smtp10000001', total_limit=200, hourly_limit=50), user())
    assert result.operations == ['edit']
    assert result.edit == {'hourly_limit': 50}
    assert result.after['hourly_limit'] == 50
    assert result.before['hourly_limit'] == 20


def test_disable_existing_user():
    result = plan(spec(name='smtp10000001', state='disabled'), user())
    assert result.edit == {'status': 'Disable'}
    assert result.after['enabled'] is False


def test_enabled_false_disables_under_present():
    result = plan(spec(name='smtp10000001', enabled=False), user())
    assert result.edit == {'status': 'Disable'}


def test_enabled_true_reenables_disabled_user():
    result = plan(spec(name='smtp10000001', enabled=True), user(status='Disable'))
    assert result.edit == {'status': 'Enable'}


@pytest.mark.parametrize('status', ['Enable', 'Disable'])
def test_without_enabled_a_task_leaves_the_status_as_it_is(status):
    result = plan(spec(name='smtp10000001', hourly_limit=50), user(status=status))
    assert result.edit == {'hourly_limit': 50}
    assert result.after['status'] == status


def test_disabled_missing_user_is_a_no_op():
    result = plan(spec(key='web1', state='disabled'), None)
    assert result.operations == []
    assert result.after is None
    assert diff_of(result.before, result.after) == {'before': {}, 'after': {}}


def test_create_without_enabled_makes_an_enabled_user():
    result = plan(spec(key='web1', total_limit=100, hourly_limit=10), None)
    assert result.operations == ['add']
    assert result.after == {'name': None, 'enabled': True, 'status': 'Enable', 'total_limit': 100, 'hourly_limit': 10}
    assert result.before is None


def test_create_disabled_is_add_then_edit_status():
    result = plan(spec(key='web1', total_limit=100, hourly_limit=10, enabled=False), None)
    assert result.operations == ['add', 'edit']
    assert result.edit == {'status': 'Disable'}


def test_reset_on_create_is_skipped():
    result = plan(spec(total_limit=100, hourly_limit=10, reset_password=True), None)
    assert result.operations == ['add']


def test_reset_always_changes_and_follows_edit():
    result = plan(spec(name='smtp10000001', hourly_limit=30, reset_password=True), user())
    assert result.operations == ['edit', 'reset']
    assert result.changed


def test_public_view_never_carries_a_password():
    view = public_view(user())
    assert 'password' not in view
    assert set(view) == {'name', 'enabled', 'status', 'total_limit', 'hourly_limit'}
    assert public_view(None) is None


def test_diff_has_no_password():
    result = plan(spec(name='smtp10000001', reset_password=True), user(password='Secret0001'))
    assert 'Secret0001' not in repr(diff_of(result.before, result.after))


@pytest.mark.parametrize('options, message', [
    ({'total_limit': 0, 'hourly_limit': 1}, 'total_limit must be a whole number of at least 1'),
    ({'total_limit': 5, 'hourly_limit': -1}, 'hourly_limit must be a whole number of at least 1'),
    ({'total_limit': True, 'hourly_limit': 1}, 'total_limit must be a whole number'),
    ({'state': 'disabled'}, 'state=disabled never creates a user'),
    ({'total_limit': 5}, 'hourly_limit is required to create a user'),
    ({}, 'total_limit and hourly_limit are required to create a user'),
])
def test_check_spec_rejects(options, message):
    with pytest.raises(InputError, match=message):
        check_spec(spec(**options))


def test_check_spec_accepts_identified_user_without_limits():
    check_spec(spec(name='smtp10000001'))
    check_spec(spec(key='web1', state='disabled'))


def test_require_create_limits_names_the_reason():
    with pytest.raises(InputError, match="key 'web1' is not in the registry"):
        require_create_limits(spec(key='web1'), "key 'web1' is not in the registry yet")


def test_adoption_candidates_are_new_users_with_the_requested_limits():
    before = {'smtp10000001'}
    after = [user('smtp10000001', total=100, hourly=10), user('smtp10000002', total=100, hourly=10),
             user('smtp10000003', total=100, hourly=99)]
    assert [u['name'] for u in adoption_candidates(before, after, 100, 10)] == ['smtp10000002']
    assert adoption_candidates(before, after[:1], 100, 10) == []
