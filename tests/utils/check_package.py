"""Install the collection's tarball (`make package` builds it) and use it as a user would (`make package-check`).

Run under tests/simulator/harness.py (it reads SENDCLEAN_API_URL, SENDCLEAN_OWNER_ID, SENDCLEAN_TOKEN and
SENDCLEAN_SIM_ADMIN_URL). The tarball must hold no caches, test output, virtual environments or build
products. After installing it into an empty collections path, every command runs from a directory outside
the repository with only that path: ansible-doc renders each module and role, `ansible-doc -l` lists the
modules, an ad hoc sendclean_smtp_info reads the simulator, and a playbook that sets the credentials once
through `module_defaults: group/sendclean.mta.sendclean` (with no SENDCLEAN_* variables set) works.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

import yaml

# Paths (or path parts) a release tarball must not contain.
FORBIDDEN = re.compile(r'(^|/)(__pycache__|\.pytest_cache|\.mypy_cache|\.venv|\.ansible|\.git|\.ci|build|tests/output)(/|$)'
                       r'|\.pyc$|\.tar\.gz$|(^|/)integration_config\.yml$|(^|/)tests/integration/inventory$')
SIM_ENV = ('SENDCLEAN_API_URL', 'SENDCLEAN_OWNER_ID', 'SENDCLEAN_TOKEN', 'SENDCLEAN_SIM_ADMIN_URL', 'SENDCLEAN_APP_DOMAIN')
PLAYBOOK = '''---
- name: Use sendclean.mta with the credentials set once for the action group
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/sendclean.mta.sendclean:
      api_url: "{{ sim.api_url }}"
      owner_id: "{{ sim.owner_id }}"
      token: "{{ sim.token }}"
  tasks:
    - name: Create the user of key packaged
      sendclean.mta.sendclean_smtp_user:
        key: packaged
        registry: "{{ playbook_dir }}/registry.json"
        total_limit: 100
        hourly_limit: 10
      register: created
      no_log: true
    - name: Read it back with the other module of the group
      sendclean.mta.sendclean_smtp_info:
        registry: "{{ playbook_dir }}/registry.json"
      register: account
    - name: Check both modules got the group's credentials
      ansible.builtin.assert:
        that:
          - created is changed
          - account.smtp_users | selectattr('key', 'defined') | map(attribute='key') | list == ['packaged']
'''


class CheckFailed(Exception):
    """One check of the installed collection failed."""


def check(condition, message):
    """Raise CheckFailed with message unless condition holds."""
    if not condition:
        raise CheckFailed(message)


class Installed:
    """The collection installed from its tarball into a temporary collections path, and commands run against it."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.collections = os.path.join(workdir, 'collections')
        self.bin = os.path.dirname(sys.executable)
        self.env = dict((key, value) for key, value in os.environ.items()
                        if key not in SIM_ENV and not key.startswith('ANSIBLE_'))
        self.env.update(ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_NOCOLOR='1', ANSIBLE_HOME=os.path.join(workdir, 'home'))

    @property
    def root(self):
        """The installed collection's directory."""
        return os.path.join(self.collections, 'ansible_collections', 'sendclean', 'mta')

    def run(self, *command, extra_env=None):
        """Run an ansible command from the work directory; return its output, fail with it on a non-zero exit."""
        env = dict(self.env, **(extra_env or {}))
        done = subprocess.run([os.path.join(self.bin, command[0])] + list(command[1:]), cwd=self.workdir, env=env,
                              capture_output=True, text=True, check=False)
        check(done.returncode == 0, '%s exited %d:\n%s%s' % (' '.join(command), done.returncode, done.stdout, done.stderr))
        return done.stdout


def check_contents(tarball):
    """No caches, test output or build products; the parts a user needs are there."""
    with tarfile.open(tarball) as archive:
        names = [name[2:] if name.startswith('./') else name for name in archive.getnames()]
    unwanted = sorted(name for name in names if FORBIDDEN.search(name))
    check(not unwanted, 'the tarball holds files that do not belong in a release:\n  ' + '\n  '.join(unwanted))
    for needed in ('MANIFEST.json', 'FILES.json', 'meta/runtime.yml', 'meta/execution-environment.yml', 'requirements.txt',
                   'plugins/modules/sendclean_smtp_user.py', 'plugins/modules/sendclean_smtp_info.py', 'README.md',
                   'extensions/awx/credential_type.yml'):
        check(needed in names, 'the tarball lacks %s' % needed)
    print('package-check: %s: %d files, no caches or test output' % (os.path.basename(tarball), len(names)))


def check_docs(installed):
    """ansible-doc renders every module and role; -l lists the modules and roles.

    The modules that talk to the API (those of the action group) also document the credentials' environment
    variables and the group.
    """
    modules = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(installed.root, 'plugins', 'modules', '*.py')))
    roles = sorted(os.path.basename(path) for path in glob.glob(os.path.join(installed.root, 'roles', '*')))
    with open(os.path.join(installed.root, 'meta', 'runtime.yml'), encoding='utf-8') as stream:
        api_modules = yaml.safe_load(stream)['action_groups']['sendclean']
    for module in modules:
        text = installed.run('ansible-doc', 'sendclean.mta.' + module)
        needs = ('EXAMPLES', 'RETURN VALUES') + (('SENDCLEAN_TOKEN', 'group/sendclean.mta.sendclean') if module in api_modules else ())
        for needed in needs:
            check(needed in text, 'ansible-doc sendclean.mta.%s lacks %s' % (module, needed))
    for role in roles:
        text = installed.run('ansible-doc', '-t', 'role', 'sendclean.mta.' + role)
        for entry_point, options in argument_specs(os.path.join(installed.root, 'roles', role)).items():
            missing = [option for option in [entry_point] + options if option not in text]
            check(not missing, 'ansible-doc -t role sendclean.mta.%s lacks %s' % (role, ', '.join(missing)))
    for kind, names in (('module', modules), ('role', roles)):
        listed = installed.run('ansible-doc', '-t', kind, '-l', 'sendclean.mta')
        missing = [name for name in names if not re.search(r'^sendclean\.mta\.%s\b' % name, listed, re.MULTILINE)]
        check(not missing, 'ansible-doc -t %s -l sendclean.mta lacks %s:\n%s' % (kind, ', '.join(missing), listed))
    print('package-check: ansible-doc renders and lists modules %s and roles %s' % (', '.join(modules), ', '.join(roles) or '(none)'))
    return modules, roles


def argument_specs(role):
    """Entry point name to option names, from the role's meta/argument_specs.yml."""
    path = os.path.join(role, 'meta', 'argument_specs.yml')
    check(os.path.exists(path), 'role %s has no meta/argument_specs.yml' % os.path.basename(role))
    with open(path, encoding='utf-8') as stream:
        specs = yaml.safe_load(stream)['argument_specs']
    return dict((name, sorted(spec.get('options') or {})) for name, spec in specs.items())


def add_simulator_user(admin_url):
    """Create one user in the simulator through its admin API; return its name."""
    request = urllib.request.Request(admin_url + 'users', data=json.dumps({'count': 1, 'total_limit': 50, 'hourly_limit': 5}).encode(),
                                     headers={'Content-Type': 'application/json'}, method='POST')
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)['names'][0]


def check_ad_hoc(installed, sim):
    """ansible localhost -m sendclean.mta.sendclean_smtp_info, credentials from the environment."""
    name = add_simulator_user(sim['SENDCLEAN_SIM_ADMIN_URL'])
    output = installed.run('ansible', 'localhost', '-o', '-m', 'sendclean.mta.sendclean_smtp_info',
                           extra_env=dict((key, sim[key]) for key in SIM_ENV if key in sim))
    check('SUCCESS' in output and name in output, 'the ad hoc sendclean_smtp_info did not list %s:\n%s' % (name, output))
    print('package-check: ad hoc sendclean_smtp_info with environment credentials lists %s' % name)


def check_playbook(installed, sim):
    """A playbook setting the credentials through the action group, with no SENDCLEAN_* variable set."""
    with open(os.path.join(installed.workdir, 'site.yml'), 'w', encoding='utf-8') as stream:
        stream.write(PLAYBOOK)
    values = {'sim': {'api_url': sim['SENDCLEAN_API_URL'], 'owner_id': sim['SENDCLEAN_OWNER_ID'], 'token': sim['SENDCLEAN_TOKEN']}}
    with open(os.path.join(installed.workdir, 'sim.json'), 'w', encoding='utf-8') as stream:
        json.dump(values, stream)
    installed.run('ansible-playbook', 'site.yml', '-e', '@sim.json')
    print('package-check: a playbook with module_defaults group/sendclean.mta.sendclean works')


def main():
    """Inspect, install and use the collection; exit 1 on the first failed check."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--tarball', required=True, help='the collection tarball ansible-galaxy collection build made')
    args = parser.parse_args()
    missing = [key for key in SIM_ENV[:4] if key not in os.environ]
    if missing:
        sys.exit('package-check: run under tests/simulator/harness.py run (missing %s)' % ', '.join(missing))

    workdir = tempfile.mkdtemp(prefix='package-check-')
    try:
        tarball = os.path.abspath(args.tarball)
        check_contents(tarball)
        installed = Installed(workdir)
        installed.run('ansible-galaxy', 'collection', 'install', '--offline', '-p', installed.collections, tarball)
        check_docs(installed)
        check_ad_hoc(installed, os.environ)
        check_playbook(installed, os.environ)
    except CheckFailed as error:
        sys.exit('package-check: FAILED: %s' % error)
    finally:
        shutil.rmtree(workdir)


if __name__ == '__main__':
    main()
