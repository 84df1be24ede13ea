# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's record of its SMTP users, without a module: claim, settle, the credentials file and the held user."""

import time

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import (
    MARKER_LIMITS, HostRecord, claim, held_user, read_credentials, settle, slot_identity,
)

NOW = 1800000000
LEASE = 900
ORDERS, NEWS = 'orders@shop.example', '@news.example'


def loaded(users=None, pending=None):
    record = HostRecord('/unused/record.json')
    record.users, record.pending = dict(users or {}), dict(pending or {})
    return record


def marker(since=NOW - 10, unsettled=False, run='other-run'):
    return {'total_limit': 123456789, 'hourly_limit': 400, 'run': run, 'since': since, 'unsettled': unsettled}


def claim_default(record, held=None, hourly_limit=500, now=NOW, check_mode=False):
    return claim(record, ['default'], {'default': held}, {'default': hourly_limit}, LEASE, now, check_mode)


# --- claim ---

def test_a_claim_marks_a_create_pending_with_one_off_limits():
    record = loaded()
    run, busy = claim_default(record, hourly_limit=250, now=NOW + 0.7)
    assert busy == {}
    assert run and record.pending['default']['run'] == run
    pending = record.pending['default']
    assert MARKER_LIMITS[0] <= pending['total_limit'] <= MARKER_LIMITS[1]
    assert (pending['hourly_limit'], pending['since'], pending['unsettled']) == (250, NOW, False)
    assert set(pending) == {'total_limit', 'hourly_limit', 'run', 'since', 'unsettled'}
    assert record.users == {}


def test_each_claim_draws_its_own_marker_and_run():
    first, second = loaded(), loaded()
    first_run = claim_default(first)[0]
    second_run = claim_default(second)[0]
    assert first_run != second_run
    assert first.pending['default']['run'] != second.pending['default']['run']
    assert first.pending['default']['total_limit'] != second.pending['default']['total_limit']


def test_a_fresh_marker_of_another_run_makes_the_slot_busy_and_is_left_as_it_is():
    record = loaded(pending={'default': marker()})
    run, busy = claim_default(record)
    assert run is None and list(busy) == ['default']
    assert 'other-run' in busy['default'] and '%d seconds' % LEASE in busy['default'] and 'another run' in busy['default']
    assert time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(NOW - 10)) in busy['default']
    assert record.pending['default'] == marker()


@pytest.mark.parametrize('old_marker', [marker(since=NOW - LEASE), marker(since=NOW - 5 * LEASE),
                                        marker(unsettled=True)], ids=['lease-ended', 'long-dead', 'unsettled'])
def test_a_stale_or_unsettled_marker_is_taken_over_keeping_its_one_off_limits(old_marker):
    record = loaded(pending={'default': old_marker})
    run, busy = claim_default(record, hourly_limit=999)
    assert busy == {}
    assert run and run != 'other-run'
    assert record.pending['default'] == {'total_limit': 123456789, 'hourly_limit': 400, 'run': run, 'since': NOW,
                                         'unsettled': False}


@pytest.mark.parametrize('pending', [{}, {'default': marker(unsettled=True)}, {'default': marker()}],
                         ids=['no-marker', 'unsettled-marker', 'fresh-marker'])
def test_a_host_that_holds_a_user_claims_nothing(pending):
    record = loaded(users={'default': 'smtp1'}, pending=pending)
    assert claim_default(record, held='smtp1') == (None, {})
    assert record.pending == pending


@pytest.mark.parametrize('pending', [{}, {'default': marker(unsettled=True)}, {'default': marker(since=NOW - LEASE)}],
                         ids=['no-marker', 'unsettled-marker', 'stale-marker'])
def test_a_claim_in_check_mode_writes_no_marker(pending):
    record = loaded(pending=pending)
    assert claim_default(record, check_mode=True) == (None, {})
    assert record.pending == pending


def test_a_claim_in_check_mode_still_reports_a_busy_slot():
    record = loaded(pending={'default': marker()})
    run, busy = claim_default(record, check_mode=True)
    assert run is None and 'other-run' in busy['default']
    assert record.pending == {'default': marker()}


def test_a_claim_marks_only_the_listed_slots_that_hold_no_user_all_under_one_run():
    record = loaded(users={'default': 'smtp1'}, pending={'unlisted@x.example': marker()})
    slots = ['default', ORDERS, NEWS]
    run, busy = claim(record, slots, {'default': 'smtp1', ORDERS: None, NEWS: None}, {'default': 1, ORDERS: 100, NEWS: 200},
                      LEASE, NOW, False)
    assert run and busy == {}
    assert sorted(record.pending) == sorted([ORDERS, NEWS, 'unlisted@x.example'])
    assert record.pending['unlisted@x.example'] == marker()
    assert record.pending[ORDERS]['run'] == record.pending[NEWS]['run'] == run
    assert (record.pending[ORDERS]['hourly_limit'], record.pending[NEWS]['hourly_limit']) == (100, 200)
    assert record.pending[ORDERS]['total_limit'] != record.pending[NEWS]['total_limit']


def test_a_claim_marks_the_free_slots_and_reports_the_busy_ones():
    record = loaded(pending={ORDERS: marker()})
    run, busy = claim(record, ['default', ORDERS], {}, {'default': 500, ORDERS: 100}, LEASE, NOW, False)
    assert run and list(busy) == [ORDERS]
    assert record.pending['default']['run'] == run and record.pending[ORDERS] == marker()


# --- settle ---

@pytest.mark.parametrize('users, pending, changed', [
    ({}, {}, True),
    ({}, {'default': marker(run='my-run')}, True),
    ({}, {'default': marker()}, True),  # a marker of another run is settled too: the slot has its user now
    ({'default': 'smtp1'}, {}, True),
    ({'default': 'smtp2'}, {'default': marker()}, True),
    ({'default': 'smtp2'}, {}, False),
])
def test_settle_records_the_names_and_drops_their_markers(users, pending, changed):
    record = loaded(users=users, pending=pending)
    assert settle(record, {'default': 'smtp2'}, [], [], 'my-run') is changed
    assert record.users == {'default': 'smtp2'} and record.pending == {}


def test_settle_keeps_the_unsettled_markers_of_its_run_and_drops_its_others():
    record = loaded(users={'default': 'smtp1'},
                    pending={ORDERS: marker(run='my-run'), NEWS: marker(run='my-run'), 'a@b.example': marker(run='my-run')})
    assert settle(record, {'a@b.example': 'smtp3'}, [ORDERS], [], 'my-run') is True
    assert record.users == {'default': 'smtp1', 'a@b.example': 'smtp3'}
    assert record.pending == {ORDERS: marker(run='my-run', unsettled=True)}


@pytest.mark.parametrize('unsettled', [[], ['default']], ids=['dropped', 'unsettled'])
def test_settle_leaves_the_markers_of_other_runs_alone(unsettled):
    pending = {'default': marker(run='other-run'), ORDERS: marker(run='third-run', unsettled=True)}
    record = loaded(pending=pending)
    assert settle(record, {}, unsettled, [], 'my-run') is False
    assert record.pending == pending


def test_settle_without_a_run_touches_only_the_markers_of_the_names():
    record = loaded(pending={'default': marker(run='my-run'), ORDERS: marker(run='my-run')})
    assert settle(record, {'default': 'smtp2'}, [ORDERS], [], None) is True
    assert record.pending == {ORDERS: marker(run='my-run')}


def test_settle_forgets_the_users_of_the_slots_no_longer_held():
    record = loaded(users={'default': 'smtp1', ORDERS: 'smtp2', NEWS: 'smtp3'})
    assert settle(record, {}, [], [ORDERS, 'never@held.example'], None) is True
    assert record.users == {'default': 'smtp1', NEWS: 'smtp3'}
    assert settle(record, {}, [], [ORDERS], None) is False


def test_an_unsettled_marker_is_taken_over_by_the_next_claim_at_once():
    record = loaded()
    first_run = claim_default(record)[0]
    limits = dict(record.pending['default'])
    settle(record, {}, ['default'], [], first_run)
    assert record.pending['default']['unsettled'] is True
    run, busy = claim_default(record, hourly_limit=999)  # within the lease: the marker's run has ended
    assert run and run != first_run and busy == {}
    assert (record.pending['default']['total_limit'], record.pending['default']['hourly_limit']) == (
        limits['total_limit'], limits['hourly_limit'])


# --- credentials and the held user ---

def write(path, text):
    with open(str(path), 'w') as handle:
        handle.write(text)
    return str(path)


SASL_PASSWD = ('# managed by Ansible\n\n[relay.example.org]:587 smtpD:pd\norders@shop.example smtpA:pa\n'
               '@news.example smtpB:pb\n')
CREDENTIALS = {'[relay.example.org]:587': ('smtpD', 'pd'), ORDERS: ('smtpA', 'pa'), NEWS: ('smtpB', 'pb')}


def test_read_credentials_gives_the_user_and_password_of_each_lookup_key(tmp_path):
    path = write(tmp_path / 'sasl_passwd', SASL_PASSWD + 'not-a-credential\n[relay]:25 nocolon\n#x y:z\n'
                                                         'smtp.example.net  smtpE:pass:word \n')
    assert read_credentials(path) == dict(CREDENTIALS, **{'smtp.example.net': ('smtpE', 'pass:word')})


@pytest.mark.parametrize('path', [None, '', 'missing'])
def test_read_credentials_of_no_file_is_empty(path, tmp_path):
    assert read_credentials(str(tmp_path / path) if path == 'missing' else path) == {}


@pytest.mark.parametrize('users, slot, credentials, held', [
    ({'default': 'smtp1'}, 'default', CREDENTIALS, 'smtp1'),  # the record wins
    ({}, 'default', CREDENTIALS, 'smtpD'),  # a 0.1.0 host: the user of the relay line, not of a sender line
    ({ORDERS: 'smtp4'}, 'default', CREDENTIALS, 'smtpD'),
    ({}, 'default', {ORDERS: ('smtpA', 'pa'), NEWS: ('smtpB', 'pb')}, None),  # sender lines only
    ({}, 'default', {}, None),
    ({}, ORDERS, CREDENTIALS, None),  # only the default slot falls back
    ({ORDERS: 'smtp4'}, ORDERS, CREDENTIALS, 'smtp4'),
])
def test_held_user_is_the_recorded_one_else_the_relay_lines_user_for_the_default_slot(users, slot, credentials, held):
    assert held_user(loaded(users=users), slot, credentials) == held


def test_slot_identity_reports_the_user_its_password_the_marker_and_why_it_is_busy():
    record = loaded(users={ORDERS: 'smtpA', NEWS: 'smtpX'}, pending={'a@b.example': marker()})
    assert slot_identity(record, 'default', CREDENTIALS, {}) == {
        'name': 'smtpD', 'recorded': False, 'has_password': True, 'password': 'pd', 'pending': None, 'busy': None}
    assert slot_identity(record, ORDERS, CREDENTIALS, {}) == {
        'name': 'smtpA', 'recorded': True, 'has_password': True, 'password': 'pa', 'pending': None, 'busy': None}
    assert slot_identity(record, NEWS, CREDENTIALS, {}) == {
        'name': 'smtpX', 'recorded': True, 'has_password': False, 'password': None, 'pending': None, 'busy': None}
    assert slot_identity(record, 'a@b.example', CREDENTIALS, {'a@b.example': 'why'}) == {
        'name': None, 'recorded': False, 'has_password': False, 'password': None, 'pending': marker(), 'busy': 'why'}
