# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A create whose reply is lost, and then the list that should settle it fails too.

The service holds a new user that no registry record accounts for. The run must say that the create's outcome is
unknown, and the next run must not create a second user for the same key.
"""

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils._provision import ProvisionError, Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry


def spec(key):
    return {'name': None, 'key': key, 'state': 'present', 'enabled': True, 'total_limit': 500, 'hourly_limit': 50,
            'reset_password': False, 'return_password': False, 'recreate_missing': False}


def run(simulator, registry_path, before_apply=None):
    client = SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url, retries=1, sleep=lambda seconds: None)
    provisioner = Provisioner(client, Registry(registry_path))
    with provisioner.registry.locked():
        provisioner.refresh()
        if before_apply:
            before_apply()
        return provisioner.apply(spec('web1'))


def lose_the_create_and_the_settling_list(simulator, registry_path):
    def faults():
        simulator.configure(drop_rate=1.0, drop_calls=['addSmtp'], fault_rate=1.0, fault_kinds=['html503'],
                            fault_calls=['listSmtp'], retry_after=0)

    with pytest.raises(ProvisionError) as caught:
        run(simulator, registry_path, faults)
    simulator.reset(users=False, counters=False, config=True)
    return caught.value


def test_the_lost_create_is_applied_and_the_run_fails(simulator, tmp_path):
    failure = lose_the_create_and_the_settling_list(simulator, str(tmp_path / 'registry.json'))
    assert len(simulator.users()) == 1  # applied although no reply arrived
    assert 'listSmtp' in str(failure)
    assert Registry(str(tmp_path / 'registry.json')).name_of('web1') is None


def test_the_failure_says_the_create_outcome_is_unknown(simulator, tmp_path):
    failure = lose_the_create_and_the_settling_list(simulator, str(tmp_path / 'registry.json'))
    assert 'outcome unknown' in str(failure) and 'addSmtp' in str(failure)
    assert failure.result['api_error']['outcome_unknown']


def test_the_next_run_does_not_create_a_duplicate(simulator, tmp_path):
    registry_path = str(tmp_path / 'registry.json')
    lose_the_create_and_the_settling_list(simulator, registry_path)
    run(simulator, registry_path)
    assert len(simulator.users()) == 1, 'the key now has two users: the lost one is an orphan'
