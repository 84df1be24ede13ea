# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options every module shares (_module.py), through real runs of sendclean_smtp_info against the
simulator: where the token goes, what a missing option says, and what a retried call tells."""

import json
import os
import sys

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._module import endpoint_from_environment

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

APP_DOMAIN = 'us1-mta1.sendclean.net'
CONNECTION_VARIABLES = ('SENDCLEAN_OWNER_ID', 'SENDCLEAN_TOKEN', 'SENDCLEAN_APP_DOMAIN', 'SENDCLEAN_API_URL', 'SENDCLEAN_CA_PATH')

pytestmark = pytest.mark.usefixtures('no_proxy_from_the_environment')


@pytest.fixture(autouse=True)
def no_connection_from_the_environment(monkeypatch):
    for variable in CONNECTION_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope='module')
def elsewhere(tmp_path_factory):
    """A second simulator, standing for the endpoint an exported SENDCLEAN_API_URL names: it must never be asked."""
    with Simulator().start(str(tmp_path_factory.mktemp('elsewhere'))) as sim:
        yield sim


@pytest.fixture
def run_info(run_module):
    """One run of sendclean_smtp_info with these arguments (the task's and module_defaults' together)."""
    return lambda expect_failure=False, **args: run_module('sendclean_smtp_info', expect_failure, **args)


def credentials(sim):
    return {'owner_id': sim.owner_id, 'token': sim.token}


# --- app_domain and api_url: one setting ---

@pytest.mark.parametrize('given, environment, expected', [
    ({}, {'SENDCLEAN_APP_DOMAIN': APP_DOMAIN, 'SENDCLEAN_API_URL': 'http://127.0.0.1:1/'}, (APP_DOMAIN, 'http://127.0.0.1:1/')),
    ({}, {'SENDCLEAN_APP_DOMAIN': APP_DOMAIN}, (APP_DOMAIN, None)),
    ({}, {}, (None, None)),
    ({'app_domain': APP_DOMAIN}, {'SENDCLEAN_API_URL': 'http://127.0.0.1:1/'}, (APP_DOMAIN, None)),
    ({'api_url': 'http://127.0.0.1:2/'}, {'SENDCLEAN_APP_DOMAIN': 'eu1-mta1.sendclean.net'}, (None, 'http://127.0.0.1:2/')),
    ({'app_domain': ''}, {'SENDCLEAN_API_URL': 'http://127.0.0.1:1/'}, ('', None)),
], ids=['pair from the environment', 'half a pair from the environment', 'nothing', 'task app_domain, env api_url',
        'task api_url, env app_domain', 'an empty value is set'])
def test_the_environment_fills_in_the_pair_only_when_neither_option_is_set(given, environment, expected):
    params = dict({'app_domain': None, 'api_url': None}, **given)
    resolved = endpoint_from_environment(params, environment)
    assert (resolved['app_domain'], resolved['api_url']) == expected


def test_the_task_api_url_wins_over_the_environment_and_the_token_never_goes_there(run_info, monkeypatch, simulator, elsewhere):
    elsewhere.reset()
    monkeypatch.setenv('SENDCLEAN_API_URL', elsewhere.api_url)
    monkeypatch.setenv('SENDCLEAN_APP_DOMAIN', 'eu1-mta1.sendclean.net')
    run_info(api_url=simulator.api_url, **credentials(simulator))
    assert simulator.requests()['counts']['listSmtp'] == 1
    assert elsewhere.requests()['total'] == 0


def test_the_task_app_domain_wins_over_the_environment_api_url(run_info, monkeypatch, proxy, elsewhere):
    """The issue's case: app_domain on the task, SENDCLEAN_API_URL exported. The request must go to the task's
    domain; a refusing CONNECT proxy shows where it went without leaving this machine."""
    elsewhere.reset()
    proxy.refuse = True
    monkeypatch.setenv('SENDCLEAN_API_URL', elsewhere.api_url)
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:%d' % proxy.server_address[1])
    result, _warnings = run_info(expect_failure=True, app_domain=APP_DOMAIN, retries=0, **credentials(elsewhere))
    assert 'could not connect to https://api.%s/v1.0/ through the proxy' % APP_DOMAIN in result['msg']
    assert [head.split(' ')[:2] for head in proxy.heads] == [['CONNECT', 'api.%s:443' % APP_DOMAIN]]
    assert elsewhere.requests()['total'] == 0, 'the token went to the endpoint of the environment'


def test_with_neither_option_set_the_environment_names_the_endpoint(run_info, monkeypatch, simulator):
    monkeypatch.setenv('SENDCLEAN_API_URL', simulator.api_url)
    monkeypatch.setenv('SENDCLEAN_OWNER_ID', simulator.owner_id)
    monkeypatch.setenv('SENDCLEAN_TOKEN', simulator.token)
    assert run_info()[0]['smtp_users'] == []
    assert simulator.requests()['counts']['listSmtp'] == 1


@pytest.mark.parametrize('given, message', [
    ({}, 'one of app_domain and api_url is required (or SENDCLEAN_APP_DOMAIN / SENDCLEAN_API_URL in the environment)'),
    ({'api_url': ''}, 'api_url is empty; give the API\'s address there (the environment is not read once the task or '
                      'module_defaults sets app_domain or api_url)'),
])
def test_no_endpoint_fails_before_any_request(run_info, monkeypatch, simulator, given, message):
    if given:  # set, though empty: the environment must not stand in
        monkeypatch.setenv('SENDCLEAN_API_URL', simulator.api_url)
    result, _warnings = run_info(expect_failure=True, **dict(credentials(simulator), **given))
    assert result['msg'] == message
    assert simulator.requests()['total'] == 0


# --- owner_id and token ---

@pytest.mark.parametrize('missing, variable', [('owner_id', 'SENDCLEAN_OWNER_ID'), ('token', 'SENDCLEAN_TOKEN')])
def test_a_missing_owner_id_or_token_names_its_environment_variable(run_info, simulator, missing, variable):
    args = dict(credentials(simulator), api_url=simulator.api_url)
    del args[missing]
    result, _warnings = run_info(expect_failure=True, **args)
    assert result['msg'] == '%s is required: set it on the task or in module_defaults, or export %s' % (missing, variable)
    assert simulator.requests()['total'] == 0


# --- retries ---

def test_each_retry_warns_and_the_failure_counts_the_attempts(run_info, simulator):
    simulator.configure(fault_rate=1.0, fault_kinds=['html503'], fault_calls=['listSmtp'])
    result, warnings = run_info(expect_failure=True, api_url=simulator.api_url, retries=2, **credentials(simulator))
    retries = [warning for warning in warnings if 'attempt' in warning]
    assert len(retries) == 2
    for attempt, warning in enumerate(retries, 1):
        assert warning.startswith('SendClean settings/listSmtp: attempt %d of 3 failed (Transport: the service or a proxy '
                                  'in front of it is unavailable (text/html reply) (HTTP 503)); retrying in ' % attempt)
    assert 'gave up after 3 attempts over ' in result['msg']
    assert simulator.token not in json.dumps(result)
    assert simulator.requests()['counts']['listSmtp'] == 3
