"""Benchmarks of sendclean.mta against the simulator (`make bench`; never part of `make test`).

Every figure comes from this machine in one sitting, so the ratios compare like with like:
  1. a converged run of USERS users through the ``users`` option vs a ``loop`` of USERS single-user tasks;
  2. FLOOR_TASKS converged single-user tasks vs as many ``ansible.builtin.ping`` tasks (the module overhead floor);
  3. the smtp_relay role over ROLE_HOSTS inventory hosts (local connection, rendering into temp roots), converged;
  4. peak memory of one module run against an account of BIG_ACCOUNT users.
Times are medians of --runs converged runs (after one untimed run that converges). The results go to --out as
JSON and are printed; docs/benchmarks.md summarizes them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

USERS = 1000
FLOOR_TASKS = 50
ROLE_HOSTS = 50
BIG_ACCOUNT = 10000
MODULE = 'sendclean.mta.sendclean_smtp_user'


class Bench(object):
    """Runs playbooks against one simulator, timing them and reading the requests each run made."""

    def __init__(self, sim, workdir, collections, python, runs):
        self.sim = sim
        self.workdir = workdir
        self.runs = runs
        self.python = python
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=python,
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                        **sim.environment())

    def path(self, name):
        return os.path.join(self.workdir, name)

    def write(self, name, text):
        with open(self.path(name), 'w') as handle:
            handle.write(text)
        return self.path(name)

    def run_once(self, playbook, inventory):
        """One ansible-playbook run: (seconds, requests the simulator counted)."""
        self.sim.reset(users=False, counters=True, config=False)
        command = [os.path.join(os.path.dirname(self.python), 'ansible-playbook'), '-i', inventory, playbook]
        started = time.monotonic()
        done = subprocess.run(command, env=self.env, cwd=self.workdir, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit('%s failed:\n%s' % (playbook, done.stdout[-4000:]))
        return seconds, self.sim.requests()['counts']

    def converged(self, playbook, inventory='localhost,'):
        """Converge once, then (median seconds, requests of the last run) over the timed converged runs."""
        self.run_once(playbook, inventory)
        timings = [self.run_once(playbook, inventory) for _run in range(self.runs)]
        return statistics.median(seconds for seconds, _counts in timings), timings[-1][1]


def play(tasks, hosts='localhost', extra=''):
    return '- hosts: %s\n  gather_facts: false\n%s  tasks:\n%s' % (hosts, extra, tasks)


def users_vs_loop(bench):
    """Figure 1: the users option against a loop of single-user tasks, same users, converged."""
    registry = bench.path('fleet-registry.json')
    batch = bench.write('users.yml', play('''    - name: All users in one task
      {module}:
        registry: {registry}
        users: "{{{{ fleet | from_yaml }}}}"
'''.format(module=MODULE, registry=registry), extra='''  vars:
    fleet: |
      {%% for index in range(1, %d) %%}
      - {key: host{{ index }}, total_limit: 100, hourly_limit: 10}
      {%% endfor %%}
''' % (USERS + 1)))
    loop = bench.write('loop.yml', play('''    - name: One task per user
      {module}:
        key: "host{{{{ item }}}}"
        registry: {registry}
        total_limit: 100
        hourly_limit: 10
      loop: "{{{{ range(1, {end}) | list }}}}"
'''.format(module=MODULE, registry=registry, end=USERS + 1)))
    batch_seconds, batch_counts = bench.converged(batch)
    loop_seconds, loop_counts = bench.converged(loop)
    return {
        'users': USERS,
        'users_option_seconds': round(batch_seconds, 2), 'users_option_requests': sum(batch_counts.values()),
        'loop_seconds': round(loop_seconds, 2), 'loop_requests': sum(loop_counts.values()),
        'speedup': round(loop_seconds / batch_seconds, 1),
    }


def module_floor(bench):
    """Figure 2: converged single-user tasks against ping tasks, as many of each."""
    registry = bench.path('floor-registry.json')
    user = bench.write('floor-user.yml', play('''    - name: Converged single-user task
      {module}:
        key: floor
        registry: {registry}
        total_limit: 100
        hourly_limit: 10
      loop: "{{{{ range({tasks}) | list }}}}"
'''.format(module=MODULE, registry=registry, tasks=FLOOR_TASKS)))
    ping = bench.write('floor-ping.yml', play('''    - name: Ping
      ansible.builtin.ping:
      loop: "{{{{ range({tasks}) | list }}}}"
'''.format(tasks=FLOOR_TASKS)))
    user_seconds, user_counts = bench.converged(user)
    ping_seconds, _counts = bench.converged(ping)
    return {
        'tasks': FLOOR_TASKS,
        'module_seconds': round(user_seconds, 2), 'module_requests': sum(user_counts.values()),
        'ping_seconds': round(ping_seconds, 2),
        'ratio': round(user_seconds / ping_seconds, 2),
    }


def role_fleet(bench):
    """Figure 3: the smtp_relay role over many hosts, each rendering into its own temp root, converged."""
    hosts = '\n'.join('relay%02d ansible_connection=local' % index for index in range(ROLE_HOSTS))
    inventory = bench.write('role-inventory.ini', '[mail_senders]\n%s\n' % hosts)
    playbook = bench.write('role.yml', play('''    - name: Relay through SendClean
      ansible.builtin.include_role:
        name: sendclean.mta.smtp_relay
''', hosts='mail_senders', extra='''  vars:
    smtp_relay_registry: {registry}
    smtp_relay_config_root: "{root}/{{{{ inventory_hostname }}}}"
    smtp_relay_manage_packages: false
    smtp_relay_manage_service: false
    smtp_relay_map_type: texthash
    smtp_relay_host: relay.example.test
'''.format(registry=bench.path('role-registry.json'), root=bench.path('roots'))))
    seconds, counts = bench.converged(playbook, inventory)
    return {'hosts': ROLE_HOSTS, 'seconds': round(seconds, 2), 'list_calls': counts['listSmtp'],
            'writes': counts['addSmtp'] + counts['editSmtp'] + counts['resetSmtpPassword']}


def peak_memory(bench, collections):
    """Figure 4: peak resident memory of one converged module run against a BIG_ACCOUNT-user account."""
    bench.sim.reset()
    bench.sim.add_users(BIG_ACCOUNT - 1, 100, 10)
    name = bench.sim.add_users(1, 100, 10)[0]
    args = bench.write('memory-args.json', json.dumps({'ANSIBLE_MODULE_ARGS': dict(
        name=name, total_limit=100, hourly_limit=10, api_url=bench.sim.api_url, owner_id=bench.sim.owner_id,
        token=bench.sim.token)}))
    module = os.path.join(collections, 'ansible_collections', 'sendclean', 'mta', 'plugins', 'modules', 'sendclean_smtp_user.py')
    peaks = []
    for _run in range(bench.runs):
        done = subprocess.run(['/usr/bin/time', '-f', '%M', bench.python, module, args], capture_output=True, text=True,
                              env=dict(bench.env, PYTHONPATH=collections), check=True)
        if json.loads(done.stdout).get('changed') is not False:
            raise SystemExit('the memory run was expected to converge: %s' % done.stdout[-2000:])
        peaks.append(int(done.stderr.strip().splitlines()[-1]) / 1024.0)
    return {'account_users': BIG_ACCOUNT, 'peak_mb': round(statistics.median(peaks), 1)}


def verdicts(results):
    """Each target of the scale issue, met or not, from the figures."""
    checks = [
        ('users option: 1 request when converged', results['users_vs_loop']['users_option_requests'] == 1),
        ('users option at least 50x faster than the loop', results['users_vs_loop']['speedup'] >= 50),
        ('single-user task at most 1.3x a ping task', results['module_floor']['ratio'] <= 1.3),
        ('10,000-user account under 100 MB', results['peak_memory']['peak_mb'] < 100),
    ]
    if 'role_fleet' in results:
        checks.append(('role over %d hosts: 1 listSmtp in total' % ROLE_HOSTS, results['role_fleet']['list_calls'] == 1))
    return [{'target': target, 'met': met} for target, met in checks]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections', required=True, help='collections path holding the staged sendclean.mta')
    parser.add_argument('--python', default=sys.executable, help='the interpreter of the venv with ansible-core')
    parser.add_argument('--runs', type=int, default=3, help='timed runs per figure (the median is reported)')
    parser.add_argument('--out', required=True, help='JSON file for the results')
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix='sendclean-bench-')
    with Simulator().start(os.path.join(workdir, 'simulator')) as sim:
        bench = Bench(sim, workdir, args.collections, args.python, args.runs)
        results = {'runs': args.runs, 'cpus': os.cpu_count(), 'load_average_at_start': os.getloadavg()[0]}
        results['users_vs_loop'] = users_vs_loop(bench)
        results['module_floor'] = module_floor(bench)
        if os.path.isdir(os.path.join(args.collections, 'ansible_collections', 'sendclean', 'mta', 'roles', 'smtp_relay')):
            results['role_fleet'] = role_fleet(bench)
        results['peak_memory'] = peak_memory(bench, args.collections)
    results['verdicts'] = verdicts(results)
    with open(args.out, 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write('\n')
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0 if all(verdict['met'] for verdict in results['verdicts']) else 1


if __name__ == '__main__':
    sys.exit(main())
