# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The registry file: modes, atomic replacement, parallel writers, and clear errors."""

import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry, RegistryError

WRITERS = 20


def record_in_child(path, key, name):
    registry = Registry(path)
    with registry.locked():
        registry.record(key, name)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_missing_file_is_empty_and_created_private(tmp_path):
    path = str(tmp_path / 'deep' / 'registry.json')
    registry = Registry(path)
    assert registry.records == {}
    with registry.locked():
        assert registry.record('web1', 'smtp10000001')
        assert not registry.record('web1', 'smtp10000001')
    assert mode_of(path) == 0o600
    assert mode_of(os.path.dirname(path)) == 0o700
    assert json.load(open(path)) == {'version': 1, 'users': {'web1': 'smtp10000001'}}
    assert Registry(path).name_of('web1') == 'smtp10000001'
    assert Registry(path).keys_by_name() == {'smtp10000001': 'web1'}


def test_record_needs_the_lock(tmp_path):
    with pytest.raises(RegistryError, match='writing needs the lock'):
        Registry(str(tmp_path / 'registry.json')).record('web1', 'smtp10000001')


def test_parallel_writers_lose_no_record(tmp_path):
    path = str(tmp_path / 'registry.json')
    context = multiprocessing.get_context('fork')
    writers = [context.Process(target=record_in_child, args=(path, 'host%02d' % index, 'smtp%08d' % index))
               for index in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
        assert writer.exitcode == 0
    records = Registry(path).records
    assert records == dict(('host%02d' % index, 'smtp%08d' % index) for index in range(WRITERS))
    assert mode_of(path) == 0o600
    assert [entry for entry in os.listdir(str(tmp_path)) if entry.startswith('.registry-')] == []


@pytest.mark.parametrize('content, message', [
    ('{not json', 'is not valid JSON'),
    ('[1, 2]', 'is not a sendclean.mta registry'),
    ('{"users": {"web1": 5}}', 'is not a sendclean.mta registry'),
])
def test_damaged_file_is_reported_not_overwritten(tmp_path, content, message):
    path = tmp_path / 'registry.json'
    path.write_text(content)
    with pytest.raises(RegistryError, match=message):
        Registry(str(path))
    assert path.read_text() == content
