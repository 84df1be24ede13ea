# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The listing the hosts of a play batch share, against the simulator: each host in its own process (as Ansible's
forks are) with its own client; one listSmtp in all, every host's writes and claims kept, one report."""

import json
import multiprocessing
import os

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient
from ansible_collections.sendclean.mta.plugins.plugin_utils._account_snapshot import AccountSnapshot, snapshot_key

HOSTS = 6


def client_of(simulator):
    return SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url, retries=0)


def in_processes(target, count, *args):
    """Run target(index, *args) in ``count`` forked processes at once; returns what each put on the queue, by index."""
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    start = context.Event()

    def child(index):
        start.wait(30)
        queue.put((index, target(index, *args)))

    processes = [context.Process(target=child, args=(index,)) for index in range(count)]
    for process in processes:
        process.start()
    start.set()
    results = dict(queue.get(timeout=60) for dummy in processes)
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return results


def list_in_host(index, simulator, directory, key):
    snapshot = AccountSnapshot(directory, key)
    users, claimed = snapshot.users(client_of(simulator).list_users)
    return sorted(users), sorted(claimed), snapshot.listed


def test_the_hosts_of_a_batch_list_the_account_once_in_all(simulator, tmp_path):
    names = simulator.add_users(3, 10000, 500)
    results = in_processes(list_in_host, HOSTS, simulator, str(tmp_path), snapshot_key(['account-1'], ['play', 'batch']))
    assert simulator.requests()['counts']['listSmtp'] == 1
    assert sorted(results) == list(range(HOSTS))
    assert all((users, claimed) == (sorted(names), []) for users, claimed, dummy in results.values())
    assert sorted(listed for dummy, dummy2, listed in results.values()) == [False] * (HOSTS - 1) + [True]


def test_the_listing_is_kept_without_passwords_and_private(simulator, tmp_path):
    simulator.add_users(2, 10000, 500)
    snapshot = AccountSnapshot(str(tmp_path / 'local'), snapshot_key(['account-1'], ['play', 'batch']))
    users, dummy = snapshot.users(client_of(simulator).list_users)
    [path] = [os.path.join(str(tmp_path / 'local'), name) for name in os.listdir(str(tmp_path / 'local'))
              if name.endswith('.json')]
    text = open(path).read()
    assert not any(listed['password'] in text for listed in simulator.users())
    assert all(set(user) >= {'name', 'enabled', 'status', 'total_limit', 'hourly_limit'} for user in users.values())
    assert all(user.get('password') is None for user in users.values())
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)


def test_each_account_and_each_batch_lists_for_itself(simulator, tmp_path):
    client = client_of(simulator)
    for key in (snapshot_key(['account-1'], ['play', 'batch 1']), snapshot_key(['account-2'], ['play', 'batch 1']),
                snapshot_key(['account-1'], ['play', 'batch 2'])):
        AccountSnapshot(str(tmp_path), key).users(client.list_users)
        AccountSnapshot(str(tmp_path), key).users(client.list_users)
    assert simulator.requests()['counts']['listSmtp'] == 3


def test_the_key_never_holds_the_token(simulator):
    key = snapshot_key([simulator.owner_id, simulator.token, simulator.api_url], ['play', ['h1', 'h2']])
    assert simulator.token not in key and len(key) == 32
    assert key != snapshot_key([simulator.owner_id, 'another-token', simulator.api_url], ['play', ['h1', 'h2']])


def merge_in_host(index, simulator, directory, key):
    """A host that lists (shared), creates its own user, and merges it with the name it now claims."""
    snapshot = AccountSnapshot(directory, key)
    client = client_of(simulator)
    users, dummy = snapshot.users(client.list_users)
    name, dummy = client.add_user(10000, 500)
    users = dict(users, **{name: {'name': name, 'enabled': True, 'status': 'Enable', 'total_limit': 10000,
                                  'hourly_limit': 500, 'password': 'never-kept'}})
    snapshot.merge('h%d' % index, users, {name})
    return name


def test_merge_keeps_every_hosts_users_and_claims_and_no_password(simulator, tmp_path):
    [old] = simulator.add_users(1, 10000, 500)
    key = snapshot_key(['account-1'], ['play', 'batch'])
    created = in_processes(merge_in_host, HOSTS, simulator, str(tmp_path), key)
    with AccountSnapshot(str(tmp_path), key).first_report() as account:
        assert sorted(account['users']) == sorted(list(created.values()) + [old])
        assert account['claimed'] == sorted(created.values())
        assert account['hosts'] == sorted('h%d' % index for index in range(HOSTS))
        assert 'never-kept' not in json.dumps(account)
    assert simulator.requests()['counts']['listSmtp'] == 1


def test_a_host_that_merges_its_stale_view_never_undoes_what_another_host_wrote(simulator, tmp_path):
    """Both hosts got the listing; the first disabled a user (a raced create's extra), the second changed nothing."""
    [extra] = simulator.add_users(1, 123456789, 500)
    key = snapshot_key(['account-1'], ['play', 'batch'])
    client = client_of(simulator)
    first, second = AccountSnapshot(str(tmp_path), key), AccountSnapshot(str(tmp_path), key)
    first_users, dummy = first.users(client.list_users)
    second_users, dummy = second.users(client.list_users)
    first.merge('h1', dict(first_users, **{extra: dict(first_users[extra], enabled=False, status='Disable')}), set())
    second.merge('h2', second_users, set())
    users, dummy = AccountSnapshot(str(tmp_path), key).users(client.list_users)
    assert (users[extra]['enabled'], users[extra]['status']) == (False, 'Disable')


def report_in_host(index, directory, key):
    with AccountSnapshot(directory, key).first_report() as account:
        return account is not None


def test_the_report_is_given_to_exactly_one_host(simulator, tmp_path):
    key = snapshot_key(['account-1'], ['play', 'batch'])
    AccountSnapshot(str(tmp_path), key).users(client_of(simulator).list_users)
    reported = in_processes(report_in_host, HOSTS, str(tmp_path), key)
    assert sorted(reported.values()) == [False] * (HOSTS - 1) + [True]


def test_no_report_when_no_host_listed(tmp_path):
    with AccountSnapshot(str(tmp_path), snapshot_key(['account-1'], ['play', 'batch'])).first_report() as account:
        assert account is None


def test_what_the_reporting_host_changes_in_the_users_is_kept(simulator, tmp_path):
    [name] = simulator.add_users(1, 10000, 500)
    key = snapshot_key(['account-1'], ['play', 'batch'])
    AccountSnapshot(str(tmp_path), key).users(client_of(simulator).list_users)
    with AccountSnapshot(str(tmp_path), key).first_report() as account:
        account['users'][name].update(enabled=False, status='Disable')
    users, dummy = AccountSnapshot(str(tmp_path), key).users(pytest.fail)
    assert users[name]['enabled'] is False
