"""Benchmarks of sendclean.mta against the simulator (`make bench`; never part of `make test`).

Every figure comes from this machine in one sitting, so the ratios compare like with like:
  1. a converged run of USERS users through the ``users`` option vs a ``loop`` of USERS single-user tasks;
  2. FLOOR_TASKS converged single-user tasks vs as many ``ansible.builtin.ping`` tasks (the module overhead floor)
     and as many ``ansible.builtin.uri`` tasks that only POST listSmtp (what a user would write instead);
  3. the smtp_relay role against relay_play.yml, the relay play a user would write by hand, over each of --role-sizes
     inventory hosts (local connection, rendering into temp roots), converged, with the tasks and module runs per
     host and the time of each task (callback_plugins/sendclean_bench_tasks.py);
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
ROLE_SIZES = (20, 100)
ROLE_TARGET_RATIO = 1.3
# The ratio at the largest size may exceed that at the smallest by this much and still count as not growing: two
# medians of a few runs on a shared machine differ by a few percent with nothing changed.
ROLE_RATIO_NOISE = 1.05
TOP_TASKS = 8
BIG_ACCOUNT = 10000
MODULE = 'sendclean.mta.sendclean_smtp_user'
# Measured in this order, the longest last, so that a broken figure fails early.
FIGURES = ('role_vs_play', 'peak_memory', 'module_floor', 'users_vs_loop')


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

    def run_once(self, playbook, inventory, extra_vars=None, tasks_out=None):
        """One ansible-playbook run: (seconds, requests the simulator counted). With tasks_out, the bench callback
        writes there what the run did per host and per task."""
        self.sim.reset(users=False, counters=True, config=False)
        command = [os.path.join(os.path.dirname(self.python), 'ansible-playbook'), '-c', 'local', '-i', inventory, playbook]
        if extra_vars:
            command += ['-e', json.dumps(extra_vars)]
        env = self.env if tasks_out is None else dict(
            self.env, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='sendclean_bench_tasks', SENDCLEAN_BENCH_TASKS_OUT=tasks_out)
        started = time.monotonic()
        done = subprocess.run(command, env=env, cwd=self.workdir, capture_output=True, text=True, check=False)
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


def relay_roots(bench, name, hosts):
    """A root per host, with etc/postfix as the postfix package leaves it."""
    for host in hosts:
        os.makedirs(bench.path(os.path.join(name, host, 'etc', 'postfix')))
    return bench.path(name)


def role_host_user(root, host):
    """The name of the SMTP user the role recorded on the host (the record holds its password too: never read here)."""
    with open(os.path.join(root, host, 'etc', 'sendclean', 'smtp_relay.json')) as handle:
        return json.load(handle)['users']['default']['name']


def what_the_run_did(tasks_out, hosts, seconds):
    """From the bench callback's file of a run that took `seconds`: tasks and module runs per host (fewest, most),
    and the longest tasks."""
    with open(tasks_out) as handle:
        done = json.load(handle)
    per_host = [done['hosts'].get(host, {'tasks': 0, 'module_runs': 0}) for host in hosts]
    longest = sorted(done['task_seconds'].items(), key=lambda item: -item[1])[:TOP_TASKS]
    return {
        'tasks_per_host': [min(counts['tasks'] for counts in per_host), max(counts['tasks'] for counts in per_host)],
        'module_runs_per_host': [min(counts['module_runs'] for counts in per_host),
                                 max(counts['module_runs'] for counts in per_host)],
        'tasks_total': sum(counts['tasks'] for counts in per_host),
        'module_runs_total': sum(counts['module_runs'] for counts in per_host),
        'seconds': round(seconds, 2),
        # Python start-up, loading ansible-core and the inventory, and ending.
        'outside_playbook_seconds': round(seconds - done['playbook_seconds'], 2),
        'top_tasks': [[name, round(task_seconds, 2)] for name, task_seconds in longest],
    }


def role_vs_play_size(bench, size):
    """One size of figure 3: the converged role against the hand-written play over `size` hosts."""
    bench.sim.reset()  # a fresh account: no other size's users, which the role would report as unclaimed
    hosts = ['relay%03d' % index for index in range(size)]
    prefix = 'relay%d' % size
    role_root = relay_roots(bench, prefix + '-roots', hosts)
    play_root = relay_roots(bench, prefix + '-roots-play', hosts)
    role_inventory = bench.write(prefix + '-role.ini', '[mail_senders]\n%s\n' % '\n'.join(hosts))
    role_playbook = bench.write(prefix + '-role.yml', play('''    - name: Relay through SendClean
      ansible.builtin.include_role:
        name: sendclean.mta.smtp_relay
''', hosts='mail_senders', extra='''  vars:
    smtp_relay_registry: {registry}
    smtp_relay_config_root: "{root}/{{{{ inventory_hostname }}}}"
    smtp_relay_manage_packages: false
    smtp_relay_manage_service: false
    smtp_relay_map_type: texthash
    smtp_relay_host: relay.example.test
'''.format(registry=bench.path(prefix + '-registry.json'), root=role_root)))
    role_out, play_out = bench.path(prefix + '-role-tasks.json'), bench.path(prefix + '-play-tasks.json')
    bench.run_once(role_playbook, role_inventory)  # creates the users and writes the files

    # The play finds each host's user by name, as a user would keep it in the inventory; the role created them.
    play_inventory = bench.write(prefix + '-play.ini', '[mail_senders]\n%s\n' % '\n'.join(
        '%s relay_smtp_user=%s' % (host, role_host_user(role_root, host)) for host in hosts))
    playbook = os.path.join(HERE, 'relay_play.yml')
    play_vars = {'relay_root': play_root, 'relay_host': 'relay.example.test', 'relay_map_type': 'texthash',
                 'relay_manage_service': False}
    bench.run_once(playbook, play_inventory, play_vars)  # writes the files

    # One role run and one play run per round: the machine's speed drifts over minutes (see module_floor).
    rounds = [(bench.run_once(role_playbook, role_inventory, tasks_out=role_out),
               bench.run_once(playbook, play_inventory, play_vars, tasks_out=play_out)) for _round in range(bench.runs)]
    (last_role_seconds, role_counts), (last_play_seconds, play_counts) = rounds[-1]
    return {
        'hosts': size, 'rounds': len(rounds),
        'role_seconds': round(statistics.median(role for (role, _counts), _play in rounds), 2),
        'play_seconds': round(statistics.median(play for _role, (play, _counts) in rounds), 2),
        'ratio': round(statistics.median(role / play for (role, _role_counts), (play, _play_counts) in rounds), 2),
        'list_calls': role_counts['listSmtp'],
        'writes': role_counts['addSmtp'] + role_counts['editSmtp'] + role_counts['resetSmtpPassword'],
        'play_list_calls': play_counts['listSmtp'],
        # Of the last round's runs, both converged.
        'role_run': what_the_run_did(role_out, hosts, last_role_seconds),
        'play_run': what_the_run_did(play_out, hosts, last_play_seconds),
    }


def role_vs_play(bench, sizes):
    """Figure 3: the smtp_relay role against the hand-written relay_play.yml, converged, at each size."""
    return {'sizes': [role_vs_play_size(bench, size) for size in sizes]}


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


def role_vs_play_verdicts(figure):
    sizes = figure['sizes']
    checks = []
    for size in sizes:
        checks += [
            ('role over %d hosts: at most %sx the hand-written play' % (size['hosts'], ROLE_TARGET_RATIO),
             size['ratio'] <= ROLE_TARGET_RATIO),
            ('role over %d hosts: 1 listSmtp and 0 writes per converged run' % size['hosts'],
             size['list_calls'] == 1 and size['writes'] == 0),
        ]
    if len(sizes) > 1:
        smallest, largest = sizes[0], sizes[-1]
        target = ('role vs play: the ratio does not grow from %d to %d hosts (at most %sx the ratio at %d hosts, for the '
                  'noise of the medians)' % (smallest['hosts'], largest['hosts'], ROLE_RATIO_NOISE, smallest['hosts']))
        checks.append((target, largest['ratio'] <= smallest['ratio'] * ROLE_RATIO_NOISE))
    return checks


def verdicts(results):
    """Each target of the scale issues, met or not, from the figures."""
    checks = [
        ('users option: 1 request when converged', results['users_vs_loop']['users_option_requests'] == 1),
        ('users option at least 50x faster than the loop', results['users_vs_loop']['speedup'] >= 50),
        ('single-user task at most 1.4x a ping task', results['module_floor']['ratio'] <= 1.4),
        ('single-user task at most 1.0x a uri task that lists the users', results['module_floor']['uri_ratio'] <= 1.0),
        ('10,000-user account under 100 MB', results['peak_memory']['peak_mb'] < 100),
    ] + role_vs_play_verdicts(results['role_vs_play'])
    return [{'target': target, 'met': met} for target, met in checks]


def span(low_high):
    low, high = low_high
    return str(low) if low == high else '%d-%d' % (low, high)


def where_the_time_goes(sizes):
    """The section of docs/benchmarks.md on what one converged run of each side did, per size."""
    lines = [
        '## Where the time goes in a converged role run',
        '',
        'One converged run of each side per size (the last round\'s), as tests/bench/callback_plugins/sendclean_bench_tasks.py',
        'counted it: the tasks that ran on a host (ok or changed; skipped ones not counted) and, of those, the ones that',
        'ran a module on the host (not set_fact, assert, debug, include_*, the role\'s steps that run on the controller and',
        'other controller-only actions). Where two figures are given, the host that ran a run_once task did more. A',
        'task\'s seconds are wall time from its start to the next task\'s start, all hosts together; a skipped task',
        'costs time too (a worker per host evaluates its condition), though it is not counted as run.',
    ]
    for size in sizes:
        role, play = size['role_run'], size['play_run']
        lines += [
            '',
            '### %d hosts' % size['hosts'],
            '',
            '| One converged run | smtp_relay role | hand-written play |',
            '| --- | --- | --- |',
            '| tasks that ran, per host | %s | %s |' % (span(role['tasks_per_host']), span(play['tasks_per_host'])),
            '| of those, module runs on the host, per host | %s | %s |' % (
                span(role['module_runs_per_host']), span(play['module_runs_per_host'])),
            '| all hosts: tasks, module runs | %d, %d | %d, %d |' % (
                role['tasks_total'], role['module_runs_total'], play['tasks_total'], play['module_runs_total']),
            '| seconds of this run | %s | %s |' % (role['seconds'], play['seconds']),
            '| of those, before the first play and after the last (Python start-up, loading ansible-core and the inventory) '
            '| %s | %s |' % (role['outside_playbook_seconds'], play['outside_playbook_seconds']),
            '',
            'Longest tasks of the role run:',
            '',
        ] + ranked_tasks(role) + [
            '',
            'Tasks of the play run:',
            '',
        ] + ranked_tasks(play)
    return lines + ['']


def ranked_tasks(run):
    """The longest tasks of a run, then the time of all its other tasks (skipped ones too) together."""
    lines = ['%d. %s: %s s' % (rank, name, seconds) for rank, (name, seconds) in enumerate(run['top_tasks'], 1)]
    others = run['seconds'] - run['outside_playbook_seconds'] - sum(seconds for _name, seconds in run['top_tasks'])
    if len(run['top_tasks']) == TOP_TASKS:
        lines.append('- all the other tasks of the run, skipped ones included: %.2f s' % others)
    return lines


def summary(results):
    """docs/benchmarks.md: the figures of one run as a table, with the targets they meet or miss."""
    loop, floor, memory = (results[key] for key in ('users_vs_loop', 'module_floor', 'peak_memory'))
    rows = [
        ('users_vs_loop', '1. %d converged users: `users` option vs a `loop` of single-user tasks' % loop['users'],
         '%s s, %d request(s) vs %s s, %d requests: **%sx** faster' % (
             loop['users_option_seconds'], loop['users_option_requests'], loop['loop_seconds'], loop['loop_requests'],
             loop['speedup'])),
        ('module_floor', '2. %d converged single-user tasks vs %d `ansible.builtin.ping` tasks vs %d `ansible.builtin.uri` '
         'tasks that POST listSmtp' % (floor['tasks'], floor['tasks'], floor['tasks']),
         '%s s vs %s s vs %s s: **%sx** the wall time of ping, **%sx** that of uri (medians of %d rounds, one run of '
         'each per round)' % (floor['module_seconds'], floor['ping_seconds'], floor['uri_seconds'], floor['ratio'],
                              floor['uri_ratio'], floor['rounds'])),
    ] + [
        ('role_vs_play', '3. the smtp_relay role vs the hand-written relay play ([tests/bench/relay_play.yml]'
         '(../tests/bench/relay_play.yml)) over %d hosts (local connection, tier-1 rendering), converged' % size['hosts'],
         'role %s s vs play %s s: **%sx** (median of %d rounds, one run of each per round); the role: **%d listSmtp**, '
         '%d writes; the play: %d listSmtp' % (size['role_seconds'], size['play_seconds'], size['ratio'], size['rounds'],
                                               size['list_calls'], size['writes'], size['play_list_calls']))
        for size in results['role_vs_play']['sizes']
    ] + [
        ('peak_memory', '4. peak memory of one module run against a %d-user account' % memory['account_users'],
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
    ] + ['| %s | %s%s |' % (label, text, ' (from an earlier run)' if results[figure].get('earlier_run') else '')
         for figure, label, text in rows] + [
        '',
        '## Targets (issues 7, 12 and 14)',
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
        '- The role reads each host once, on the host (sendclean_relay_facts); then each host ensures its own SMTP users',
        '  on the controller (sendclean_relay_users), the hosts of a play batch sharing one listSmtp, and its Postfix',
        '  configuration is planned on the controller too (sendclean_relay_postfix); only a file that differs is written.',
        '- The hand-written play is what a user would write for hosts whose users exist: one `uri` POST to listSmtp',
        '  (run_once), then per host a template for main.cf and one for the 0600 sasl_passwd, each host\'s user named in',
        '  the inventory, postmap and a reload as handlers. It checks nothing before a reload and keeps no record of the',
        '  host\'s user; it is the floor the role\'s converged run is held to.',
        '- On a local connection as over ssh, a task that runs a module costs each host a worker and a Python start, and',
        '  every task, skipped or not, a worker per host that evaluates it: the converged run is as fast as the tasks it',
        '  runs per host are few (below).',
        '',
    ] + where_the_time_goes(results['role_vs_play']['sizes'])
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
    parser.add_argument('--role-sizes', nargs='+', type=int, default=list(ROLE_SIZES),
                        help='host counts of the role_vs_play figure, smallest first (a quick run: --role-sizes 4)')
    args = parser.parse_args()

    results = {}
    if set(args.figures) != set(FIGURES):
        with open(args.out) as handle:
            earlier = json.load(handle)
        missing = [figure for figure in FIGURES if figure not in args.figures and figure not in earlier]
        if missing:
            raise SystemExit('%s has no figure of %s from an earlier run: measure it too' % (args.out, ', '.join(missing)))
        results = dict((figure, dict(earlier[figure], earlier_run=True)) for figure in FIGURES if figure not in args.figures)
    measure = {'role_vs_play': lambda bench: role_vs_play(bench, sorted(args.role_sizes)), 'module_floor': module_floor, 'users_vs_loop': users_vs_loop,
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
