# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A real SendClean simulator (subprocess, real HTTP) for the plugin unit tests, module runs as Ansible makes them, a
recording CONNECT proxy, and the task variables of the smtp_relay role."""

import json
import os
import socket
import socketserver
import subprocess
import sys
import threading

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), *['..'] * 6))
RELAY_ROLE = os.path.join(COLLECTIONS, 'ansible_collections', 'sendclean', 'mta', 'roles', 'smtp_relay')
PROXY_VARIABLES = ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy')


@pytest.fixture(scope='session')
def simulator_process(tmp_path_factory):
    with Simulator().start(str(tmp_path_factory.mktemp('simulator'))) as sim:
        yield sim


@pytest.fixture
def simulator(simulator_process):
    """The simulator with an empty account, zeroed counters and the default config."""
    simulator_process.reset()
    return simulator_process


@pytest.fixture
def run_module(tmp_path):
    """Run a module of this collection in a fresh interpreter, with this process's environment, as Ansible runs it.

    ``run_module(name, expect_failure=False, **args)`` returns the result and the texts of its warnings. In this process
    a module would share ansible-core's warnings with the controller code other tests import, which shows warnings
    instead of returning them.
    """
    runs = []

    def run(name, expect_failure=False, **args):
        path = tmp_path / ('module-args-%d.json' % len(runs))
        path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
        runs.append(path)
        code = 'from ansible_collections.sendclean.mta.plugins.modules import %s as module; module.main()' % name
        done = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True, text=True, check=False,
                              env=dict(os.environ, PYTHONPATH=COLLECTIONS))
        result = json.loads(done.stdout)
        assert (done.returncode == 1) is expect_failure, (result, done.stderr[-2000:])
        return result, [warning['event']['msg'] for warning in result.get('warnings', [])]

    return run


@pytest.fixture
def no_proxy_from_the_environment(monkeypatch):
    """No proxy variable from the machine's environment: a test sets those it needs."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


class TunnelHandler(socketserver.BaseRequestHandler):
    """A CONNECT proxy: records each tunnel's request head, then relays bytes both ways (or refuses the tunnel)."""

    def handle(self):
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        self.server.heads.append(head.decode('latin-1'))
        if self.server.refuse:
            self.request.sendall(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
            return
        target = head.split(b' ')[1].decode('ascii')
        host, port = target.rsplit(':', 1)
        with socket.create_connection((host, int(port))) as upstream:
            self.request.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            relay = threading.Thread(target=pipe, args=(upstream, self.request), daemon=True)
            relay.start()
            pipe(self.request, upstream)
            relay.join(5)


def pipe(source, destination):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
        destination.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@pytest.fixture
def proxy():
    """A CONNECT proxy on loopback; ``heads`` records each tunnel's request, ``refuse = True`` answers 403."""
    server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), TunnelHandler)
    server.daemon_threads = True
    server.heads = []
    server.refuse = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def load_relay_role_file(*path):
    """A YAML file of the smtp_relay role, loaded."""
    with open(os.path.join(RELAY_ROLE, *path)) as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def relay_role_file():
    """``relay_role_file(*path)``: a YAML file of the smtp_relay role, loaded."""
    return load_relay_role_file


def trusted(value):
    """A value as Ansible loads it from the role's files or an inventory: its strings may be templates."""
    # Imported here: the module tests run where only module_utils of ansible-core can be imported.
    from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel

    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(item) for item in value]
    if isinstance(value, dict):
        return dict((key, trusted(item)) for key, item in value.items())
    return value


@pytest.fixture
def relay_task_vars():
    """``relay_task_vars(**overrides)``: the variables of a task of the smtp_relay role on host web1 - the role's
    defaults, an inventory directory, the app domain - with ``overrides``."""
    def task_vars(**overrides):
        variables = dict(load_relay_role_file('defaults', 'main.yml'), inventory_hostname='web1',
                         inventory_dir='/srv/inventory', playbook_dir='/srv/playbooks',
                         smtp_relay_app_domain='us1-mta1.sendclean.net')
        variables.update(overrides)
        return trusted(variables)
    return task_vars
