# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS against the simulator served over HTTPS with certificates from a CA made here.

validate_certs (default true) refuses an untrusted or expired certificate with a clear message and no request
reaching the API; ca_path (or SENDCLEAN_CA_PATH) trusts a private CA; validate_certs=false works and warns.
"""

import json
import os
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient, SendCleanError
from ansible_collections.sendclean.mta.plugins.modules import sendclean_smtp_info

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module')
def expired_sim(pki, tmp_path_factory):
    """The simulator over HTTPS with an expired certificate of the private CA (admin calls skip verification)."""
    sim = Simulator()
    sim.start(str(tmp_path_factory.mktemp('expired-sim')), tls_cert=pki['expired_cert'], tls_key=pki['expired_key'],
              cafile=pki['ca'])
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def clean(https_sim, monkeypatch):
    """An empty account; no CA bundle from the environment (requests reads these two, see the last tests)."""
    https_sim.reset()
    for variable in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SENDCLEAN_CA_PATH'):
        monkeypatch.delenv(variable, raising=False)


def client(sim, **options):
    return SendCleanClient(sim.owner_id, sim.token, sim.api_url, timeout=5, retries=2, sleep=lambda seconds: None, **options)


def run_info(sim, capsys, **args):
    """Run sendclean_smtp_info in-process; returns its JSON result."""
    module_args = dict({'owner_id': sim.owner_id, 'token': sim.token, 'api_url': sim.api_url}, **args)
    with patch_module_args(module_args):
        with pytest.raises(SystemExit):
            sendclean_smtp_info.main()
    return json.loads(capsys.readouterr().out)


def test_the_simulator_serves_https(https_sim):
    assert https_sim.api_url.startswith('https://127.0.0.1:')


def test_untrusted_certificate_is_refused_by_default_with_a_clear_message(https_sim):
    with pytest.raises(SendCleanError) as caught:
        client(https_sim).list_users()
    message = str(caught.value)
    assert 'TLS certificate of %s is not trusted' % https_sim.api_url in message
    assert 'ca_path' in message
    assert https_sim.token not in message
    # Refused at the handshake: never retried, and no API request reached the service.
    assert https_sim.requests()['total'] == 0


def test_a_certificate_of_another_ca_is_refused(https_sim, pki):
    with pytest.raises(SendCleanError, match='is not trusted'):
        client(https_sim, ca_path=pki['other_ca']).list_users()
    assert https_sim.requests()['total'] == 0


def test_ca_path_trusts_the_private_ca(https_sim, pki):
    https_sim.add_users(2, 10, 1)
    assert len(client(https_sim, ca_path=pki['ca']).list_users()) == 2
    assert https_sim.requests()['counts']['listSmtp'] == 1


def test_validate_certs_false_works(https_sim):
    assert client(https_sim, validate_certs=False).list_users() == []


def test_module_refuses_an_untrusted_certificate(https_sim, capsys):
    result = run_info(https_sim, capsys)
    assert result['failed']
    assert 'is not trusted; set ca_path' in result['msg']
    assert https_sim.token not in json.dumps(result)


def test_module_ca_path_option(https_sim, pki, capsys):
    https_sim.add_users(1, 10, 1)
    result = run_info(https_sim, capsys, ca_path=pki['ca'])
    assert not result.get('failed') and len(result['smtp_users']) == 1
    assert not result.get('warnings')


def test_module_ca_path_from_the_environment(https_sim, pki, capsys, monkeypatch):
    monkeypatch.setenv('SENDCLEAN_CA_PATH', pki['ca'])
    result = run_info(https_sim, capsys)
    assert not result.get('failed') and result['smtp_users'] == []


def test_module_validate_certs_false_works_and_warns(https_sim, capsys):
    result = run_info(https_sim, capsys, validate_certs=False)
    assert not result.get('failed')
    # ansible-core 2.19 may report a warning as a dict carrying the message: look for the text in either form.
    assert any('validate_certs=false' in str(warning) for warning in result['warnings'])


def test_module_over_plain_http_works_and_warns(simulator, capsys):
    result = run_info(simulator, capsys)
    assert not result.get('failed')
    assert any('plain http' in str(warning) and simulator.api_url in str(warning) for warning in result['warnings'])
    assert simulator.token not in json.dumps(result)


def test_expired_certificate_is_refused(expired_sim, pki):
    with pytest.raises(SendCleanError) as caught:
        client(expired_sim, ca_path=pki['ca']).list_users()
    assert 'TLS certificate of %s' % expired_sim.api_url in str(caught.value)


def test_expired_certificate_message_says_expired(expired_sim, pki):
    with pytest.raises(SendCleanError) as caught:
        client(expired_sim, ca_path=pki['ca']).list_users()
    message = str(caught.value)
    assert 'expired' in message and 'set ca_path' not in message


# requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's verify setting (psf/requests#3829; only a
# per-request verify wins), and such variables are common on corporate machines and CI runners: ca_path must be the
# only trust anchor when given, and validate_certs=false must not verify at all.
@pytest.mark.parametrize('variable', ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
def test_ca_path_wins_over_a_ca_bundle_from_the_environment(https_sim, pki, monkeypatch, variable):
    monkeypatch.setenv(variable, pki['other_ca'])
    assert client(https_sim, ca_path=pki['ca']).list_users() == []


def test_a_ca_bundle_from_the_environment_is_not_trusted_beside_ca_path(https_sim, pki, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki['ca'])
    with pytest.raises(SendCleanError, match='is not trusted'):
        client(https_sim, ca_path=pki['other_ca']).list_users()


def test_validate_certs_false_wins_over_a_ca_bundle_from_the_environment(https_sim, pki, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki['other_ca'])
    assert client(https_sim, validate_certs=False).list_users() == []


# What a failure over TLS means for a create: refused at the handshake, nothing was sent; cut off after sending,
# the create may have been applied (an SSL error type must not make that look like a handshake failure).
def test_a_create_refused_at_the_handshake_was_never_sent(https_sim):
    with pytest.raises(SendCleanError) as caught:
        client(https_sim).add_user(10, 1)
    assert not caught.value.outcome_unknown
    assert https_sim.requests()['total'] == 0


def test_a_create_cut_off_after_sending_over_tls_is_outcome_unknown(https_sim, pki):
    https_sim.configure(drop_rate=1.0, drop_calls=['addSmtp'])
    with pytest.raises(SendCleanError) as caught:
        client(https_sim, ca_path=pki['ca']).add_user(10, 1)
    assert caught.value.outcome_unknown
    assert len(https_sim.users()) == 1 and https_sim.requests()['counts']['addSmtp'] == 1
