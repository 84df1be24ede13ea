# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The JSON file the registry and the host's record share: modes, the lock, parallel writers in separate processes,
and the same clear error on a corrupt or wrong-shape file from both of them."""

import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord
from ansible_collections.sendclean.mta.plugins.module_utils._json_store import JsonStore, StoreError
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry

WRITERS = 8
INCREMENTS = 25


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def count_in_child(path, writer):
    """Read, change and write the file INCREMENTS times under the lock, as a fork of ansible-playbook would."""
    store = JsonStore(path, 'counter')
    for dummy in range(INCREMENTS):
        with store.locked():
            content = store.load() or {'total': 0, 'writers': {}}
            content['total'] += 1
            content['writers'][str(writer)] = content['writers'].get(str(writer), 0) + 1
            store.write(content)


def test_a_missing_file_loads_as_none_and_is_written_private_in_a_private_directory(tmp_path):
    path = str(tmp_path / 'deep' / 'er' / 'file.json')
    store = JsonStore(path, 'counter')
    assert store.load() is None
    with store.locked():
        store.write({'total': 1})
    assert (mode_of(path), mode_of(os.path.dirname(path))) == (0o600, 0o700)
    assert JsonStore(path, 'counter').load() == {'total': 1}
    # The lock is a file beside it, so that it outlives the rename; nothing else is left behind.
    assert sorted(os.listdir(os.path.dirname(path))) == ['file.json', 'file.json.lock']


def test_writing_without_the_lock_is_refused_and_writes_nothing(tmp_path):
    path = str(tmp_path / 'file.json')
    with pytest.raises(StoreError, match='counter .*file.json: writing needs the lock'):
        JsonStore(path, 'counter').write({'total': 1})
    assert not os.path.exists(path)


def test_a_write_that_fails_names_the_file_and_leaves_no_temporary_file(tmp_path):
    path = str(tmp_path / 'file.json')
    store = JsonStore(path, 'counter')
    with store.locked():
        store.write({'total': 1})
        os.mkdir(str(tmp_path / 'blocker'))
        store.path = str(tmp_path / 'blocker')  # a directory cannot be replaced by a file
        with pytest.raises(StoreError, match='cannot write counter .*blocker'):
            store.write({'total': 2})
    assert [entry for entry in os.listdir(str(tmp_path)) if entry.startswith('.file.json-')] == []
    assert JsonStore(path, 'counter').load() == {'total': 1}


def test_an_unreadable_path_is_an_error_naming_it(tmp_path):
    os.mkdir(str(tmp_path / 'file.json'))
    with pytest.raises(StoreError, match='cannot read counter .*file.json'):
        JsonStore(str(tmp_path / 'file.json'), 'counter').load()


def test_parallel_writers_in_separate_processes_never_lose_a_write(tmp_path):
    path = str(tmp_path / 'file.json')
    context = multiprocessing.get_context('fork')
    writers = [context.Process(target=count_in_child, args=(path, index)) for index in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    content = JsonStore(path, 'counter').load()
    assert content['total'] == WRITERS * INCREMENTS
    assert content['writers'] == dict((str(index), INCREMENTS) for index in range(WRITERS))
    assert mode_of(path) == 0o600
    assert [entry for entry in os.listdir(str(tmp_path)) if entry.startswith('.file.json-')] == []


# --- a corrupt or wrong-shape file: the same clear error from the registry and from the record, never a reset ---

def registry_read(path, damage):
    damage()
    Registry(path)


def registry_written(path, damage):
    """A run that found no file yet, and another run's file that is damaged by the time it writes."""
    registry = Registry(path)
    damage()
    with registry.locked():
        registry.record('web1', 'smtp1')


def record_read(path, damage):
    damage()
    HostRecord(path).read()


def record_written(path, damage):
    """What sendclean_relay_record does: read under the lock, then write."""
    record = HostRecord(path)
    damage()
    with record.locked():
        record.read()
        record.write()


@pytest.mark.parametrize('opener, kind, shape', [
    (registry_read, 'registry', 'version": 1'),
    (record_read, 'SMTP user record', 'version": 2'),
    (registry_written, 'registry', 'version": 1'),
    (record_written, 'SMTP user record', 'version": 2'),
], ids=['registry read', 'record read', 'registry written', 'record written'])
@pytest.mark.parametrize('content, wrong_shape', [
    ('{not json', False),
    ('', False),
    ('{"users": {"web1": "smtp1"}', False),  # cut off mid-write by something else than this collection
    ('[1, 2]', True),
    ('"users"', True),
    ('{"users": ["smtp1"]}', True),
    ('{"users": {"web1": 5}}', True),
    ('{"users": {}, "pending": []}', True),
    ('{"users": {}, "pending": {"web1": "soon"}}', True),
], ids=['not json', 'empty', 'cut off', 'list', 'string', 'users list', 'user number', 'pending list',
        'pending string'])
def test_a_damaged_file_is_an_error_naming_the_path_and_the_fix_and_is_left_as_it_is(
        tmp_path, opener, kind, shape, content, wrong_shape):
    path = tmp_path / 'store.json'
    with pytest.raises(StoreError) as caught:
        opener(str(path), lambda: path.write_text(content))
    message = str(caught.value)
    assert message.startswith('%s %s is not ' % (kind, path)), message
    assert 'restore it from a backup, or remove it to start again' in message
    if wrong_shape:
        assert 'is not a sendclean.mta %s (expected {"%s' % (kind, shape) in message
    else:
        assert 'is not valid JSON' in message
    assert path.read_text() == content


def test_a_record_written_by_this_collection_reads_back_and_the_registry_its_own(tmp_path):
    record = HostRecord(str(tmp_path / 'record.json'))
    with record.locked():
        record.read()
        record.users['default'] = {'name': 'smtp1', 'password': 'pw', 'issued': 1}
        record.write()
    assert json.loads((tmp_path / 'record.json').read_text()) == {
        'version': 2, 'users': {'default': {'name': 'smtp1', 'password': 'pw', 'issued': 1}}, 'pending': {}}
    # The two files share the store, not the shape: neither takes the other for its own.
    with pytest.raises(StoreError, match='is not a sendclean.mta registry'):
        Registry(str(tmp_path / 'record.json'))
