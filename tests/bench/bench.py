"""Benchmarks of sendclean.mta against the simulator (`make bench`; never part of `make test`).

Every figure comes from this machine in one sitting, so the ratios compare like with like:
  1. a converged run of USERS users through the ``users`` option vs a ``loop`` of USERS single-user tasks;
  2. FLOOR_TASKS converged single-user tasks vs as many ``ansible.builtin.ping`` tasks (the module overhead floor)
     and as many ``ansible.builtin.uri`` tasks that only POST listSmtp (what a user would write instead);
  3. the smtp_relay role over ROLE_HOSTS inventory hosts (local connection, rendering into temp roots), converged;
  4. peak memory of one module run against an account of BIG_ACCOUNT users.
Times are medians of --runs converged runs (after one untimed run that converges). The results go to --out as
JSON and are printed; --summary writes docs/benchmarks.md from them. --figures measures only some figures and keeps
the others from --out, marked as measured by an earlier run.
"""

import argparse
import json
import os
import shutil
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
FLOOR_PAIRS = 5  # at least; each pair takes about 40 s
ROLE_HOSTS = 50
BIG_ACCOUNT = 10000
MODULE = 'sendclean.mta.sendclean_smtp_user'
# Measured in this order, the longest last, so that a broken figure fails early.
FIGURES = ('role_fleet', 'peak_memory', 'module_floor', 'users_vs_loop')


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
        command = [os.path.join(os.path.dirname(self.python), 'ansible-playbook'), '-c', 'local', '-i', inventory, playbook]
        started = time.monotonic()
        done = subprocess.run(command, env=self.env, cwd=self.workdir, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit('%s failed:\n%s' % (playbook, done.stdout[-4000:]))
        return seconds, self.sim.requests()['counts']

    def converged(self, playbook, inventory='localhost,', warm_up=True):
        """Converge once (unless an earlier figure left the same state), then (median seconds, requests of the last
        run) over the timed converged runs."""
        if warm_up:
            self.run_once(playbook, inventory)
        timings = [self.run_once(playbook, inventory) for _run in range(self.runs)]
        return statistics.median(seconds for seconds, _counts in timings), timings[-1][1]


def play(tasks, hosts='localhost', extra=''):
    return '- hosts: %s\n  gather_facts: false\n%s  tasks:\n%s' % (hosts, extra, tasks)


def single_user_tasks(bench, name, key, registry, items):
    """A playbook of one converged single-user task looped over `items` (a Jinja expression)."""
    return bench.write(name, play('''    - name: Single-user task
      {module}:
        key: "{key}"
        registry: {registry}
        total_limit: 100
        hourly_limit: 10
      loop: "{{{{ {items} }}}}"
'''.format(module=MODULE, key=key, registry=registry, items=items)))


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
    loop = single_user_tasks(bench, 'loop.yml', 'host{{ item }}', registry, 'range(1, %d) | list' % (USERS + 1))
    batch_seconds, batch_counts = bench.converged(batch)
    loop_seconds, loop_counts = bench.converged(loop, warm_up=False)  # the same users, converged by the batch
    return {
        'users': USERS,
        'users_option_seconds': round(batch_seconds, 2), 'users_option_requests': sum(batch_counts.values()),
        'loop_seconds': round(loop_seconds, 2), 'loop_requests': sum(loop_counts.values()),
        'speedup': round(loop_seconds / batch_seconds, 1),
    }


def module_floor(bench):
    """Figure 2: converged single-user tasks against ping tasks and uri tasks that list the users, as many of each."""
    module_playbook = single_user_tasks(bench, 'floor-user.yml', 'floor', bench.path('floor-registry.json'),
                                        'range(%d) | list' % FLOOR_TASKS)
    ping_playbook = bench.write('floor-ping.yml', play('''    - name: Ping
      ansible.builtin.ping:
      loop: "{{{{ range({tasks}) | list }}}}"
'''.format(tasks=FLOOR_TASKS)))
    uri_playbook = bench.write('floor-uri.yml', play('''    - name: List the SMTP users with uri
      ansible.builtin.uri:
        url: "{{{{ lookup('ansible.builtin.env', 'SENDCLEAN_API_URL') }}}}settings/listSmtp"
        method: POST
        body_format: json
        body:
          owner_id: "{{{{ lookup('ansible.builtin.env', 'SENDCLEAN_OWNER_ID') }}}}"
          token: "{{{{ lookup('ansible.builtin.env', 'SENDCLEAN_TOKEN') }}}}"
      loop: "{{{{ range({tasks}) | list }}}}"
'''.format(tasks=FLOOR_TASKS)))
    # Runs in turn, one of each kind per round: the machine's speed drifts over minutes, and a ratio of two blocks
    # of runs measured minutes apart would measure the drift as well.
    bench.run_once(module_playbook, 'localhost,')  # converges
    rounds = [(bench.run_once(module_playbook, 'localhost,'), bench.run_once(ping_playbook, 'localhost,')[0],
               bench.run_once(uri_playbook, 'localhost,')[0]) for _round in range(max(bench.runs, FLOOR_PAIRS))]
    timings = [(module_seconds, ping, uri) for (module_seconds, _counts), ping, uri in rounds]
    return {
        'tasks': FLOOR_TASKS, 'rounds': len(timings),
        'module_seconds': round(statistics.median(module for module, _ping, _uri in timings), 2),
        'module_requests': sum(rounds[-1][0][1].values()),
        'ping_seconds': round(statistics.median(ping for _module, ping, _uri in timings), 2),
        'uri_seconds': round(statistics.median(uri for _module, _ping, uri in timings), 2),
        'ratio': round(statistics.median(module / ping for module, ping, _uri in timings), 2),
        'uri_ratio': round(statistics.median(module / uri for module, _ping, uri in timings), 2),
    }


def role_fleet(bench):
    """Figure 3: the smtp_relay role over many hosts, each rendering into its own temp root, converged."""
    names = ['relay%02d' % index for index in range(ROLE_HOSTS)]
    for name in names:
        os.makedirs(bench.path(os.path.join('roots', name, 'etc', 'postfix')))  # as the postfix package leaves it
    hosts = '\n'.join('%s ansible_connection=local' % name for name in names)
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
        ('single-user task at most 1.4x a ping task', results['module_floor']['ratio'] <= 1.4),
        ('single-user task at most 1.0x a uri task that lists the users', results['module_floor']['uri_ratio'] <= 1.0),
        ('10,000-user account under 100 MB', results['peak_memory']['peak_mb'] < 100),
    ]
    checks.append(('role over %d hosts: 1 listSmtp in total' % ROLE_HOSTS, results['role_fleet']['list_calls'] == 1))
    return [{'target': target, 'met': met} for target, met in checks]


def summary(results):
    """docs/benchmarks.md: the figures of one run as a table, with the targets they meet or miss."""
    loop, floor, fleet, memory = (results[key] for key in ('users_vs_loop', 'module_floor', 'role_fleet', 'peak_memory'))
    rows = [
        ('1. %d converged users: `users` option vs a `loop` of single-user tasks' % loop['users'],
         '%s s, %d request(s) vs %s s, %d requests: **%sx** faster' % (
             loop['users_option_seconds'], loop['users_option_requests'], loop['loop_seconds'], loop['loop_requests'],
             loop['speedup'])),
        ('2. %d converged single-user tasks vs %d `ansible.builtin.ping` tasks vs %d `ansible.builtin.uri` tasks that '
         'POST listSmtp' % (floor['tasks'], floor['tasks'], floor['tasks']),
         '%s s vs %s s vs %s s: **%sx** the wall time of ping, **%sx** that of uri (medians of %d rounds, one run of '
         'each per round)' % (floor['module_seconds'], floor['ping_seconds'], floor['uri_seconds'], floor['ratio'],
                              floor['uri_ratio'], floor['rounds'])),
        ('3. the smtp_relay role over %d hosts (local connection, tier-1 rendering), converged' % fleet['hosts'],
         '%s s, **%d listSmtp**, %d writes' % (fleet['seconds'], fleet['list_calls'], fleet['writes'])),
        ('4. peak memory of one module run against a %d-user account' % memory['account_users'],
         '**%s MB**' % memory['peak_mb']),
    ]
    lines = [
        '# Benchmarks',
        '',
        'Written by `make bench` (tests/bench/bench.py) from its last run; the raw figures are in',
        '[benchmark-results.json](benchmark-results.json). The figures of one run come from one machine in one sitting, against',
        'the bundled simulator over real HTTP, so the ratios compare like with like. Times are medians of %d converged' % results['runs'],
        'runs of `ansible-playbook` (%d CPUs, load average %.2f at the start). A benchmark, not a test: `make test`' % (
            results['cpus'], results['load_average_at_start']),
        'never runs it, and `make bench` exits 1 when a target is missed.',
    ] + ([
        'Figures marked "from an earlier run" were not measured by the last run (`make bench BENCH_FIGURES=...`):',
        'they are that earlier run\'s, on its machine and load.',
    ] if any(results[figure].get('earlier_run') for figure in FIGURES) else []) + [
        '',
        '| Figure | Result |',
        '| --- | --- |',
    ] + ['| %s | %s%s |' % (row + (' (from an earlier run)' if results[figure].get('earlier_run') else '',))
         for row, figure in zip(rows, ('users_vs_loop', 'module_floor', 'role_fleet', 'peak_memory'))] + [
        '',
        '## Targets (issues 7 and 12)',
        '',
    ] + ['- [%s] %s' % ('x' if verdict['met'] else ' ', verdict['target']) for verdict in results['verdicts']] + [
        '',
        '## Why the figures are what they are',
        '',
        '- A converged `users` run is one `listSmtp` for the whole list; the loop pays a module run (fork, Python start,',
        '  one `listSmtp`) per user.',
        '- A module run is mostly Python imports: `ansible.module_utils.basic` (as for ping), then requests and urllib3.',
        '  The client keeps requests\' charset detector out of that import, since it decodes JSON bytes itself.',
        '- The uri task makes the same single POST; its module imports `ansible.module_utils.urls` instead of requests.',
        '- The role reads each host\'s identity on the host, then one host per play batch (the leader of the',
        '  sendclean_smtp_fleet step) provisions all of them on the controller; the file tasks run per host.',
        '',
    ]
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections', required=True, help='collections path holding the staged sendclean.mta')
    parser.add_argument('--python', default=sys.executable, help='the interpreter of the venv with ansible-core')
    parser.add_argument('--runs', type=int, default=3, help='timed runs per figure (the median is reported)')
    parser.add_argument('--out', required=True, help='JSON file for the results')
    parser.add_argument('--summary', required=True, help='Markdown file summarizing them')
    parser.add_argument('--figures', nargs='+', choices=FIGURES, default=list(FIGURES),
                        help='measure only these; the others are kept from --out, marked as from an earlier run')
    args = parser.parse_args()

    results = {}
    if set(args.figures) != set(FIGURES):
        with open(args.out) as handle:
            earlier = json.load(handle)
        results = dict((figure, dict(earlier[figure], earlier_run=True)) for figure in FIGURES if figure not in args.figures)
    measure = {'role_fleet': role_fleet, 'module_floor': module_floor, 'users_vs_loop': users_vs_loop,
               'peak_memory': lambda bench: peak_memory(bench, args.collections)}
    workdir = tempfile.mkdtemp(prefix='sendclean-bench-')
    with Simulator().start(os.path.join(workdir, 'simulator')) as sim:  # its process ends before the rmtree below
        bench = Bench(sim, workdir, args.collections, args.python, args.runs)
        results.update(runs=args.runs, cpus=os.cpu_count(), load_average_at_start=os.getloadavg()[0])
        for figure in FIGURES:
            if figure in args.figures:
                results[figure] = measure[figure](bench)
    shutil.rmtree(workdir)
    results['verdicts'] = verdicts(results)
    with open(args.out, 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write('\n')
    with open(args.summary, 'w') as handle:
        handle.write(summary(results))
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0 if all(verdict['met'] for verdict in results['verdicts']) else 1


if __name__ == '__main__':
    sys.exit(main())
