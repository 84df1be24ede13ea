"""Secrets audit: run every integration target at -vvv with --diff, capture all output, and look for secrets in it.

The secrets are the account token and every SMTP password the simulator issued during the run (rotated-away ones
too: the simulator's /_sim/issued-secrets keeps them all). A secret anywhere in the output is a leak, except a
password in the output of a task that deliberately sets return_password without no_log (listed separately, and
only for passwords: the token never has an excuse). Warnings, failure messages and diffs are part of the output,
so they are covered.

Run from a staged collection (ansible_collections/sendclean/mta), as tests/utils/audit_lanes.py does:

    python tests/utils/secrets_audit.py --log ../../../../secrets-audit.log [TARGET...]

Exit status 0 only when ansible-test passed, the simulator issued at least one password, and there are no leaks.
"""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'simulator'))

from harness import Simulator, integration_config_yaml  # noqa: E402  pylint: disable=wrong-import-position
from sendclean_simulator import write_file_atomically  # noqa: E402  pylint: disable=wrong-import-position

TASK_HEADER = re.compile(r'^(TASK|RUNNING HANDLER) \[(?P<name>.*)\]')
DELIBERATE = re.compile(r'"return_password": true')
CONFIG_PATH = os.path.join('tests', 'integration', 'integration_config.yml')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--log', required=True, help='file for the captured output (written 0600: it may hold a leak)')
    parser.add_argument('--workdir', default=os.path.join('tests', 'output', 'secrets-audit'), help='simulator workdir')
    parser.add_argument('--python', default='3.11', help='the Python version ansible-test runs the targets with')
    parser.add_argument('--allow-destructive', action='store_true', help='also run targets that change the host')
    parser.add_argument('--allow-disabled', action='store_true', help='also run targets marked disabled (named ones)')
    parser.add_argument('--var', action='append', default=[], metavar='NAME=VALUE',
                        help='one more variable of the integration config, for targets that need it')
    parser.add_argument('--exclude', action='append', default=[], metavar='TARGET', help='leave this target out')
    parser.add_argument('targets', nargs='*', help='integration targets (default: all)')
    return parser.parse_args(argv)


def run_targets(sim, args):
    """Run ansible-test integration against the simulator; return (exit code, captured lines)."""
    extra = dict(var.split('=', 1) for var in args.var)
    write_file_atomically(CONFIG_PATH, integration_config_yaml(dict(sim.integration_config(), **extra)))
    # --continue-on-error: a failing target must not keep the later ones out of the audit (the exit code still tells).
    command = ['ansible-test', 'integration', '--local', '--python', args.python, '--color', 'no', '--diff', '-vvv',
               '--continue-on-error']
    command += ['--allow-destructive'] if args.allow_destructive else []
    command += ['--allow-disabled'] if args.allow_disabled else []
    command += [option for target in args.exclude for option in ('--exclude', target)]
    command += args.targets
    handle = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, 'wb') as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **sim.environment()))
    with open(args.log, encoding='utf-8', errors='replace') as log:
        return code, log.read().splitlines()


def scan(lines, token, passwords):
    """Leaks as (line number, task, what) and deliberate exposures as (task, count); never the secret itself."""
    leaks, deliberate = [], {}
    task, task_start = '(before the first task)', 0
    deliberate_tasks = set()
    # First pass: which task sections carry a module call with return_password: true (shown because not no_log).
    for number, line in enumerate(lines):
        header = TASK_HEADER.match(line)
        if header:
            task, task_start = header.group('name'), number
        if DELIBERATE.search(line):
            deliberate_tasks.add(task_start)
    task, task_start = '(before the first task)', 0
    for number, line in enumerate(lines):
        header = TASK_HEADER.match(line)
        if header:
            task, task_start = header.group('name'), number
        if token in line:
            leaks.append((number + 1, task, 'the token'))
        for password in passwords:
            if password in line:
                if task_start in deliberate_tasks:
                    deliberate[task] = deliberate.get(task, 0) + 1
                else:
                    leaks.append((number + 1, task, 'an SMTP password'))
    return leaks, deliberate


def show_failures(lines):
    """Print what failed (ansible-test's own lines and each failed task with what follows it), never a whole -vvv log."""
    for number, line in enumerate(lines):
        if line.startswith(('fatal:', 'FATAL:', 'ERROR:')) or line.startswith('[ERROR]'):
            print('\n'.join(lines[max(0, number - 3):number + 25]))
            print('...')


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    with Simulator().start(args.workdir) as sim:
        code, lines = run_targets(sim, args)
        passwords = sorted(set(sim.issued_secrets()))
        token = sim.token
    leaks, deliberate = scan(lines, token, passwords)
    if code:
        show_failures(lines)
    print('secrets audit: ansible-test integration --diff -vvv exited %d; output in %s' % (code, args.log))
    print('secrets audit: scanned lines: %d; secrets looked for: the token and %d SMTP passwords issued'
          % (len(lines), len(passwords)))
    for task, count in sorted(deliberate.items()):
        print('secrets audit: deliberate exposure (return_password without no_log): %d line(s) in task "%s"' % (count, task))
    for number, task, what in leaks[:50]:
        print('secrets audit: LEAK of %s at line %d, task "%s"' % (what, number, task))
    print('secrets audit: leaks: %d' % len(leaks))
    if not passwords:
        print('secrets audit: the simulator issued no password, so the audit proved nothing')
        return 1
    return 1 if code or leaks else 0


if __name__ == '__main__':
    sys.exit(main())
