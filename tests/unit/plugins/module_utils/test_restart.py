# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The service restarts in the middle of a provisioning run (its state file keeps the users).

Nothing created before the restart may be lost or created again, and a create cut off by the restart
is settled by listing again, not by a blind second create.
"""

import os
import sys
import threading
import time

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

KEYS = ['host%02d' % number for number in range(10)]


def spec(key):
    return {'name': None, 'key': key, 'state': 'present', 'enabled': True, 'total_limit': 300, 'hourly_limit': 30,
            'reset_password': False, 'return_password': False, 'recreate_missing': False}


@pytest.fixture
def sim(tmp_path):
    with Simulator().start(str(tmp_path / 'sim')) as simulator:
        yield simulator


def provision(sim, registry_path, key, retries=3):
    """One module run for one key: lock, list, apply (what sendclean_smtp_user does)."""
    # Real sleeps, so the retries of listSmtp outlast a restart.
    client = SendCleanClient(sim.owner_id, sim.token, sim.api_url, timeout=10, retries=retries)
    provisioner = Provisioner(client, Registry(registry_path))
    with provisioner.registry.locked():
        provisioner.refresh()
        return provisioner.apply(spec(key))


def assert_one_user_per_key(sim, registry_path, keys, passwords):
    users = dict((user['smtp_user_name'], user) for user in sim.users())
    records = Registry(registry_path).records
    assert sorted(records) == sorted(keys)
    assert sorted(records.values()) == sorted(users), 'a user was lost, or one exists that no key accounts for'
    for key, password in passwords.items():
        assert users[records[key]]['password'] == password


def test_users_created_before_a_restart_are_neither_lost_nor_created_again(sim, tmp_path):
    registry_path = str(tmp_path / 'registry.json')
    passwords = {}
    for key in KEYS[:5]:
        passwords[key] = provision(sim, registry_path, key)['smtp_password']
    sim.restart()
    for key in KEYS:
        result = provision(sim, registry_path, key)
        assert result['changed'] == (key not in passwords)
        passwords.setdefault(key, result['smtp_password'])
    assert_one_user_per_key(sim, registry_path, KEYS, passwords)
    counts = sim.requests()['counts']  # counters restart with the process
    assert counts['addSmtp'] == 5 and counts['listSmtp'] == 10


def test_a_create_cut_off_by_a_restart_is_settled_without_a_duplicate(sim, tmp_path):
    registry_path = str(tmp_path / 'registry.json')
    passwords = {KEYS[0]: provision(sim, registry_path, KEYS[0])['smtp_password']}
    sim.reset(users=False, config=False)  # zero the counters, to spot the create below
    sim.configure(latency=2.0)  # the next requests wait inside the simulator: restart while one does
    outcome = {}

    def create():
        outcome['result'] = provision(sim, registry_path, KEYS[1], retries=6)

    worker = threading.Thread(target=create)
    worker.start()
    deadline = time.monotonic() + 10
    while sim.requests()['counts']['addSmtp'] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.requests()['counts']['addSmtp'] == 1, 'the create never reached the simulator'
    sim.restart()  # the waiting addSmtp dies unanswered and unapplied; the restart also drops the latency
    worker.join(60)
    assert not worker.is_alive()
    result = outcome['result']
    assert result['operations'] == ['add', 'add'] and not result['adopted'], result['operations']
    passwords[KEYS[1]] = result['smtp_password']
    assert_one_user_per_key(sim, registry_path, KEYS[:2], passwords)


def test_a_create_applied_just_before_a_restart_is_adopted(sim, tmp_path):
    registry_path = str(tmp_path / 'registry.json')
    sim.configure(drop_rate=1.0, drop_calls=['addSmtp'])
    client = SendCleanClient(sim.owner_id, sim.token, sim.api_url, timeout=10, retries=6)
    provisioner = Provisioner(client, Registry(registry_path))
    real_refresh = provisioner.refresh
    restarts = []

    def refresh_after_a_restart():
        if provisioner.users is not None and not restarts and sim.requests()['counts']['addSmtp']:
            restarts.append(sim.restart())  # between the lost reply and the list that settles it
        real_refresh()

    provisioner.refresh = refresh_after_a_restart
    with provisioner.registry.locked():
        provisioner.refresh()
        result = provisioner.apply(spec(KEYS[0]))
    assert restarts and result['adopted'] and result['operations'] == ['add']
    assert_one_user_per_key(sim, registry_path, KEYS[:1], {KEYS[0]: result['smtp_password']})
