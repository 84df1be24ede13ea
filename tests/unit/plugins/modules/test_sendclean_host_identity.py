# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_host_identity module run on real files: claim, settle and read of the host's record.

The record's logic without a module is in tests/unit/plugins/module_utils/test_host_record.py.
"""

import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import MARKER_LIMITS
from ansible_collections.sendclean.mta.plugins.modules import sendclean_host_identity

ORDERS = 'orders@shop.example'
NEWS = '@news.example'


def write(path, text):
    with open(str(path), 'w') as handle:
        handle.write(text)
    return str(path)


@pytest.fixture
def paths(tmp_path):
    root = tmp_path / 'root'
    root.mkdir()
    return {'record': str(root / 'etc' / 'sendclean' / 'smtp_relay.json'), 'credentials': str(root / 'sasl_passwd')}


def run_module(capsys, paths, check_mode=False, expect_failure=False, **args):
    module_args = dict({'path': paths['record'], 'credentials_path': paths['credentials']}, **args)
    if check_mode:
        module_args['_ansible_check_mode'] = True
    with patch_module_args(module_args):
        with pytest.raises(SystemExit) as caught:
            sendclean_host_identity.main()
    result = json.loads(capsys.readouterr().out)
    assert (caught.value.code == 1) is expect_failure, result
    return result


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def on_disk(paths):
    with open(paths['record']) as handle:
        return json.load(handle)


def raw(paths):
    with open(paths['record'], 'rb') as handle:
        return handle.read()


def test_a_claim_on_a_new_host_writes_a_private_record_in_a_private_directory(capsys, paths):
    result = run_module(capsys, paths, operation='claim', hourly_limits={'default': 300})
    identity = result['host_identity']
    assert result['changed'] and identity['run']
    assert (mode(os.path.dirname(paths['record'])), mode(paths['record'])) == (0o700, 0o600)
    assert list(identity['users']) == ['default']
    pending = identity['users']['default']['pending']
    assert pending['run'] == identity['run'] and pending['hourly_limit'] == 300 and pending['unsettled'] is False
    assert MARKER_LIMITS[0] <= pending['total_limit'] <= MARKER_LIMITS[1]
    assert on_disk(paths) == {'version': 1, 'users': {}, 'pending': {'default': pending}}
    assert identity['users']['default']['name'] is None and identity['users']['default']['busy'] is None
    assert (identity['files'], identity['postfix']) == ({}, None) and 'ansible_facts' not in result


def test_one_claim_of_several_slots_marks_them_under_one_run(capsys, paths):
    result = run_module(capsys, paths, operation='claim', slots=['default', ORDERS], hourly_limits={ORDERS: 100})
    users, run = result['host_identity']['users'], result['host_identity']['run']
    assert users['default']['pending']['run'] == users[ORDERS]['pending']['run'] == run
    assert (users['default']['pending']['hourly_limit'], users[ORDERS]['pending']['hourly_limit']) == (500, 100)
    assert sorted(on_disk(paths)['pending']) == sorted(['default', ORDERS])


def test_a_second_claim_at_once_finds_the_slot_busy_so_only_one_create_is_sent(capsys, paths):
    first = run_module(capsys, paths, operation='claim')
    second = run_module(capsys, paths, operation='claim')
    assert second['changed'] is False and second['host_identity']['run'] is None
    assert first['host_identity']['run'] in second['host_identity']['users']['default']['busy']
    assert second['host_identity']['users']['default']['pending'] == first['host_identity']['users']['default']['pending']
    assert on_disk(paths)['pending'] == {'default': first['host_identity']['users']['default']['pending']}


def test_a_claim_in_check_mode_still_reports_a_busy_slot(capsys, paths):
    first = run_module(capsys, paths, operation='claim')
    before = raw(paths)
    checked = run_module(capsys, paths, check_mode=True, operation='claim')
    assert checked['changed'] is False and checked['host_identity']['run'] is None
    assert first['host_identity']['run'] in checked['host_identity']['users']['default']['busy']
    assert raw(paths) == before


def test_read_changes_nothing(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    before = raw(paths)
    read = run_module(capsys, paths)
    assert read['changed'] is False and read['host_identity']['run'] is None
    assert read['host_identity']['users']['default']['pending'] == claimed['host_identity']['users']['default']['pending']
    assert read['host_identity']['users']['default']['busy'] is None
    assert raw(paths) == before


def test_settle_then_read_gives_the_user_and_its_password(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    write(paths['credentials'], '[relay.example.org]:587 smtp7:s3cret\n')
    settled = run_module(capsys, paths, operation='settle', names={'default': 'smtp7'}, run=claimed['host_identity']['run'])
    assert settled['changed'] and settled['host_identity']['run'] is None
    assert on_disk(paths) == {'version': 1, 'users': {'default': 'smtp7'}, 'pending': {}}
    assert mode(paths['record']) == 0o600
    read = run_module(capsys, paths)
    assert read['changed'] is False
    assert read['host_identity']['users'] == {'default': {'name': 'smtp7', 'recorded': True, 'has_password': True,
                                                          'password': 's3cret', 'pending': None, 'busy': None}}
    assert run_module(capsys, paths, operation='settle', names={'default': 'smtp7'})['changed'] is False


def test_settle_of_another_run_leaves_the_marker_alone(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    before = raw(paths)
    assert run_module(capsys, paths, operation='settle', run='another-run')['changed'] is False
    assert raw(paths) == before
    released = run_module(capsys, paths, operation='settle', run=claimed['host_identity']['run'])
    assert released['changed'] and released['host_identity']['users']['default']['pending'] is None
    assert on_disk(paths)['pending'] == {}


def test_an_unsettled_marker_is_taken_over_by_the_next_claim_with_its_limits(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    run_module(capsys, paths, operation='settle', unsettled=['default'], run=claimed['host_identity']['run'])
    assert on_disk(paths)['pending']['default']['unsettled'] is True
    again = run_module(capsys, paths, operation='claim', hourly_limits={'default': 999})
    assert again['changed'] and again['host_identity']['run'] != claimed['host_identity']['run']
    assert again['host_identity']['users']['default']['busy'] is None
    old, new = claimed['host_identity']['users']['default']['pending'], again['host_identity']['users']['default']['pending']
    assert (new['total_limit'], new['hourly_limit']) == (old['total_limit'], old['hourly_limit'])


def test_a_host_configured_before_the_record_keeps_the_user_of_its_credentials(capsys, paths):
    write(paths['credentials'], 'orders@shop.example smtpA:pa\n[relay.example.org]:587 smtp5:old-pass\n')
    result = run_module(capsys, paths, operation='claim', slots=['default', ORDERS])
    assert result['changed'] is True  # the sender line does not make the slot held: only the record does
    users = result['host_identity']['users']
    assert users['default'] == {'name': 'smtp5', 'recorded': False, 'has_password': True, 'password': 'old-pass',
                                'pending': None, 'busy': None}
    assert users[ORDERS]['name'] is None and users[ORDERS]['pending']['run'] == result['host_identity']['run']
    assert list(on_disk(paths)['pending']) == [ORDERS]


def test_a_host_configured_before_the_record_claims_nothing_for_its_default_slot(capsys, paths):
    write(paths['credentials'], '[relay.example.org]:587 smtp5:old-pass\n')
    result = run_module(capsys, paths, operation='claim')
    assert (result['changed'], result['host_identity']['run']) == (False, None)
    assert result['host_identity']['users']['default']['name'] == 'smtp5'
    assert not os.path.exists(paths['record'])


def test_each_slot_keeps_its_own_user(capsys, paths):
    write(paths['credentials'], '[relay.example.org]:587 smtp7:p7\norders@shop.example smtp8:p8\n')
    run_module(capsys, paths, operation='settle', names={'default': 'smtp7'})
    other = run_module(capsys, paths, operation='settle', names={ORDERS: 'smtp8'}, slots=[ORDERS])
    assert other['host_identity']['users'][ORDERS]['name'] == 'smtp8'
    assert on_disk(paths)['users'] == {'default': 'smtp7', ORDERS: 'smtp8'}
    # the listed slots and every slot the record holds a user for
    users = run_module(capsys, paths, slots=[NEWS])['host_identity']['users']
    assert sorted(users) == sorted([NEWS, 'default', ORDERS])
    assert [(users[slot]['name'], users[slot]['password']) for slot in (NEWS, 'default', ORDERS)] == [
        (None, None), ('smtp7', 'p7'), ('smtp8', 'p8')]
    forgot = run_module(capsys, paths, operation='settle', forget=[ORDERS])
    assert forgot['changed'] and list(forgot['host_identity']['users']) == ['default']
    assert on_disk(paths)['users'] == {'default': 'smtp7'}


def test_a_recorded_user_without_credentials_has_no_password(capsys, paths):
    run_module(capsys, paths, operation='settle', names={'default': 'smtp7'})
    identity = run_module(capsys, paths)['host_identity']['users']['default']
    assert (identity['name'], identity['recorded'], identity['has_password'], identity['password']) == (
        'smtp7', True, False, None)


@pytest.mark.parametrize('operation', ['read', 'claim', 'settle'])
def test_check_mode_and_read_leave_a_new_host_untouched(capsys, paths, operation):
    result = run_module(capsys, paths, check_mode=operation != 'read', operation=operation, names={'default': 'smtp7'})
    assert result['host_identity']['run'] is None and result['host_identity']['users']['default']['pending'] is None
    assert result['changed'] is (operation == 'settle')
    assert not os.path.exists(os.path.dirname(paths['record']))


def test_check_mode_settle_writes_nothing(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    before = raw(paths)
    result = run_module(capsys, paths, check_mode=True, operation='settle', names={'default': 'smtp7'},
                        run=claimed['host_identity']['run'])
    assert result['changed'] is True
    assert raw(paths) == before


def test_a_record_that_is_not_json_fails_the_module_naming_the_file(capsys, paths):
    os.makedirs(os.path.dirname(paths['record']), 0o700)
    write(paths['record'], '{not json')
    for operation in ('read', 'claim'):
        result = run_module(capsys, paths, expect_failure=True, operation=operation)
        assert result['failed'] and paths['record'] in result['msg']
