"""Benchmarks of sendclean.mta against the simulator (`make bench`; never part of `make test`).

Every figure comes from this machine in one sitting, so the ratios compare like with like:
  1. a converged run of USERS users through the ``users`` option vs a ``loop`` of USERS single-user tasks;
  2. FLOOR_TASKS converged single-user tasks vs as many ``ansible.builtin.ping`` tasks (the module overhead floor)
     and as many ``ansible.builtin.uri`` tasks that only POST listSmtp (what a user would write instead);
  3. the smtp_relay role over each of --role-sizes inventory hosts (local connection, rendering into temp roots),
     converged, against relay_play.yml (the relay play a user would write by hand) and against a play that only
     runs ansible.builtin.ping on the same hosts (the floor of any fleet run), with the tasks and module runs per
     host and the time of each task (callback_plugins/sendclean_bench_tasks.py); a first run of the role (empty
     account, fresh roots: every user and file created) against the same two plays; and, over the largest size,
     the listSmtp calls of a first and a converged run under the free strategy;
  4. peak memory of one module run against an account of BIG_ACCOUNT users.
Times are medians of --runs converged runs (after one untimed run that converges), or of --runs first runs. The
results go to --out as JSON and are printed; --summary writes docs/benchmarks.md from them. --figures measures only
some figures and keeps the others from --out, marked as measured by an earlier run.
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
from sendclean_simulator import WRITE_CALLS  # noqa: E402  pylint: disable=wrong-import-position

USERS = 1000
FLOOR_TASKS = 50
FLOOR_PAIRS = 5  # at least; each pair takes about 40 s
ROLE_SIZES = (20, 100)
ROLE_TARGET_RATIO = 1.0  # the converged role against the hand-written relay play
ROLE_PING_TARGET_RATIO = 2.0  # the converged role against the ping play
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
        self.collections = collections
        self.runs = runs
        self.python = python
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=python,
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                        **sim.environment())

    def against(self, sim):
        """The same bench against another simulator: another account, with its own request counts."""
        return Bench(sim, self.workdir, self.collections, self.python, self.runs)

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


def relay_hosts(size):
    return ['relay%03d' % index for index in range(size)]


def relay_inventory(bench, name, lines):
    """An inventory of the mail_senders group, one line per host."""
    return bench.write(name, '[mail_senders]\n%s\n' % '\n'.join(lines))


def relay_roots(bench, name, hosts):
    """A root per host, with etc/postfix as the postfix package leaves it."""
    for host in hosts:
        os.makedirs(bench.path(os.path.join(name, host, 'etc', 'postfix')))
    return bench.path(name)


def role_playbook(bench, name, root, strategy='linear'):
    """The smtp_relay role over the mail_senders hosts, as the role's README plays it (roles:), rendering into
    root/<host>, with its own registry."""
    return bench.write(name + '.yml', '''- hosts: mail_senders
  gather_facts: false
  strategy: {strategy}
  vars:
    smtp_relay_registry: {registry}
    smtp_relay_config_root: "{root}/{{{{ inventory_hostname }}}}"
    smtp_relay_manage_packages: false
    smtp_relay_manage_service: false
    smtp_relay_map_type: texthash
    smtp_relay_host: relay.example.test
  roles:
    - sendclean.mta.smtp_relay
'''.format(strategy=strategy, registry=bench.path(name + '-registry.json'), root=root))


def fresh_role_playbook(bench, name, hosts, strategy='linear'):
    """The role's playbook for a first run: the account emptied, fresh roots and a fresh registry."""
    bench.sim.reset()
    return role_playbook(bench, name, relay_roots(bench, name + '-roots', hosts), strategy)


def role_host_user(root, host):
    """The name of the SMTP user the role recorded on the host (the record holds its password too: never read here)."""
    with open(os.path.join(root, host, 'etc', 'sendclean', 'smtp_relay.json')) as handle:
        return json.load(handle)['users']['default']['name']


def writes(counts):
    return sum(counts[call] for call in WRITE_CALLS)


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


def median_seconds(rounds, run):
    return round(statistics.median(timed[run][0] for timed in rounds), 2)


def median_ratio(rounds, run, base):
    """The median of the per-round ratios: the runs of a round are minutes apart at most (see module_floor)."""
    return round(statistics.median(timed[run][0] / timed[base][0] for timed in rounds), 2)


def role_vs_play_size(bench, first_bench, size):
    """One size of figure 3 over `size` hosts: the converged role against the hand-written play and the ping play,
    and a first run of the role (on first_bench, whose account is emptied before each) against the same plays."""
    bench.sim.reset()  # a fresh account: no other size's users, which the role would report as unclaimed
    hosts = relay_hosts(size)
    prefix = 'relay%d' % size
    inventory = relay_inventory(bench, prefix + '-role.ini', hosts)
    role_root = relay_roots(bench, prefix + '-roots', hosts)
    converged_playbook = role_playbook(bench, prefix + '-role', role_root)
    # The floor of any fleet run: one module run per host, on the same hosts, connection, interpreter and forks.
    ping_playbook = bench.write(prefix + '-ping.yml', play('''    - name: Ping
      ansible.builtin.ping:
''', hosts='mail_senders'))
    tasks_out = dict((run, bench.path('%s-%s-tasks.json' % (prefix, run))) for run in ('role', 'play', 'ping', 'first'))
    bench.run_once(converged_playbook, inventory)  # creates the users and writes the files

    # The play finds each host's user by name, as a user would keep it in the inventory; the role created them.
    play_inventory = relay_inventory(bench, prefix + '-play.ini', [
        '%s relay_smtp_user=%s' % (host, role_host_user(role_root, host)) for host in hosts])
    relay_playbook = os.path.join(HERE, 'relay_play.yml')
    play_vars = {'relay_root': relay_roots(bench, prefix + '-roots-play', hosts), 'relay_host': 'relay.example.test',
                 'relay_map_type': 'texthash', 'relay_manage_service': False}
    bench.run_once(relay_playbook, play_inventory, play_vars)  # writes the files

    # One run of each kind per round, each round's ratios taken within it: the machine's speed drifts over minutes.
    rounds = [{
        'role': bench.run_once(converged_playbook, inventory, tasks_out=tasks_out['role']),
        'play': bench.run_once(relay_playbook, play_inventory, play_vars, tasks_out=tasks_out['play']),
        'ping': bench.run_once(ping_playbook, inventory, tasks_out=tasks_out['ping']),
        'first': first_bench.run_once(fresh_role_playbook(first_bench, '%s-first%d' % (prefix, number), hosts),
                                      inventory, tasks_out=tasks_out['first']),
    } for number in range(bench.runs)]
    last = rounds[-1]
    return {
        'hosts': size, 'rounds': len(rounds),
        'role_seconds': median_seconds(rounds, 'role'),
        'play_seconds': median_seconds(rounds, 'play'),
        'ping_seconds': median_seconds(rounds, 'ping'),
        'ratio': median_ratio(rounds, 'role', 'play'),
        'ping_ratio': median_ratio(rounds, 'role', 'ping'),
        'list_calls': last['role'][1]['listSmtp'],
        'writes': writes(last['role'][1]),
        'play_list_calls': last['play'][1]['listSmtp'],
        'first_run': {
            'seconds': median_seconds(rounds, 'first'),
            'play_ratio': median_ratio(rounds, 'first', 'play'),
            'ping_ratio': median_ratio(rounds, 'first', 'ping'),
            'requests': last['first'][1],  # of the last round's first run
        },
        # Of the last round's runs.
        'role_run': what_the_run_did(tasks_out['role'], hosts, last['role'][0]),
        'play_run': what_the_run_did(tasks_out['play'], hosts, last['play'][0]),
        'ping_run': what_the_run_did(tasks_out['ping'], hosts, last['ping'][0]),
        'first_role_run': what_the_run_did(tasks_out['first'], hosts, last['first'][0]),
    }


def free_strategy(bench, size):
    """The requests of one first run of the role under the free strategy over `size` hosts, then of one converged
    run after it: the hosts do not wait for each other, yet they are to share the account's listing."""
    hosts = relay_hosts(size)
    name = 'relay%d-free' % size
    inventory = relay_inventory(bench, name + '.ini', hosts)
    playbook = fresh_role_playbook(bench, name, hosts, strategy='free')
    first_counts = bench.run_once(playbook, inventory)[1]
    converged_counts = bench.run_once(playbook, inventory)[1]
    return {'hosts': size, 'first_run_requests': first_counts, 'converged_run_requests': converged_counts}


def role_vs_play(bench, sizes):
    """Figure 3: the smtp_relay role against the hand-written relay_play.yml and a ping play at each size, converged
    and in a first run, and its listSmtp calls under the free strategy over the largest size."""
    # First runs need an empty account before each, while the converged runs keep theirs: a second simulator.
    with Simulator().start(bench.path('simulator-first-runs')) as sim:
        first_bench = bench.against(sim)
        return {'sizes': [role_vs_play_size(bench, first_bench, size) for size in sizes],
                'free': free_strategy(first_bench, sizes[-1])}


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
    checks = []
    for size in figure['sizes']:
        checks += [
            ('role over %d hosts: at most %sx the hand-written play' % (size['hosts'], ROLE_TARGET_RATIO),
             size['ratio'] <= ROLE_TARGET_RATIO),
            ('role over %d hosts: at most %sx the ping play' % (size['hosts'], ROLE_PING_TARGET_RATIO),
             size['ping_ratio'] <= ROLE_PING_TARGET_RATIO),
            ('role over %d hosts: 1 listSmtp and 0 writes per converged run' % size['hosts'],
             size['list_calls'] == 1 and size['writes'] == 0),
        ]
    free = figure['free']
    first_lists, converged_lists = (free[run]['listSmtp'] for run in ('first_run_requests', 'converged_run_requests'))
    checks.append(('role under strategy free over %d hosts: fewer listSmtp than hosts (%d in a first run, %d in a '
                   'converged run) and 0 writes in the converged run' % (free['hosts'], first_lists, converged_lists),
                   first_lists < free['hosts'] and converged_lists < free['hosts']
                   and writes(free['converged_run_requests']) == 0))
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
    """The section of docs/benchmarks.md on what one converged run of each kind did, per size, and where the time of a
    first role run went."""
    lines = [
        '## Where the time goes in a converged role run',
        '',
        'One converged run of each kind per size (the last round\'s), as tests/bench/callback_plugins/sendclean_bench_tasks.py',
        'counted it: the tasks that ran on a host (ok or changed; skipped ones not counted) and, of those, the ones that',
        'ran a module on the host (not set_fact, assert, debug, include_*, the role\'s steps that run on the controller and',
        'other controller-only actions). Where two figures are given, the host that ran a run_once task did more. A',
        'task\'s seconds are wall time from its start to the next task\'s start, all hosts together; a skipped task',
        'costs time too (a worker per host evaluates its condition), though it is not counted as run. The first role',
        'run (the last round\'s) is given by its longest tasks only: its SendClean step also writes each host\'s record',
        'by running a module on the host from the controller, which the callback does not see as a task.',
    ]
    for size in sizes:
        runs = (size['role_run'], size['play_run'], size['ping_run'])
        lines += [
            '',
            '### %d hosts' % size['hosts'],
            '',
            '| One converged run | smtp_relay role | hand-written play | ping play |',
            '| --- | --- | --- | --- |',
            '| tasks that ran, per host | %s | %s | %s |' % tuple(span(run['tasks_per_host']) for run in runs),
            '| of those, module runs on the host, per host | %s | %s | %s |' % tuple(
                span(run['module_runs_per_host']) for run in runs),
            '| all hosts: tasks, module runs | %s | %s | %s |' % tuple(
                '%d, %d' % (run['tasks_total'], run['module_runs_total']) for run in runs),
            '| seconds of this run | %s | %s | %s |' % tuple(run['seconds'] for run in runs),
            '| of those, before the first play and after the last (Python start-up, loading ansible-core and the inventory) '
            '| %s | %s | %s |' % tuple(run['outside_playbook_seconds'] for run in runs),
            '',
            'Longest tasks of the role run:',
            '',
        ] + ranked_tasks(size['role_run']) + [
            '',
            'Tasks of the play run:',
            '',
        ] + ranked_tasks(size['play_run']) + [
            '',
            'Longest tasks of the first role run (%s s, all creates):' % size['first_role_run']['seconds'],
            '',
        ] + ranked_tasks(size['first_role_run'])
    return lines + ['']


def ranked_tasks(run):
    """The longest tasks of a run, then the time of all its other tasks (skipped ones too) together."""
    lines = ['%d. %s: %s s' % (rank, name, seconds) for rank, (name, seconds) in enumerate(run['top_tasks'], 1)]
    others = run['seconds'] - run['outside_playbook_seconds'] - sum(seconds for _name, seconds in run['top_tasks'])
    if len(run['top_tasks']) == TOP_TASKS:
        lines.append('- all the other tasks of the run, skipped ones included: %.2f s' % others)
    return lines


def request_counts(counts):
    return ', '.join('%d %s' % (counts[call], call) for call in ('listSmtp',) + WRITE_CALLS)


def role_vs_play_rows(figure):
    """The rows of figure 3 in docs/benchmarks.md: per size, the converged role and its first run against the two
    plays; then the free strategy."""
    rows = []
    for size in figure['sizes']:
        first = size['first_run']
        rows += [
            ('role_vs_play', '3. the smtp_relay role vs the hand-written relay play ([tests/bench/relay_play.yml]'
             '(../tests/bench/relay_play.yml)) vs a play that only runs `ansible.builtin.ping`, over %d hosts (local '
             'connection, tier-1 rendering), converged' % size['hosts'],
             'role %s s vs play %s s vs ping %s s: **%sx** the play, **%sx** ping (medians of %d rounds, one run of each '
             'per round, of the per-round ratios); the role: **%d listSmtp**, %d writes; the play: %d listSmtp' % (
                 size['role_seconds'], size['play_seconds'], size['ping_seconds'], size['ratio'], size['ping_ratio'],
                 size['rounds'], size['list_calls'], size['writes'], size['play_list_calls'])),
            ('role_vs_play', '3. a first run of the role over %d hosts (empty account, fresh roots: every user and file '
             'created) vs the same two plays' % size['hosts'],
             'first run %s s: **%sx** the play, **%sx** ping (medians of the same %d rounds, one first run per round); '
             'requests of a first run: %s' % (first['seconds'], first['play_ratio'], first['ping_ratio'], size['rounds'],
                                              request_counts(first['requests']))),
        ]
    free = figure['free']
    return rows + [
        ('role_vs_play', '3. the role under `strategy: free` over %d hosts: a first run, then a converged run' % free['hosts'],
         'first run: %s; converged run: %s; one run of each' % (
             request_counts(free['first_run_requests']), request_counts(free['converged_run_requests']))),
    ]


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
    ] + role_vs_play_rows(results['role_vs_play']) + [
        ('peak_memory', '4. peak memory of one module run against a %d-user account' % memory['account_users'],
         '**%s MB**' % memory['peak_mb']),
    ]
    lines = [
        '# Benchmarks',
        '',
        'Written by `make bench` (tests/bench/bench.py) from its last run; the raw figures are in',
        '[benchmark-results.json](benchmark-results.json). The figures of one run come from one machine in one sitting, against',
        'the bundled simulator over real HTTP, so the ratios compare like with like. Times are medians of %d runs of' % results['runs'],
        '`ansible-playbook`, converged unless a first run is named (%d CPUs, load average %.2f at the start). A' % (
            results['cpus'], results['load_average_at_start']),
        'benchmark, not a test: `make test` never runs it, and `make bench` exits 1 when a target is missed.',
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
        '## Targets (issues 7, 12, 14 and 19)',
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
        '  configuration is planned on the controller too (sendclean_relay_plan); only a file that differs is written.',
        '- The hand-written play is what a user would write for hosts whose users exist: one `uri` POST to listSmtp',
        '  (run_once), then per host a template for main.cf and one for the 0600 sasl_passwd, each host\'s user named in',
        '  the inventory, postmap and a reload as handlers. It checks nothing before a reload and keeps no record of the',
        '  host\'s user; the role\'s converged run is held to at most its time.',
        '- The ping play runs `ansible.builtin.ping` once on each host, with the same inventory, connection, interpreter',
        '  and forks: one module run per host and nothing else, the floor of any fleet run. A converged role run, which',
        '  needs one module run per host (its read), is held to at most twice its time.',
        '- A first run starts from an empty account, a fresh registry and fresh roots: it creates each host\'s user',
        '  (one `addSmtp` with one-off limits, by which a create whose reply was lost is recognised, then one `editSmtp`',
        '  to the wanted limits), writes each host\'s record (a module run on the host) and every file. Its account is',
        '  another simulator\'s, emptied before each first run, so that the converged runs keep theirs; it is timed in',
        '  the same rounds as the plays and compared within each round.',
        '- Under the `free` strategy the hosts do not wait for each other; those of a play batch still share one listing',
        '  of the account, kept in a file in the run\'s own temporary directory: the first host to get its lock lists',
        '  the account, the others read it and add what they changed.',
        '- On a local connection as over ssh, a task that runs a module costs each host a worker and a Python start, and',
        '  every task, skipped or not, a worker per host that evaluates it: the converged run is as fast as the tasks it',
        '  runs per host are few (below). So the steps after the plan (packages, files, checks, service) are one',
        '  include that a converged host skips at once, and the role runs as its README plays it (`roles:`), without',
        '  an include_role task of its own.',
        '- The read imports what a ping imports and little more: it learns the OS family from /etc/os-release through the',
        '  distro library AnsibleModule has loaded, not through setup\'s collector, whose import loads every fact',
        '  collector (about 0.1 s a host on this machine).',
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
