"""Run the smtp_relay role as AWX / Ansible Automation Platform jobs run it (`make awx-check`).

AWX runs each job through ansible-runner in a private data directory of its own, made afresh for the job: the
project, the inventory, and the environment its credentials inject. So nothing a job leaves on the controller
(such as a registry file next to the inventory) is there for the next job; only the managed hosts keep their disks.

This check starts the SendClean simulator, builds the credential's environment variables from the credential type
the collection ships (extensions/awx/credential_type.yml), rendering its injectors as AWX does, and runs the same
job twice, each in a new private data directory: two hosts with a local connection, the role rendering into a
directory per host that persists between the jobs (the hosts' disks), the collection found through
ANSIBLE_COLLECTIONS_PATH (the staged collection, as an execution environment has it installed). It fails unless

- both jobs are successful, the first creates exactly one SendClean user per host, and the second reports
  changed=0 for every host, creates no user and writes nothing at SendClean;
- after each job, each host's record of its SMTP users (etc/sendclean/smtp_relay.json, version 2, which holds the
  passwords) is mode 0600 in a 0700 directory, and names one user per host, the users the account holds;
- no job event and no job output (artifacts/<job>/job_events/*.json, stdout, stderr) holds the token or any SMTP
  password: those the simulator issued, and those the hosts' records and sasl_passwd files hold.

The credentials reach the jobs only through the credential type: SENDCLEAN_* and ANSIBLE_* variables of this
process's environment are dropped first.
"""

import argparse
import glob
import grp
import json
import os
import pwd
import re
import shutil
import sys

import ansible_runner
import yaml
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

CREDENTIAL_TYPE = os.path.join('extensions', 'awx', 'credential_type.yml')
RECORD = os.path.join('etc', 'sendclean', 'smtp_relay.json')
APP_DOMAIN = 'us1-mta1.sendclean.net'
HOSTS = ('web1', 'web2')
PLAYBOOK = '''---
- name: Relay the mail senders through SendClean
  hosts: mail_senders
  gather_facts: false
  roles:
    - role: sendclean.mta.smtp_relay
'''
JOBS = 2


class CheckFailed(Exception):
    """One check failed."""


def check(condition, message):
    """Raise CheckFailed with message unless condition holds."""
    if not condition:
        raise CheckFailed(message)


def credential_environment(path, inputs):
    """The environment variables a credential with these inputs injects, from the credential type at path.

    As AWX: the type must declare each input it is given and each one its injectors use, the token must be secret,
    and each injector is rendered in a Jinja2 sandbox with the credential's inputs (an input not given renders empty).
    """
    with open(path, encoding='utf-8') as stream:
        credential_type = yaml.safe_load(stream)
    fields = dict((field['id'], field) for field in credential_type['inputs']['fields'])
    check(len(fields) == len(credential_type['inputs']['fields']), '%s declares a field twice' % path)
    check(set(credential_type['inputs'].get('required', [])) <= set(fields), '%s requires a field it does not declare' % path)
    check(set(inputs) <= set(fields), '%s does not declare the inputs %s' % (path, sorted(set(inputs) - set(fields))))
    check(fields['token'].get('secret') is True, '%s does not mark the token secret' % path)
    check(credential_type['kind'] in ('cloud', 'net'), '%s: a custom credential type is of kind cloud or net' % path)
    sandbox = ImmutableSandboxedEnvironment()
    environment = {}
    for variable, template in credential_type['injectors']['env'].items():
        check(not variable.startswith('ANSIBLE_'), '%s injects %s: AWX reserves ANSIBLE_* variables' % (path, variable))
        unknown = meta.find_undeclared_variables(sandbox.parse(template)) - set(fields)
        check(not unknown, '%s: the injector of %s uses undeclared fields %s' % (path, variable, sorted(unknown)))
        environment[variable] = sandbox.from_string(template).render(**inputs)
    return environment


def write(path, text, mode=0o644):
    """Write text to path (parent directories made), with mode."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), 'w', encoding='utf-8') as stream:
        stream.write(text)


def inventory(hosts_dir):
    """The job's inventory: the hosts render into their own directory under hosts_dir, without packages or service."""
    variables = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,  # the venv's Python, which has requests
        'smtp_relay_config_root': hosts_dir + '/{{ inventory_hostname }}',
        'smtp_relay_manage_packages': False,
        'smtp_relay_manage_service': False,
        'smtp_relay_map_type': 'texthash',
    }
    if os.geteuid() != 0:
        variables.update(smtp_relay_config_owner=pwd.getpwuid(os.geteuid()).pw_name, smtp_relay_config_group=grp.getgrgid(os.getegid()).gr_name)
    return {'mail_senders': {'hosts': dict((host, {}) for host in HOSTS), 'vars': variables}}


def run_job(number, workdir, hosts_dir, collections, credential_env):
    """Run the job in a new private data directory; return (runner, private data directory)."""
    private = os.path.join(workdir, 'job%d' % number)
    check(not os.path.exists(private), '%s exists: each job needs a fresh private data directory' % private)
    write(os.path.join(private, 'project', 'site.yml'), PLAYBOOK)
    write(os.path.join(private, 'inventory', 'hosts.yml'), yaml.safe_dump(inventory(hosts_dir)))
    envvars = dict(credential_env, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false')
    write(os.path.join(private, 'env', 'envvars'), yaml.safe_dump(envvars), mode=0o600)
    write(os.path.join(private, 'env', 'settings'), yaml.safe_dump({'job_timeout': 600, 'idle_timeout': 300}))
    # The job at -vvv with --diff ("Show Changes"): the most its output can say.
    runner = ansible_runner.run(private_data_dir=private, playbook='site.yml', ident='job%d' % number, quiet=True,
                                verbosity=3, cmdline='--diff')
    check(runner.status == 'successful' and runner.rc == 0, 'job %d ended %s (rc %s): see %s' % (
        number, runner.status, runner.rc, os.path.join(private, 'artifacts', 'job%d' % number, 'stdout')))
    check(sorted(runner.stats['processed']) == sorted(HOSTS), 'job %d ran on %s, not on %s' % (number, sorted(runner.stats['processed']), HOSTS))
    return runner, private


def host_records(hosts_dir):
    """Host name to the users of its record ({slot: {name, password, issued}}), once the record is found private (mode
    0600 in a 0700 directory) and of version 2. The record holds the passwords: a failed check names the file only."""
    records = {}
    for host in HOSTS:
        path = os.path.join(hosts_dir, host, RECORD)
        for target, mode in ((path, 0o600), (os.path.dirname(path), 0o700)):
            actual = os.stat(target).st_mode & 0o7777
            check(actual == mode, '%s has mode %04o, not %04o' % (target, actual, mode))
        with open(path, encoding='utf-8') as stream:
            record = json.load(stream)
        check(isinstance(record, dict) and record.get('version') == 2 and isinstance(record.get('users'), dict)
              and all(isinstance(user, dict) for user in record['users'].values()),
              '%s is not a version 2 record ({"version": 2, "users": {slot: {"name", "password", "issued"}}})' % path)
        records[host] = record['users']
    return records


def host_users(records):
    """Host name to the name of the SMTP user its record holds for the host itself."""
    return dict((host, (users.get('default') or {}).get('name')) for host, users in records.items())


def host_passwords(hosts_dir, records):
    """The SMTP passwords the hosts hold: in their records, and in their sasl_passwd files ("<relay> <name>:<password>"
    lines)."""
    passwords = [user['password'] for users in records.values() for user in users.values() if user.get('password')]
    for host in HOSTS:
        with open(os.path.join(hosts_dir, host, 'etc', 'postfix', 'sasl_passwd'), encoding='utf-8') as stream:
            passwords += [line.split(' ', 1)[1].split(':', 1)[1] for line in stream.read().splitlines() if line.strip()]
    return passwords


def job_records(private, number):
    """Paths of what the job wrote of its run: its events and its output."""
    artifacts = os.path.join(private, 'artifacts', 'job%d' % number)
    events = sorted(glob.glob(os.path.join(artifacts, 'job_events', '*.json')))
    check(events, 'job %d wrote no job events under %s' % (number, artifacts))
    return events + [os.path.join(artifacts, name) for name in ('stdout', 'stderr') if os.path.exists(os.path.join(artifacts, name))]


def leaks(paths, secrets):
    """(path, how many secrets) for each file that holds any of the secrets; never the values."""
    pattern = re.compile('|'.join(re.escape(secret) for secret in secrets))
    found = []
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as stream:
            count = len(pattern.findall(stream.read()))
        if count:
            found.append((os.path.relpath(path), count))
    return found


def main():
    """Run the two jobs and check them; exit 1 on the first failed check."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections', required=True, help='the collections path holding ansible_collections/sendclean/mta')
    parser.add_argument('--workdir', required=True, help='scratch directory (emptied first)')
    args = parser.parse_args()
    collections, workdir = os.path.abspath(args.collections), os.path.abspath(args.workdir)
    credential_type = os.path.join(collections, 'ansible_collections', 'sendclean', 'mta', CREDENTIAL_TYPE)
    for variable in [name for name in os.environ if name.startswith(('SENDCLEAN_', 'ANSIBLE_'))]:
        del os.environ[variable]
    os.environ['PATH'] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')  # ansible-playbook
    shutil.rmtree(workdir, ignore_errors=True)
    hosts_dir = os.path.join(workdir, 'hosts')
    for host in HOSTS:
        os.makedirs(os.path.join(hosts_dir, host, 'etc', 'postfix'))  # as the postfix package leaves it
    try:
        with Simulator().start(os.path.join(workdir, 'simulator')) as sim:
            credential_env = credential_environment(credential_type, {'owner_id': sim.owner_id, 'token': sim.token,
                                                                      'app_domain': APP_DOMAIN, 'api_url': sim.api_url})
            records = []
            for number in range(1, JOBS + 1):
                sim.reset(users=False, counters=True, config=False)
                runner, private = run_job(number, workdir, hosts_dir, collections, credential_env)
                requests, held = sim.requests(), sorted(user['smtp_user_name'] for user in sim.users())
                users = host_users(host_records(hosts_dir))
                records += job_records(private, number)
                check(len(set(users.values())) == len(HOSTS) and sorted(users.values()) == held,
                      'after job %d the hosts record %s, and the account holds %s: not one user per host' % (number, users, held))
                if number == 1:
                    check(requests['counts'].get('addSmtp', 0) == len(HOSTS),
                          'job 1 made %s addSmtp requests, not one per host' % requests['counts'].get('addSmtp', 0))
                else:
                    changed = dict((host, count) for host, count in runner.stats['changed'].items() if count)
                    check(not changed, 'job %d reported changes (changed=N per host): %s' % (number, changed))
                    check(requests['counts'].get('addSmtp', 0) == 0 and requests['writes'] == 0,
                          'job %d wrote at SendClean: %s' % (number, requests['counts']))
                print('awx-check: job %d successful; SendClean requests %s; users %s' % (number, requests['counts'], users))
            passwords = sorted(set(sim.issued_secrets() + host_passwords(hosts_dir, host_records(hosts_dir))))
            check(len(passwords) >= len(HOSTS), 'only %d passwords to look for: the check would prove nothing' % len(passwords))
            found = leaks(records, [sim.token] + passwords)
            check(not found, 'the token or a password is in the jobs\' records (values not shown): %s' % found)
            print('awx-check: neither the token nor any of %d passwords is in the %d job event and output files'
                  % (len(passwords), len(records)))
    except CheckFailed as error:
        sys.exit('awx-check: FAILED: %s' % error)


if __name__ == '__main__':
    main()
