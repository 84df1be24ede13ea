# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's transport (a requests Session): keep-alive, proxies, what each failure says about a write."""

import base64
import json
import os
import socket
import subprocess
import sys

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient, SendCleanError, never_sent

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

# Every test here sets the proxy variables it needs and no others (see conftest.py).
pytestmark = pytest.mark.usefixtures('no_proxy_from_the_environment')


def client_for(sim, retries=0, ca_path=None):
    return SendCleanClient(sim.owner_id, sim.token, sim.api_url, ca_path=ca_path, timeout=5, retries=retries,
                           sleep=lambda seconds: None)


def test_one_connection_serves_every_call_of_a_run(simulator):
    client = client_for(simulator)
    name, _password = client.add_user(10, 1)
    client.edit_user(name, hourly_limit=2)
    assert len(client.list_users()) == 1
    pools = client._session.get_adapter(simulator.api_url).poolmanager.pools  # pylint: disable=protected-access
    assert [(pools[key].num_connections, pools[key].num_requests) for key in pools.keys()] == [(1, 3)]


def test_a_connection_the_server_closed_is_replaced_before_a_write(tmp_path):
    with Simulator().start(str(tmp_path / 'sim')) as sim:
        client = client_for(sim)
        assert client.list_users() == []
        sim.restart()  # closes the idle keep-alive connection from the server's side
        client.add_user(10, 1)  # never retried (retries=0), so it must go out on a new connection
        assert sim.requests()['counts']['addSmtp'] == 1
        assert len(sim.users()) == 1


def test_requests_go_through_the_proxy_of_the_environment_in_a_tunnel(proxy, monkeypatch, https_sim, pki):
    https_sim.reset()
    monkeypatch.setenv('HTTPS_PROXY', 'http://user:p%%40ss@127.0.0.1:%d' % proxy.server_address[1])
    assert client_for(https_sim, ca_path=pki['ca']).list_users() == []
    assert len(proxy.heads) == 1
    request_line, headers = proxy.heads[0].split('\r\n', 1)
    assert request_line.startswith('CONNECT 127.0.0.1:%d ' % https_sim.port)
    assert 'Proxy-Authorization: Basic %s' % base64.b64encode(b'user:p@ss').decode('ascii') in headers
    assert https_sim.token not in proxy.heads[0], 'the tunnel request never carries the token'
    assert https_sim.requests()['counts']['listSmtp'] == 1


def test_no_proxy_bypasses_the_proxy(proxy, monkeypatch, simulator):
    monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:%d' % proxy.server_address[1])
    monkeypatch.setenv('NO_PROXY', 'localhost,127.0.0.1')
    assert client_for(simulator).list_users() == []
    assert proxy.heads == []


def test_an_unreachable_proxy_is_named_and_nothing_was_sent(monkeypatch, simulator):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv('http_proxy', '127.0.0.1:%d' % port)
    with pytest.raises(SendCleanError) as caught:
        client_for(simulator).add_user(10, 1)
    assert 'through the proxy 127.0.0.1:%d' % port in str(caught.value)
    assert not caught.value.outcome_unknown
    assert simulator.requests()['total'] == 0


def test_a_tunnel_the_proxy_refuses_is_never_sent_and_retried(proxy, monkeypatch, https_sim, pki):
    https_sim.reset()
    proxy.refuse = True
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:%d' % proxy.server_address[1])
    with pytest.raises(SendCleanError) as caught:
        client_for(https_sim, retries=2, ca_path=pki['ca']).add_user(10, 1)
    assert not caught.value.outcome_unknown
    assert len(proxy.heads) == 3, 'a create that never left is repeated'
    assert https_sim.requests()['total'] == 0


# The real failures above and in test_client.py/test_tls.py cover refused connections, proxies, TLS handshakes, drops
# and read timeouts; a connect timeout needs an address that swallows SYNs, which this machine has none of.
@pytest.mark.parametrize('exc, unsent', [
    (requests.exceptions.ConnectTimeout(), True),
    (requests.exceptions.ProxyError(), True),
    (requests.exceptions.ConnectionError(MaxRetryError(None, '/', NewConnectionError(None, 'refused'))), True),
    (requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError())), False),
    (requests.exceptions.ReadTimeout(), False),
    (requests.exceptions.ChunkedEncodingError(), False),
])
def test_only_failures_while_connecting_prove_nothing_was_sent(exc, unsent):
    assert never_sent(exc) is unsent


def run_python(lines, *args):
    """Run the lines in a fresh interpreter that finds this collection; returns the finished process."""
    collections = os.path.abspath(os.path.join(os.path.dirname(__file__), *['..'] * 7))
    return subprocess.run([sys.executable, '-W', 'always', '-c', '\n'.join(lines)] + list(args), capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=collections), check=False)


def test_without_requests_the_module_fails_naming_the_library(simulator, tmp_path):
    """The standard answer to a missing library: missing_required_lib('requests'), and no request at all."""
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {
        'owner_id': simulator.owner_id, 'token': simulator.token, 'api_url': simulator.api_url}}))
    done = run_python([
        'import sys',
        'sys.modules["requests"] = None  # importing it fails',
        'from ansible_collections.sendclean.mta.plugins.modules import sendclean_smtp_info',
        'sendclean_smtp_info.main()',
    ], str(args))
    result = json.loads(done.stdout)
    assert done.returncode == 1 and result['failed'], done.stderr[-2000:]
    assert result['msg'].startswith('Failed to import the required Python library (requests)')
    assert simulator.token not in done.stdout
    assert simulator.requests()['total'] == 0


def test_a_module_run_imports_no_charset_detector_and_prints_no_warning(simulator):
    """The client decodes JSON bytes itself: requests' charset detector stays out of a module's process."""
    simulator.add_users(2, 10, 1)
    done = run_python([
        'import sys',
        'from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient',
        'print(len(SendCleanClient(*sys.argv[1:4]).list_users()))',
        'print(sorted(set(sys.modules) & {"charset_normalizer", "chardet"}))',
        'import charset_normalizer  # still importable by whoever needs it',
    ], simulator.owner_id, simulator.token, simulator.api_url)
    assert (done.returncode, done.stdout.split('\n')[:2], done.stderr) == (0, ['2', '[]'], '')
