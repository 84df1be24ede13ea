"""Run `make demo` and check what a newcomer sees (`make demo-check`, part of `make test`).

    python tests/utils/check_demo.py --demo-dir build/demo --log build/demo.log -- make --no-print-directory demo

The demo's output is written to --log (0600: it would hold a leak) and checked against what the demo left in
--demo-dir, read independently of the output: the simulator's account (state.json), the registry
(sendclean-registry.json), and for each host the files rendered and its record of its SMTP users. The checks:

- the command exits 0, every playbook it ran has a PLAY RECAP with failed=0 and unreachable=0, and every step
  whose title promises changed=0 (the reruns) changed nothing;
- the closing summary lists every user of the account with its key, status and limits as the account has them,
  which user each host and sender relays as as the registry and the host's record name it, and the files rendered
  with their modes, and then says where to look next;
- each host's record (etc/sendclean/smtp_relay.json) is a version 2 record, mode 0600 in a 0700 directory, with a
  password for each of its users (it is the host's credentials store);
- the output tells one story: no advice to disable unclaimed users (the demo made them all);
- neither the token nor any SMTP password (the account's, and those in the hosts' records and rendered sasl_passwd
  files) appears;
- `git status --porcelain` shows the same before and after: the demo writes only into ignored build folders.

Exit status 0 only when every check passes; otherwise each failed check is listed, with the end of the output.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'simulator'))

from harness import DEFAULT_TOKEN  # noqa: E402  pylint: disable=wrong-import-position

STEP = re.compile(r'^=== (?P<number>\d+)\. (?P<title>.*) ===$')
PLAYBOOK_COMMAND = re.compile(r'^\$ ansible-playbook ')
RECAP = re.compile(r'^(?P<host>\S+)\s+: ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)')
USER_LINE = re.compile(r'^\s+"msg": "(?P<key>[^"]+): (?P<name>smtp\w+), (?P<status>\w+), total_limit (?P<total>\d+), hourly_limit (?P<hourly>\d+)"$')
HOST_RESULT = re.compile(r'^ok: \[(?P<host>[^\]]+)\] => \{$')
RELAYS_AS = re.compile(r'^\s+"(?P<sender>\S+) relays as (?P<name>\S+)",?$')
FILE_LINE = re.compile(r'^\s+"(?P<path>/\S+) (?P<mode>0[0-7]{3})",?$')
NEXT_STEPS = 'Try it yourself'
INCOHERENT = ('Disable them', 'disable_unclaimed', 'belong to no host')
# The story of docs/examples/: the module playbooks' users, and the role's for each host and sender of the demo inventory.
EXPECTED_KEYS = {'web1', 'web2', 'billing', 'mail1', 'mail1 orders@shop.example', 'mail1 @news.example', 'mail2'}
RELAY_HOSTS = ('mail1', 'mail2')
RECORD = 'etc/sendclean/smtp_relay.json'
RENDERED = {'etc/postfix/main.cf': '0644', 'etc/postfix/sasl_passwd': '0600', RECORD: '0600'}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--demo-dir', required=True, help="the demo's directory (inventory, registry, rendered hosts, simulator state)")
    parser.add_argument('--log', required=True, help='file for the captured output')
    parser.add_argument('command', nargs=argparse.REMAINDER, help='-- the command that runs the demo')
    args = parser.parse_args(argv)
    args.command = args.command[1:] if args.command[:1] == ['--'] else args.command
    if not args.command:
        parser.error('give the command that runs the demo after --')
    return args


def work_tree_status():
    """Each line of `git status --porcelain` (untracked files one by one), with the content's hash of its file.

    The hash catches a demo that writes into a file already changed before it ran.
    """
    status = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=all'], check=False, capture_output=True, text=True)
    if status.returncode != 0:
        sys.exit('demo-check: run it in a git work tree, to compare its status before and after the demo: %s' % status.stderr.strip())
    lines = status.stdout.splitlines()
    return set((line, file_hash(line[3:])) for line in lines)


def file_hash(path):
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def run_demo(command, log_path):
    """Run the demo with its output in log_path; return (exit code, output lines)."""
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    handle = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, 'wb') as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    with open(log_path, encoding='utf-8', errors='replace') as log:
        return code, log.read().splitlines()


def steps(lines):
    """The output cut at the step titles: a list of (number, title, lines)."""
    found = []
    for line in lines:
        match = STEP.match(line)
        if match:
            found.append((int(match.group('number')), match.group('title'), []))
        elif found:
            found[-1][2].append(line)
    return found


def check_steps(code, lines, problems):
    """Exit 0, one passing recap per playbook, changed=0 wherever the title promises it; return the steps."""
    if code != 0:
        problems.append('the demo exited %d' % code)
    found = steps(lines)
    numbers = [number for number, _title, _lines in found]
    if not numbers or numbers != list(range(1, len(numbers) + 1)):
        problems.append('the steps are not numbered 1, 2, ... in order: %s' % numbers)
    for number, title, step_lines in found:
        commands = [line for line in step_lines if PLAYBOOK_COMMAND.match(line)]
        recaps = [line for line in step_lines if line.startswith('PLAY RECAP ')]
        if not commands or len(recaps) != len(commands):
            problems.append('step %d ran %d playbook(s) but shows %d PLAY RECAP(s)' % (number, len(commands), len(recaps)))
        for match in filter(None, map(RECAP.match, step_lines)):
            if match.group('failed') != '0' or match.group('unreachable') != '0':
                problems.append('step %d: %s failed or was unreachable: %s' % (number, match.group('host'), match.group(0)))
            if 'changed=0' in title and match.group('changed') != '0':
                problems.append('step %d promises changed=0, but %s changed %s' % (number, match.group('host'), match.group('changed')))
    return found


def read_json(path, problems):
    try:
        with open(path, encoding='utf-8') as stream:
            return json.load(stream)
    except (OSError, ValueError) as error:
        problems.append('cannot read %s: %s' % (path, error))
        return None


def host_records(demo_dir, problems):
    """Each relay host's record of its SMTP users: ({host: {slot: name}}, [the passwords it holds]).

    The record holds the passwords, so a problem names the file and the slot, never a value."""
    names, passwords = {}, []
    for relay_host in RELAY_HOSTS:
        path = os.path.join(demo_dir, 'root', relay_host, RECORD)
        record = read_json(path, problems)
        if record is None:
            continue
        for target, mode in ((path, 0o600), (os.path.dirname(path), 0o700)):
            actual = os.stat(target).st_mode & 0o7777
            if actual != mode:
                problems.append('%s has mode %04o, not %04o' % (target, actual, mode))
        users = record.get('users') if isinstance(record, dict) and record.get('version') == 2 else None
        if not isinstance(users, dict) \
                or not all(isinstance(user, dict) and isinstance(user.get('name'), str) for user in users.values()):
            problems.append('%s is not a version 2 record ({"version": 2, "users": {slot: {"name", "password", '
                            '"issued"}}})' % path)
            continue
        names[relay_host] = dict((slot, user['name']) for slot, user in users.items())
        passwords += [user['password'] for user in users.values() if user.get('password')]
        missing = sorted(slot for slot, user in users.items() if not user.get('password'))
        if missing:
            problems.append('%s holds no password for %s' % (path, ', '.join(missing)))
    return names, passwords


def check_summary(summary_lines, demo_dir, record_names, problems):
    """The last step's users, relays and files, against the account, the registry, the hosts' records and the
    rendered files.

    Return the number of users it shows."""
    state = read_json(os.path.join(demo_dir, 'state.json'), problems) or {'users': []}
    registry = (read_json(os.path.join(demo_dir, 'sendclean-registry.json'), problems) or {}).get('users', {})
    account = dict((user['smtp_user_name'], user) for user in state['users'])

    shown = dict((match.group('name'), match.groupdict()) for match in filter(None, map(USER_LINE.match, summary_lines)))
    if set(shown) != set(account):
        problems.append('the summary lists users %s, the account has %s' % (sorted(shown), sorted(account)))
    keys = set(registry)
    if keys != EXPECTED_KEYS:
        problems.append('the registry records keys %s, the story makes %s' % (sorted(keys), sorted(EXPECTED_KEYS)))
    for name, line in sorted(shown.items()):
        user = account.get(name, {})
        expected = (registry_key(registry, name), user.get('status'), str(user.get('total_limit')), str(user.get('hourly_limit')))
        if (line['key'], line['status'], line['total'], line['hourly']) != expected:
            problems.append('the summary shows %s as %s, the account and registry say %s'
                            % (name, (line['key'], line['status'], line['total'], line['hourly']), expected))

    relays, files, host = {}, {}, None
    for line in summary_lines:
        host_match, relay_match, file_match = HOST_RESULT.match(line), RELAYS_AS.match(line), FILE_LINE.match(line)
        if host_match:
            host = host_match.group('host')
        elif relay_match and host:
            relays.setdefault(host, {})[relay_match.group('sender')] = relay_match.group('name')
        elif file_match and host:
            files.setdefault(host, {})[file_match.group('path')] = file_match.group('mode')
    expected_relays = {}
    for key, name in registry.items():
        relay_host, sender = (key.split(' ', 1) + ['default'])[:2]
        if relay_host in RELAY_HOSTS:
            expected_relays.setdefault(relay_host, {})[sender] = name
    if relays != expected_relays:
        problems.append('the summary says the hosts relay as %s, the registry records %s' % (relays, expected_relays))
    if relays != record_names:
        problems.append('the summary says the hosts relay as %s, their records name %s' % (relays, record_names))
    expected_files = dict((relay_host, dict((os.path.join(os.path.abspath(demo_dir), 'root', relay_host, path), mode)
                                            for path, mode in RENDERED.items())) for relay_host in RELAY_HOSTS)
    if files != expected_files:
        problems.append('the summary lists the rendered files %s, expected %s' % (files, expected_files))
    for path, mode in sorted(item for host_files in files.values() for item in host_files.items()):
        if not os.path.isfile(path) or '%04o' % (os.stat(path).st_mode & 0o7777) != mode:
            problems.append('%s is not a file of mode %s' % (path, mode))
    if not any(NEXT_STEPS in line for line in summary_lines):
        problems.append('the summary does not say where to look next (%r)' % NEXT_STEPS)
    return len(shown)


def registry_key(registry, name):
    return next((key for key, recorded in registry.items() if recorded == name), '(no key)')


def rendered_passwords(demo_dir):
    """The passwords in the rendered sasl_passwd files (lines `destination user:password`)."""
    passwords = []
    for relay_host in RELAY_HOSTS:
        path = os.path.join(demo_dir, 'root', relay_host, 'etc', 'postfix', 'sasl_passwd')
        if os.path.exists(path):
            with open(path, encoding='utf-8') as stream:
                passwords += [line.strip().split(None, 1)[1].split(':', 1)[1] for line in stream if line.strip()]
    return passwords


def check_secrets(lines, demo_dir, record_passwords, problems):
    """Neither the token nor a password of the account, of the hosts' records or of the rendered files is in the
    output."""
    state = read_json(os.path.join(demo_dir, 'state.json'), problems) or {'users': []}
    passwords = set(user['password'] for user in state['users']) | set(record_passwords) | set(rendered_passwords(demo_dir))
    if len(passwords) < len(EXPECTED_KEYS):
        problems.append('found %d passwords to look for, expected at least %d' % (len(passwords), len(EXPECTED_KEYS)))
    text = '\n'.join(lines)
    if DEFAULT_TOKEN in text:
        problems.append('the token is in the output')
    leaked = sorted(password for password in passwords if password in text)
    if leaked:
        problems.append('%d SMTP password(s) are in the output' % len(leaked))
    return len(passwords)


def main(argv=None):
    args = parse_args(argv)
    before = work_tree_status()
    code, lines = run_demo(args.command, args.log)
    after = work_tree_status()
    problems = []
    found = check_steps(code, lines, problems)
    record_names, record_passwords = host_records(args.demo_dir, problems)
    user_count = check_summary(found[-1][2] if found else [], args.demo_dir, record_names, problems)
    advice = [line.strip() for line in lines if any(text in line for text in INCOHERENT)]
    if advice:
        problems.append('the output advises disabling users the demo made: %s' % advice[0][:300])
    password_count = check_secrets(lines, args.demo_dir, record_passwords, problems)
    if after != before:
        problems.append('the demo changed the work tree outside ignored folders:\n  '
                        + '\n  '.join(sorted(line for line, _hash in after - before) or sorted(line for line, _hash in before - after)))
    if problems:
        sys.stdout.write('\n'.join(lines[-60:]) + '\n')
        sys.stdout.write('demo-check: FAILED (output in %s):\n- %s\n' % (args.log, '\n- '.join(problems)))
        return 1
    print('demo-check: %d steps passed, reruns changed=0, the summary matches the account (%d users), the registry, '
          'the hosts\' records (version 2, 0600) and the rendered files; no unclaimed-user advice; no token or any of '
          '%d passwords in the output; the work tree is unchanged' % (len(found), user_count, password_count))
    return 0


if __name__ == '__main__':
    sys.exit(main())
