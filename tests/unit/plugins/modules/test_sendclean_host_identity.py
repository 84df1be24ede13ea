# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's record of its SMTP user: the pending-create marker, the record itself, and the module run on a real file."""

import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.modules import sendclean_host_identity
from ansible_collections.sendclean.mta.plugins.modules.sendclean_host_identity import (
    MARKER_LIMITS, HostRecord, change_record, held_user, read_credentials,
)

NOW = 1800000000
LEASE = 900


def params(operation='claim', **options):
    """The module's parameters with their defaults."""
    values = {'path': '/unused', 'credentials_path': None, 'slot': 'default', 'operation': operation, 'name': None,
              'run': None, 'hourly_limit': 500, 'lease': LEASE}
    values.update(options)
    return values


def loaded(users=None, pending=None):
    record = HostRecord('/unused/record.json')
    record.users, record.pending = dict(users or {}), dict(pending or {})
    return record


def marker(since=NOW - 10, unsettled=False, run='other-run'):
    return {'total_limit': 123456789, 'hourly_limit': 400, 'run': run, 'since': since, 'unsettled': unsettled}


# --- claim ---

def test_a_claim_marks_a_create_pending_with_one_off_limits():
    record = loaded()
    changed, run, busy = change_record(record, params(hourly_limit=250), None, NOW + 0.7, False)
    assert (changed, busy) == (True, None)
    assert run and record.pending['default']['run'] == run
    pending = record.pending['default']
    assert MARKER_LIMITS[0] <= pending['total_limit'] <= MARKER_LIMITS[1]
    assert (pending['hourly_limit'], pending['since'], pending['unsettled']) == (250, NOW, False)
    assert record.users == {}


def test_each_claim_draws_its_own_marker_and_run():
    first, second = loaded(), loaded()
    change_record(first, params(), None, NOW, False)
    change_record(second, params(), None, NOW, False)
    assert first.pending['default']['run'] != second.pending['default']['run']
    assert first.pending['default']['total_limit'] != second.pending['default']['total_limit']


def test_a_fresh_marker_of_another_run_makes_the_host_busy_and_is_left_as_it_is():
    record = loaded(pending={'default': marker()})
    changed, run, busy = change_record(record, params(), None, NOW, False)
    assert (changed, run) == (False, None)
    assert 'other-run' in busy and '%d seconds' % LEASE in busy and 'another run' in busy
    assert record.pending['default'] == marker()


@pytest.mark.parametrize('old_marker', [marker(since=NOW - LEASE), marker(since=NOW - 5 * LEASE),
                                        marker(unsettled=True)], ids=['lease-ended', 'long-dead', 'unsettled'])
def test_a_stale_or_unsettled_marker_is_taken_over_keeping_its_one_off_limits(old_marker):
    record = loaded(pending={'default': old_marker})
    changed, run, busy = change_record(record, params(hourly_limit=999), None, NOW, False)
    assert (changed, busy) == (True, None)
    assert run and run != 'other-run'
    assert record.pending['default'] == {'total_limit': 123456789, 'hourly_limit': 400, 'run': run, 'since': NOW,
                                         'unsettled': False}


@pytest.mark.parametrize('pending', [{}, {'default': marker(unsettled=True)}], ids=['no-marker', 'unsettled-marker'])
def test_a_host_that_holds_a_user_claims_nothing(pending):
    record = loaded(users={'default': 'smtp1'}, pending=pending)
    assert change_record(record, params(), 'smtp1', NOW, False) == (False, None, None)
    assert record.pending == pending


@pytest.mark.parametrize('pending', [{}, {'default': marker(unsettled=True)}], ids=['no-marker', 'unsettled-marker'])
def test_a_claim_in_check_mode_writes_no_marker(pending):
    record = loaded(pending=pending)
    assert change_record(record, params(), None, NOW, True) == (False, None, None)
    assert record.pending == pending


def test_a_claim_in_check_mode_still_reports_a_busy_host():
    changed, run, busy = change_record(loaded(pending={'default': marker()}), params(), None, NOW, True)
    assert (changed, run) == (False, None) and 'other-run' in busy


def test_a_claim_marks_only_its_own_slot():
    record = loaded(users={'default': 'smtp1'}, pending={'default': marker()})
    changed, run, busy = change_record(record, params(slot='example.org'), None, NOW, False)
    assert (changed, busy) == (True, None)
    assert record.pending['default'] == marker() and record.pending['example.org']['run'] == run


def test_read_changes_nothing():
    record = loaded()
    assert change_record(record, params('read'), None, NOW, False) == (False, None, None)
    assert (record.users, record.pending) == ({}, {})


# --- record, release, unsettle ---

@pytest.mark.parametrize('users, pending, changed', [
    ({}, {}, True),
    ({}, {'default': marker()}, True),
    ({'default': 'smtp1'}, {}, True),
    ({'default': 'smtp2'}, {'default': marker()}, True),
    ({'default': 'smtp2'}, {}, False),
])
def test_record_names_the_user_and_settles_the_marker(users, pending, changed):
    record = loaded(users=users, pending=pending)
    assert change_record(record, params('record', name='smtp2'), users.get('default'), NOW, False) == (changed, None, None)
    assert record.users == {'default': 'smtp2'} and record.pending == {}


@pytest.mark.parametrize('operation', ['release', 'unsettle'])
@pytest.mark.parametrize('pending', [{}, {'default': marker(run='other-run')}], ids=['no-marker', 'other-run'])
def test_release_and_unsettle_leave_alone_a_marker_that_is_not_their_runs(operation, pending):
    record = loaded(pending=pending)
    assert change_record(record, params(operation, run='my-run'), None, NOW, False) == (False, None, None)
    assert record.pending == pending


def test_release_drops_the_marker_of_its_run():
    record = loaded(pending={'default': marker(run='my-run'), 'example.org': marker(run='my-run')})
    assert change_record(record, params('release', run='my-run'), None, NOW, False) == (True, None, None)
    assert record.pending == {'example.org': marker(run='my-run')}


def test_unsettle_keeps_the_marker_of_its_run_for_the_next_run_to_settle():
    record = loaded(pending={'default': marker(run='my-run')})
    assert change_record(record, params('unsettle', run='my-run'), None, NOW, False) == (True, None, None)
    assert record.pending['default'] == marker(run='my-run', unsettled=True)
    # and the next run takes it over at once, lease or not
    assert change_record(record, params(), None, NOW, False)[0] is True


# --- credentials and the held user ---

def write(path, text):
    with open(str(path), 'w') as handle:
        handle.write(text)
    return str(path)


def test_read_credentials_gives_the_user_and_password_of_each_line(tmp_path):
    path = write(tmp_path / 'sasl_passwd', '# managed by Ansible\n\n[smtp.example.org]:587 smtp1:pass:word \n'
                                           'smtp.example.net smtp2:secret\nnot-a-credential\n[relay]:25 nocolon\n')
    assert read_credentials(path) == [('smtp1', 'pass:word'), ('smtp2', 'secret')]


@pytest.mark.parametrize('path', [None, '', 'missing'])
def test_read_credentials_of_no_file_is_empty(path, tmp_path):
    assert read_credentials(str(tmp_path / path) if path == 'missing' else path) == []


@pytest.mark.parametrize('users, slot, credentials, held', [
    ({'default': 'smtp1'}, 'default', [('smtp2', 'x')], 'smtp1'),  # the record wins
    ({}, 'default', [('smtp2', 'x'), ('smtp3', 'y')], 'smtp2'),  # migration: the user of the first line
    ({}, 'default', [], None),
    ({}, 'example.org', [('smtp2', 'x')], None),  # only the default slot is migrated
    ({'example.org': 'smtp4'}, 'example.org', [('smtp2', 'x')], 'smtp4'),
])
def test_held_user_is_the_recorded_one_else_the_credentials_user_of_the_default_slot(users, slot, credentials, held):
    assert held_user(loaded(users=users), slot, credentials) == held


# --- the module, run on real files ---

@pytest.fixture
def paths(tmp_path):
    root = tmp_path / 'root'
    root.mkdir()
    return {'record': str(root / 'etc' / 'sendclean' / 'smtp_relay.json'), 'credentials': str(root / 'sasl_passwd')}


def run_module(capsys, paths, check_mode=False, **args):
    module_args = dict({'path': paths['record'], 'credentials_path': paths['credentials']}, **args)
    if check_mode:
        module_args['_ansible_check_mode'] = True
    with patch_module_args(module_args):
        with pytest.raises(SystemExit):
            sendclean_host_identity.main()
    return json.loads(capsys.readouterr().out)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def on_disk(paths):
    with open(paths['record']) as handle:
        return json.load(handle)


def test_a_claim_on_a_new_host_writes_a_private_record_in_a_private_directory(capsys, paths):
    result = run_module(capsys, paths, operation='claim', hourly_limit=300)
    assert result['changed'] and result['run']
    assert (mode(os.path.dirname(paths['record'])), mode(paths['record'])) == (0o700, 0o600)
    pending = result['identity']['pending']
    assert pending['run'] == result['run'] and pending['hourly_limit'] == 300
    assert on_disk(paths) == {'version': 1, 'users': {}, 'pending': {'default': pending}}
    assert result['identity']['name'] is None and result['identity']['busy'] is None


def test_a_second_run_at_once_finds_the_host_busy_so_only_one_create_is_sent(capsys, paths):
    first = run_module(capsys, paths, operation='claim')
    second = run_module(capsys, paths, operation='claim')
    assert second['changed'] is False and second['run'] is None
    assert first['run'] in second['identity']['busy']
    assert second['identity']['pending'] == first['identity']['pending']


def test_record_then_read_gives_the_user_and_its_password(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    write(paths['credentials'], '[relay.example.org]:587 smtp7:s3cret\n')
    recorded = run_module(capsys, paths, operation='record', name='smtp7', run=claimed['run'])
    assert recorded['changed']
    assert on_disk(paths) == {'version': 1, 'users': {'default': 'smtp7'}, 'pending': {}}
    assert mode(paths['record']) == 0o600
    read = run_module(capsys, paths)
    assert read['changed'] is False
    assert read['identity'] == {'name': 'smtp7', 'recorded': True, 'has_password': True, 'password': 's3cret',
                                'pending': None, 'busy': None}


def test_a_host_configured_before_the_record_keeps_the_user_of_its_credentials(capsys, paths):
    write(paths['credentials'], '[relay.example.org]:587 smtp5:old-pass\n')
    result = run_module(capsys, paths, operation='claim')
    assert (result['changed'], result['run']) == (False, None)
    assert result['identity'] == {'name': 'smtp5', 'recorded': False, 'has_password': True, 'password': 'old-pass',
                                  'pending': None, 'busy': None}


def test_each_slot_keeps_its_own_user(capsys, paths):
    run_module(capsys, paths, operation='record', name='smtp7')
    other = run_module(capsys, paths, operation='record', name='smtp8', slot='example.org')
    assert other['identity']['name'] == 'smtp8'
    assert on_disk(paths)['users'] == {'default': 'smtp7', 'example.org': 'smtp8'}
    assert run_module(capsys, paths)['identity']['name'] == 'smtp7'


def test_a_recorded_user_without_credentials_has_no_password(capsys, paths):
    run_module(capsys, paths, operation='record', name='smtp7')
    identity = run_module(capsys, paths)['identity']
    assert (identity['name'], identity['recorded'], identity['has_password'], identity['password']) == (
        'smtp7', True, False, None)


@pytest.mark.parametrize('operation', ['read', 'claim'])
def test_check_mode_and_read_leave_a_new_host_untouched(capsys, paths, operation):
    result = run_module(capsys, paths, check_mode=operation == 'claim', operation=operation)
    assert (result['changed'], result['run'], result['identity']['pending']) == (False, None, None)
    assert not os.path.exists(os.path.dirname(paths['record']))


def test_check_mode_record_writes_nothing(capsys, paths):
    run_module(capsys, paths, operation='claim')
    before = on_disk(paths)
    result = run_module(capsys, paths, check_mode=True, operation='record', name='smtp7')
    assert result['changed'] is True
    assert on_disk(paths) == before


def test_release_of_the_claiming_run_drops_its_marker(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    assert run_module(capsys, paths, operation='release', run='another-run')['changed'] is False
    released = run_module(capsys, paths, operation='release', run=claimed['run'])
    assert released['changed'] and released['identity']['pending'] is None
    assert on_disk(paths)['pending'] == {}


def test_an_unsettled_marker_is_taken_over_by_the_next_claim_with_its_limits(capsys, paths):
    claimed = run_module(capsys, paths, operation='claim')
    run_module(capsys, paths, operation='unsettle', run=claimed['run'])
    assert on_disk(paths)['pending']['default']['unsettled'] is True
    again = run_module(capsys, paths, operation='claim', hourly_limit=999)
    assert again['changed'] and again['run'] != claimed['run'] and again['identity']['busy'] is None
    old, new = claimed['identity']['pending'], again['identity']['pending']
    assert (new['total_limit'], new['hourly_limit']) == (old['total_limit'], old['hourly_limit'])


def test_a_record_that_is_not_json_fails_the_module_naming_the_file(capsys, paths):
    os.makedirs(os.path.dirname(paths['record']), 0o700)
    write(paths['record'], '{not json')
    with patch_module_args({'path': paths['record'], 'operation': 'claim'}):
        with pytest.raises(SystemExit) as caught:
            sendclean_host_identity.main()
    result = json.loads(capsys.readouterr().out)
    assert caught.value.code == 1
    assert result['failed'] and paths['record'] in result['msg']


@pytest.mark.parametrize('operation', ['record', 'release', 'unsettle'])
def test_operations_that_settle_need_their_argument(capsys, paths, operation):
    with patch_module_args({'path': paths['record'], 'operation': operation}):
        with pytest.raises(SystemExit):
            sendclean_host_identity.main()
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] and ('name' if operation == 'record' else 'run') in result['msg']
