# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's record of its SMTP users, without a module: version 1 and 2 files, mark, settle, the import from an
earlier version's sasl_passwd, and what the host reports of it (never a password).

The module that runs these on the host is tested in tests/unit/plugins/modules/test_sendclean_relay_record.py.
"""

import json
import os

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import (
    MARKER_LIMITS, HostRecord, credentials_of, identity_facts, import_legacy, legacy_users, mark_creates, read_sasl_passwd,
    settle,
)

NOW = 1800000000
ORDERS, NEWS = 'orders@shop.example', '@news.example'


def loaded(users=None, pending=None):
    """A record as read: ``users`` maps a slot to a name, or to the whole v2 entry."""
    record = HostRecord('/unused/record.json')
    record.users = dict((slot, entry if isinstance(entry, dict) else user(entry))
                        for slot, entry in (users or {}).items())
    record.pending = dict(pending or {})
    return record


def user(name, password=None, issued=None, marker=None, rotation=None):
    """A slot's entry; ``marker``: the limits of the create that made its user; ``rotation``: a rotation's mark."""
    return {'name': name, 'password': password, 'issued': issued, 'marker': marker, 'rotation': rotation}


def facts_of(name, has_password, issued=None, pending=None, marker=None, rotation_unsettled=False):
    """A slot as identity_facts reports it."""
    return {'name': name, 'has_password': has_password, 'issued': issued, 'rotation_unsettled': rotation_unsettled,
            'pending': pending, 'marker': marker}


def marker(total_limit=123456789, hourly_limit=400, since=NOW - 10):
    return {'total_limit': total_limit, 'hourly_limit': hourly_limit, 'since': since}


def write(path, text):
    with open(str(path), 'w') as handle:
        handle.write(text)
    return str(path)


# --- reading: version 2, version 1, nothing ---

def test_a_missing_record_is_empty(tmp_path):
    record = HostRecord(str(tmp_path / 'none.json')).read()
    assert (record.users, record.pending) == ({}, {})
    assert not os.path.exists(str(tmp_path / 'none.json'))


def test_a_version_2_record_reads_back_as_written(tmp_path):
    path = str(tmp_path / 'record.json')
    record = HostRecord(path)
    with record.locked():
        record.read()
        record.users = {'default': user('smtp1', 'pw1', NOW), ORDERS: user('smtp2')}
        record.pending = {NEWS: marker()}
        record.write()
    again = HostRecord(path).read()
    assert again.users == {'default': user('smtp1', 'pw1', NOW), ORDERS: user('smtp2')}
    assert again.pending == {NEWS: marker()}
    assert json.load(open(path))['version'] == 2


def test_a_version_1_record_reads_as_names_without_passwords_and_is_written_as_version_2(tmp_path):
    v1_marker = {'total_limit': 123456789, 'hourly_limit': 400, 'run': 'r1', 'since': NOW, 'unsettled': True}
    path = write(tmp_path / 'record.json', json.dumps(
        {'version': 1, 'users': {'default': 'smtp1', ORDERS: 'smtp2'}, 'pending': {NEWS: v1_marker}}))
    record = HostRecord(path).read()
    assert record.users == {'default': user('smtp1'), ORDERS: user('smtp2')}
    assert record.pending == {NEWS: marker(since=NOW)}  # the lease fields of version 1 mean nothing now
    assert credentials_of(record) == {}
    with record.locked():
        record.read().write()
    assert json.load(open(path)) == {'version': 2, 'users': {'default': user('smtp1'), ORDERS: user('smtp2')},
                                     'pending': {NEWS: marker(since=NOW)}}


def test_a_version_1_record_without_pending_reads(tmp_path):
    path = write(tmp_path / 'record.json', '{"version": 1, "users": {"default": "smtp1"}}')
    assert HostRecord(path).read().users == {'default': user('smtp1')}


# --- mark: before a create is sent ---

def test_mark_gives_each_slot_without_a_user_its_own_one_off_limits():
    record = loaded()
    markers = mark_creates(record, {'default': 250, ORDERS: '80'}, NOW + 0.7)
    assert markers == record.pending
    assert sorted(markers) == ['default', ORDERS]
    for slot, hourly_limit in (('default', 250), (ORDERS, 80)):
        assert MARKER_LIMITS[0] <= markers[slot]['total_limit'] <= MARKER_LIMITS[1]
        assert (markers[slot]['hourly_limit'], markers[slot]['since']) == (hourly_limit, NOW)
    assert markers['default']['total_limit'] != markers[ORDERS]['total_limit']
    assert record.users == {}


@pytest.mark.parametrize('since', [NOW, NOW - 10, NOW - 86400], ids=['just now', 'seconds ago', 'a day ago'])
def test_mark_keeps_a_marker_already_there_however_fresh_and_whoever_wrote_it(since):
    """No lease: a marker of a run still going, or killed a moment ago, is taken over, never waited for."""
    record = loaded(pending={'default': marker(since=since)})
    assert mark_creates(record, {'default': 999}, NOW) == {'default': marker(since=since)}
    assert record.pending == {'default': marker(since=since)}


def test_mark_leaves_the_slots_it_is_not_given_alone():
    record = loaded(users={NEWS: 'smtp3'}, pending={'gone@x.example': marker()})
    assert list(mark_creates(record, {ORDERS: 100}, NOW)) == [ORDERS]
    assert sorted(record.pending) == sorted([ORDERS, 'gone@x.example'])
    assert record.pending['gone@x.example'] == marker()
    assert record.users == {NEWS: user('smtp3')}


def test_mark_marks_a_slot_that_names_a_user_too():
    """recreate_missing: the record still names the user gone from the account; or another run recorded the slot
    since this run read it, which settle finds out."""
    record = loaded(users={'default': user('smtp-gone', 'pw', NOW - 5)})
    markers = mark_creates(record, {'default': 500}, NOW)
    assert list(markers) == ['default'] and record.pending == markers
    assert record.users == {'default': user('smtp-gone', 'pw', NOW - 5)}


# --- settle: after the create, the first writer wins ---

def test_settle_records_the_user_and_its_password_and_the_marker_its_user_was_made_with():
    record = loaded(pending={'default': marker()})
    conflicts = settle(record, {'default': {'name': 'smtp1', 'password': 'pw1'}}, {'default': None}, [], [], NOW + 0.5)
    assert conflicts == {}
    assert record.users == {'default': user('smtp1', 'pw1', NOW, marker())} and record.pending == {}


def test_settle_keeps_the_password_of_a_user_the_host_holds_when_no_new_one_is_given():
    record = loaded(users={'default': user('smtp1', 'pw1', NOW - 100)})
    assert settle(record, {'default': {'name': 'smtp1', 'password': None}}, {'default': 'smtp1'}, [], [], NOW) == {}
    assert record.users == {'default': user('smtp1', 'pw1', NOW - 100)}


def test_settle_of_a_rotated_password_replaces_it_and_its_issue_time():
    record = loaded(users={'default': user('smtp1', 'pw1', NOW - 100)})
    settle(record, {'default': {'name': 'smtp1', 'password': 'pw2'}}, {'default': 'smtp1'}, [], [], NOW)
    assert record.users == {'default': user('smtp1', 'pw2', NOW)}


def test_settle_of_a_replacement_user_never_keeps_the_old_users_password():
    """recreate_missing: the run started with smtp1 (gone) and records smtp9."""
    record = loaded(users={'default': user('smtp1', 'pw1', NOW - 100)})
    assert settle(record, {'default': {'name': 'smtp9', 'password': None}}, {'default': 'smtp1'}, [], [], NOW) == {}
    assert record.users == {'default': user('smtp9')}


@pytest.mark.parametrize('expected', [None, 'smtp0'], ids=['started with none', 'started with another'])
def test_settle_leaves_a_slot_another_run_recorded_first_and_names_its_user(expected):
    first = user('smtp1', 'pw1', NOW - 5)
    record = loaded(users={'default': first}, pending={ORDERS: marker()})
    conflicts = settle(record, {'default': {'name': 'smtp2', 'password': 'pw2'},
                                ORDERS: {'name': 'smtp3', 'password': 'pw3'}},
                       {'default': expected, ORDERS: None}, [], [], NOW)
    assert conflicts == {'default': 'smtp1'}
    assert record.users == {'default': first, ORDERS: user('smtp3', 'pw3', NOW, marker())}  # the other slot's is
    assert 'pw2' not in json.dumps([record.users, record.pending])


def test_settle_leaves_the_same_user_another_run_recorded_since_with_that_runs_password():
    """That run adopted this run's new user by its marker and reset its password: this run's no longer works."""
    record = loaded(users={'default': user('smtp1', 'pw-of-the-other-run', NOW - 5)})
    conflicts = settle(record, {'default': {'name': 'smtp1', 'password': 'pw-of-this-run'}}, {'default': None}, [], [],
                       NOW)
    assert conflicts == {'default': 'smtp1'}
    assert record.users == {'default': user('smtp1', 'pw-of-the-other-run', NOW - 5)}


def test_settle_of_the_password_of_a_user_this_run_recorded_before_is_no_conflict():
    """A user adopted by its marker is recorded first, its password once it is reset."""
    record = loaded(users={'default': user('smtp1', marker=marker())})
    assert settle(record, {'default': {'name': 'smtp1', 'password': 'pw1'}}, {'default': 'smtp1'}, [], [], NOW) == {}
    assert record.users == {'default': user('smtp1', 'pw1', NOW, marker())}


def test_settle_forgets_slots_and_drops_passwords():
    record = loaded(users={'default': user('smtp1', 'pw1', NOW), ORDERS: user('smtp2', 'pw2', NOW),
                           NEWS: user('smtp3', 'pw3', NOW)},
                    pending={'gone@x.example': marker()})
    assert settle(record, {}, {}, [ORDERS, 'gone@x.example', 'never@held.example'], ['default', 'absent'], NOW) == {}
    assert record.users == {'default': user('smtp1'), NEWS: user('smtp3', 'pw3', NOW)}
    assert record.pending == {}


# --- an earlier version's sasl_passwd ---

SASL_PASSWD = ('# managed by Ansible\n\n[relay.example.org]:587 smtpD:secret-d\norders@shop.example smtpA:secret-a\n'
               '@news.example smtpB:secret-b\n')
CREDENTIALS = {'[relay.example.org]:587': ('smtpD', 'secret-d'), ORDERS: ('smtpA', 'secret-a'),
               NEWS: ('smtpB', 'secret-b')}


def test_read_sasl_passwd_gives_the_user_and_password_of_each_lookup_key(tmp_path):
    path = write(tmp_path / 'sasl_passwd', SASL_PASSWD + 'not-a-credential\n[relay]:25 nocolon\n#x y:z\n'
                                                         'smtp.example.net  smtpE:pass:word \n')
    assert read_sasl_passwd(path) == dict(CREDENTIALS, **{'smtp.example.net': ('smtpE', 'pass:word')})


def test_read_sasl_passwd_of_no_file_is_empty(tmp_path):
    assert read_sasl_passwd(str(tmp_path / 'missing')) == {}


@pytest.mark.parametrize('users, credentials, found', [
    # version 1: each recorded user's password, by its name
    ({'default': 'smtpD', ORDERS: 'smtpA'}, CREDENTIALS,
     {'default': ('smtpD', 'secret-d'), ORDERS: ('smtpA', 'secret-a')}),
    # 0.1.0, no record: the user of the relay line (the key that is not a sender) as the default slot's
    ({}, CREDENTIALS, {'default': ('smtpD', 'secret-d')}),
    ({ORDERS: 'smtp4'}, CREDENTIALS, {'default': ('smtpD', 'secret-d')}),
    ({}, {ORDERS: ('smtpA', 'secret-a'), NEWS: ('smtpB', 'secret-b')}, {}),
    ({}, {}, {}),
    # version 2 already holds its passwords: nothing to import
    ({'default': user('smtpD', 'newer', NOW)}, CREDENTIALS, {}),
], ids=['v1', '0.1.0', '0.1.0 with a recorded sender', 'sender lines only', 'no file', 'v2'])
def test_legacy_users_are_what_only_sasl_passwd_holds(users, credentials, found):
    assert legacy_users(loaded(users=users), credentials) == found


def test_import_legacy_takes_the_passwords_into_the_record_once():
    record = loaded(users={'default': user('smtpD', issued=NOW - 100), ORDERS: 'smtpA', NEWS: 'smtp9'})
    assert import_legacy(record, CREDENTIALS) is True
    assert record.users == {'default': user('smtpD', 'secret-d', NOW - 100), ORDERS: user('smtpA', 'secret-a'),
                            NEWS: user('smtp9')}
    assert import_legacy(record, CREDENTIALS) is False


# --- what the host reports: never a password ---

def test_identity_facts_say_what_the_host_holds_without_a_password(tmp_path):
    path = str(tmp_path / 'record.json')
    record = HostRecord(path)
    with record.locked():
        record.users = {ORDERS: user('smtpA', 'secret-a', NOW, marker(NOW)), 'x@y.example': user('smtpX')}
        record.pending = {NEWS: marker()}
        record.write()
    sasl_passwd = write(tmp_path / 'sasl_passwd', '[relay.example.org]:587 smtpD:secret-d\n')
    facts = identity_facts(path, sasl_passwd)
    assert facts == {'path': path, 'sasl_passwd': sasl_passwd, 'legacy': ['default'], 'users': {
        'default': facts_of('smtpD', True),
        ORDERS: facts_of('smtpA', True, issued=NOW, marker=marker(NOW)),
        'x@y.example': facts_of('smtpX', False),
        NEWS: facts_of(None, False, pending=marker()),
    }}
    assert 'secret' not in json.dumps(facts)


def test_identity_facts_of_a_version_1_host_name_the_slots_whose_passwords_are_in_sasl_passwd(tmp_path):
    path = write(tmp_path / 'record.json', json.dumps({'version': 1, 'users': {'default': 'smtpD', NEWS: 'smtpN'}}))
    sasl_passwd = write(tmp_path / 'sasl_passwd', SASL_PASSWD)
    facts = identity_facts(path, sasl_passwd)
    assert facts['legacy'] == ['default']
    assert facts['users'] == {
        'default': facts_of('smtpD', True), NEWS: facts_of('smtpN', False)}
    assert 'secret' not in json.dumps(facts)


def test_identity_facts_without_a_sasl_passwd_path_read_the_record_alone(tmp_path):
    assert identity_facts(str(tmp_path / 'record.json'), None) == {
        'path': str(tmp_path / 'record.json'), 'sasl_passwd': None, 'users': {}, 'legacy': []}


def test_credentials_of_are_the_slots_with_a_user_and_a_password():
    record = loaded(users={'default': user('smtp1', 'pw1', NOW), ORDERS: user('smtp2')}, pending={NEWS: marker()})
    assert credentials_of(record) == {'default': ('smtp1', 'pw1')}
