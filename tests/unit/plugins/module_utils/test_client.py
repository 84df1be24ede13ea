# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The API client against the running simulator: real HTTP, every quirk, error type and fault kind."""

import os
import re
import socket
import time

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._client import (
    USER_AGENT, SendCleanClient, SendCleanError, base_url, parse_limit, parse_status, parse_user,
)

FAULT_KINDS = ('html502', 'html503', 'html504', 'json500', '429')


class Sleeps(object):
    """Records backoff delays instead of sleeping, so retry tests are fast and can check the delays."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


def client_for(sim, token=None, retries=3, timeout=5, sleep=None, warn=None):
    return SendCleanClient(sim.owner_id, token or sim.token, sim.api_url, timeout=timeout, retries=retries,
                           sleep=sleep or Sleeps(), warn=warn)


def api_error(call):
    with pytest.raises(SendCleanError) as caught:
        call()
    return caught.value


# --- pure parsing ---

@pytest.mark.parametrize('value, expected', [(200, 200), ('200', 200), (' 7 ', 7), ('ten', None), (True, None), (None, None)])
def test_parse_limit(value, expected):
    assert parse_limit(value) == expected


@pytest.mark.parametrize('password_key', ['password', 'smtp_password'])
def test_parse_user_reads_either_password_key(password_key):
    record = {'smtp_user_name': 'smtp12345678', password_key: 'Pw34567890', 'status': 'Disable',
              'total_limit': '100', 'hourly_limit': 10}
    assert parse_user(record) == {'name': 'smtp12345678', 'enabled': False, 'status': 'Disable', 'total_limit': 100,
                                  'hourly_limit': 10, 'password': 'Pw34567890'}


@pytest.mark.parametrize('value, expected', [
    ('Enable', 'Enable'), ('ENABLE', 'Enable'), (' enable ', 'Enable'), (1, 'Enable'), ('1', 'Enable'),
    ('Disable', 'Disable'), ('disable', 'Disable'), (0, 'Disable'), ('0', 'Disable'),
    ('Suspended', None), (2, None), ('', None), (None, None), (True, None), (1.0, None),
])
def test_parse_status_reads_every_documented_form(value, expected):
    assert parse_status(value) == expected


def test_parse_user_keeps_an_unknown_status_as_listed_and_decides_nothing():
    user = parse_user({'smtp_user_name': 'smtp12345678', 'status': 'Suspended'})
    assert (user['status'], user['enabled']) == ('Suspended', None)


def test_parse_user_without_password():
    assert parse_user({'smtp_user_name': 'smtp12345678', 'status': 'Enable'})['password'] is None


@pytest.mark.parametrize('app_domain, api_url, expected', [
    ('us1-mta1.sendclean.net', None, 'https://api.us1-mta1.sendclean.net/v1.0/'),
    ('us1-mta1.sendclean.net', 'http://127.0.0.1:8025/v1.0', 'http://127.0.0.1:8025/v1.0/'),
    (None, 'http://127.0.0.1:8025/v1.0/', 'http://127.0.0.1:8025/v1.0/'),
    # The AWX credential type (extensions/awx/credential_type.yml) injects SENDCLEAN_API_URL empty when it is not set.
    ('us1-mta1.sendclean.net', '', 'https://api.us1-mta1.sendclean.net/v1.0/'),
])
def test_base_url(app_domain, api_url, expected):
    assert base_url(app_domain, api_url) == expected


def test_user_agent_names_the_collection_and_its_version():
    assert USER_AGENT.startswith('sendclean.mta-ansible-collection/0.')


# --- the four calls ---

def test_the_four_calls_round_trip(simulator):
    client = client_for(simulator)
    assert client.list_users() == []
    name, password = client.add_user(200, 20)
    client.edit_user(name, hourly_limit=30, status='Disable')
    renamed, new_password = client.reset_password(name)
    assert renamed == name and new_password != password
    assert client.list_users() == [{'name': name, 'enabled': False, 'status': 'Disable', 'total_limit': 200,
                                    'hourly_limit': 30, 'password': new_password}]
    assert simulator.requests()['counts'] == {'listSmtp': 2, 'addSmtp': 1, 'editSmtp': 1, 'resetSmtpPassword': 1}


def test_edit_sends_only_the_given_fields(simulator):
    client = client_for(simulator)
    name, _password = client.add_user(200, 20)
    client.edit_user(name, total_limit=500)
    assert simulator.users()[0]['total_limit'] == 500
    assert simulator.users()[0]['hourly_limit'] == 20


# --- quirks ---

@pytest.mark.parametrize('password_key', ['password', 'smtp_password', 'absent'])
def test_list_reads_every_password_key(simulator, password_key):
    client = client_for(simulator)
    _name, password = client.add_user(200, 20)
    simulator.configure(password_key=password_key, limits_as_strings=True)
    user = client.list_users()[0]
    assert user['password'] == (None if password_key == 'absent' else password)
    assert (user['total_limit'], user['hourly_limit']) == (200, 20)


@pytest.mark.parametrize('errors_at_200', [False, True])
@pytest.mark.parametrize('error_type_key', ['name', 'type'])
def test_errors_are_errors_at_any_http_status_under_either_key(simulator, errors_at_200, error_type_key):
    simulator.configure(errors_at_200=errors_at_200, error_type_key=error_type_key)
    error = api_error(lambda: client_for(simulator).edit_user('smtp00000000', status='Enable'))
    assert error.error_type == 'ValidationError'
    assert error.http_status == (200 if errors_at_200 else 400)
    assert not error.outcome_unknown


@pytest.mark.parametrize('style', ['integer', 'mixed'])
def test_list_reads_the_status_in_every_style(simulator, style):
    client = client_for(simulator)
    names = [client.add_user(200, 20)[0] for _index in range(6)]
    for name in names[::2]:
        client.edit_user(name, status='Disable')
    simulator.configure(status_style=style, password_key='mixed', limits_as_strings='mixed')
    for _reply in range(2):  # a mixed list varies between replies too
        listed = client.list_users()
        assert [(user['name'], user['status'], user['enabled'], user['total_limit']) for user in listed] == [
            (name, 'Disable' if index % 2 == 0 else 'Enable', index % 2 == 1, 200) for index, name in enumerate(names)]


# --- error types ---

def test_authentication_error_names_the_owner_id_never_the_token(simulator):
    token = 'WrongToken00000000000000'
    error = api_error(lambda: client_for(simulator, token=token).list_users())
    assert error.error_type == 'AuthenticationError'
    assert 'owner_id %s' % simulator.owner_id in str(error)
    assert token not in str(error) and token not in repr(error.as_dict())
    assert simulator.requests()['counts']['listSmtp'] == 1, 'an authentication error is never retried'


def test_validation_error_is_never_retried(simulator):
    error = api_error(lambda: client_for(simulator).add_user(0, 1))
    assert (error.error_type, error.http_status, error.outcome_unknown) == ('ValidationError', 400, False)
    assert 'total_limit' in error.api_message
    assert simulator.requests()['counts']['addSmtp'] == 1


def test_general_error_from_the_service(simulator):
    simulator.configure(fault_rate=1.0, fault_kinds=['json500'])
    error = api_error(lambda: client_for(simulator, retries=0).list_users())
    assert (error.error_type, error.http_status) == ('GeneralError', 500)


# --- faults: retried for list and edit ---

@pytest.mark.parametrize('kind', FAULT_KINDS)
def test_list_and_edit_retry_every_transient_fault(simulator, kind):
    name, _password = client_for(simulator).add_user(200, 20)
    simulator.configure(seed=3, fault_rate=0.6, fault_kinds=[kind], retry_after=2)
    sleeps, warnings = Sleeps(), []
    client = client_for(simulator, retries=10, sleep=sleeps, warn=warnings.append)
    for hourly in range(21, 27):
        client.edit_user(name, hourly_limit=hourly)
        assert client.list_users()[0]['hourly_limit'] == hourly
    assert simulator.requests()['faults'][kind] > 0
    assert len(warnings) == simulator.requests()['faults'][kind], 'one warning per retried attempt'
    if kind == '429':
        assert set(sleeps.delays) == {2.0}, 'Retry-After is honoured'


@pytest.mark.parametrize('kind', FAULT_KINDS)
def test_a_persistent_fault_ends_after_the_retries(simulator, kind):
    simulator.configure(fault_rate=1.0, fault_kinds=[kind], retry_after=0)
    sleeps = Sleeps()
    error = api_error(lambda: client_for(simulator, retries=2, sleep=sleeps).list_users())
    assert simulator.requests()['counts']['listSmtp'] == 3
    assert len(sleeps.delays) == 2
    assert error.error_type == ('GeneralError' if kind in ('json500', '429') else 'Transport')
    assert error.http_status == int(kind[-3:])
    assert re.search(r'; gave up after 3 attempts over \d+\.\d s$', str(error)), str(error)
    assert error.attempts == 3


def test_each_retry_warns_with_the_call_the_attempt_the_cause_and_the_wait(simulator):
    simulator.configure(fault_rate=1.0, fault_kinds=['429'], retry_after=2)
    warnings = []
    error = api_error(lambda: client_for(simulator, retries=2, warn=warnings.append).list_users())
    assert warnings == ['SendClean settings/listSmtp: attempt %d of 3 failed (GeneralError: Too many requests (HTTP 429)); '
                        'retrying in 2.0 s' % attempt for attempt in (1, 2)]
    assert str(error).startswith('SendClean settings/listSmtp failed: GeneralError: Too many requests (HTTP 429); '
                                 'gave up after 3 attempts over ')
    assert all(simulator.token not in text for text in warnings + [str(error)])


def test_a_call_that_failed_once_says_nothing_of_attempts(simulator):
    warnings = []
    error = api_error(lambda: client_for(simulator, warn=warnings.append).add_user(0, 1))
    assert warnings == [] and error.attempts == 1
    assert 'attempt' not in str(error)


def test_backoff_grows_and_is_capped():
    delays = [SendCleanClient._backoff(attempt, None) for attempt in range(12)]  # pylint: disable=protected-access
    assert 0.25 <= delays[0] <= 0.5
    assert max(delays) <= 10.0
    assert delays[4] > delays[0]


# --- faults: add and reset are never repeated blindly ---

@pytest.mark.parametrize('kind', ('html502', 'html503', 'html504', 'json500'))
def test_add_after_a_5xx_is_outcome_unknown_and_not_repeated(simulator, kind):
    simulator.configure(fault_rate=1.0, fault_kinds=[kind], fault_calls=['addSmtp'])
    error = api_error(lambda: client_for(simulator).add_user(200, 20))
    assert error.outcome_unknown
    assert 'outcome unknown' in str(error)
    assert simulator.requests()['counts']['addSmtp'] == 1


def test_add_after_429_is_repeated_since_the_service_refused_it_unprocessed(simulator):
    simulator.configure(seed=5, fault_rate=0.5, fault_kinds=['429'], fault_calls=['addSmtp'], retry_after=0)
    warnings = []
    client = client_for(simulator, retries=10, warn=warnings.append)
    for _index in range(5):
        client.add_user(200, 20)
    assert len(simulator.users()) == 5
    assert len(warnings) == simulator.requests()['faults']['429'] > 0
    assert all(warning.startswith('SendClean settings/addSmtp: attempt ') for warning in warnings)


@pytest.mark.parametrize('call', ['add', 'reset'])
def test_commit_then_drop_is_outcome_unknown_and_the_write_was_applied(simulator, call):
    client = client_for(simulator)
    name, password = client.add_user(200, 20)
    simulator.configure(drop_rate=1.0)
    attempt = (lambda: client.add_user(300, 30)) if call == 'add' else (lambda: client.reset_password(name))
    error = api_error(attempt)
    assert (error.error_type, error.http_status, error.outcome_unknown) == ('Transport', None, True)
    assert 'closed before a reply arrived' in str(error)
    users = simulator.users()
    if call == 'add':
        assert len(users) == 2
    else:
        assert users[0]['password'] != password
    assert simulator.requests()['writes'] == 2, 'never repeated'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('call', ['list_users', 'add_user'])
def test_connection_refused_is_retried_for_every_call_since_nothing_was_sent(call):
    sleeps = Sleeps()
    client = SendCleanClient('28779705', 'token', 'http://127.0.0.1:%d/v1.0/' % free_port(), retries=2, sleep=sleeps)
    error = api_error(lambda: getattr(client, call)(*((1, 1) if call == 'add_user' else ())))
    assert 'could not connect' in str(error)
    assert not error.outcome_unknown
    assert len(sleeps.delays) == 2


# --- timeouts ---

def test_list_timeout_is_retried_then_reported(simulator):
    simulator.configure(latency=0.6)
    started = time.monotonic()
    warnings = []
    error = api_error(lambda: client_for(simulator, retries=1, timeout=0.2, warn=warnings.append).list_users())
    assert 'no reply from' in str(error) and 'within 0.2 seconds' in str(error)
    assert not error.outcome_unknown
    assert time.monotonic() - started < 5
    assert simulator.requests()['counts']['listSmtp'] == 2
    # The case: the message said only "within 0.2 seconds" of a call that took several timeouts.
    assert len(warnings) == 1 and 'attempt 1 of 2 failed (Transport: no reply from' in warnings[0]
    assert error.attempts == 2 and error.elapsed >= 0.4
    assert str(error).endswith('; gave up after 2 attempts over %.1f s' % error.elapsed)


def test_add_timeout_is_outcome_unknown_and_not_repeated(simulator):
    simulator.configure(latency=0.6)
    error = api_error(lambda: client_for(simulator, retries=3, timeout=0.2).add_user(200, 20))
    assert error.outcome_unknown
    assert simulator.requests()['counts']['addSmtp'] == 1


# --- replies that are not the API's ---

def test_html_404_is_a_transport_fault_with_the_status(simulator):
    warnings = []
    client = SendCleanClient(simulator.owner_id, simulator.token, simulator.api_url.replace('v1.0', 'v9'), retries=3,
                             sleep=Sleeps(), warn=warnings.append)
    error = api_error(client.list_users)
    assert (error.error_type, error.http_status) == ('Transport', 404)
    assert 'not a SendClean API answer (text/html)' in str(error)
    assert warnings == [], 'not retried'


def test_user_agent_version_is_the_collection_version():
    galaxy = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'galaxy.yml')
    with open(galaxy) as handle:
        version = re.search(r'^version:\s*(\S+)', handle.read(), re.MULTILINE).group(1)
    assert USER_AGENT.endswith('/' + version)
