"""Run sanity, unit and integration tests on the newer ansible-core versions (`make test-matrix`).

`make test` covers ansible-core 2.19 on Python 3.11 with .venv. Each leg here gets its own virtual
environment (build/matrix/<version>/venv, from tests/matrix/ansible-core-<version>.txt) and its own staged
copy of the collection, and runs the same three ansible-test commands as the Makefile, integration against
the simulator. Integration on a leg runs the targets that exercise what differs between ansible-core versions
(module and role behaviour: MATRIX_TARGETS), smtp_relay_render without its identity and senders scenarios; those and
the reliability suites test this collection's own Python code and run on 2.19 only, which keeps the whole `make test`
well inside CI's time. A leg whose Python is not on this machine is reported as SKIPPED, never as passed;
--require-all makes a skipped leg fail the run.

The legs build their venvs and stage one after the other, then test side by side (tests/utils/lanes.py): their
integration mostly waits on ansible-playbook and the simulator, so two legs share the cores well. Nothing of one
leg's run is the other's: its venv, staged copy (so its ansible-test output and temporary directories), simulator (on
a free port) and Python version (so ansible-test's sanity venvs under ~/.ansible/test/venv). Each line a leg prints
goes to stdout after the leg's name in brackets, and to the leg's log, build/matrix/<version>/test-matrix.log, whose
end is shown again after the summary when the leg failed.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

from lanes import Lane, run_side_by_side, summarize

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYENV = os.path.expanduser('~/.pyenv/versions')
# (ansible-core, Python, interpreters to try in order). Keep README's "Tested with" table in step.
MATRIX_TARGETS = ('sendclean_smtp_user', 'sendclean_smtp_info', 'smtp_relay_render')
LEGS = (
    ('2.20', '3.12', (os.path.join(PYENV, '3.12.1/bin/python3.12'), 'python3.12')),
    ('2.21', '3.13', (os.path.join(PYENV, '3.13.0/bin/python3.13'), 'python3.13')),
)


def find_python(version, candidates):
    """The first candidate that runs and is Python `version`, or None."""
    for candidate in candidates:
        path = shutil.which(candidate)
        if not path:
            continue
        probe = subprocess.run([path, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None


def pinned_core(requirements):
    """The ansible-core major.minor a requirements file pins."""
    with open(os.path.join(REPO, requirements), encoding='utf-8') as stream:
        return re.search(r'^ansible-core==(\d+\.\d+)\.', stream.read(), re.MULTILINE).group(1)


def claim_errors(base_python):
    """Where README's "Tested with" table or requires_ansible disagree with the versions the tests run."""
    tested = [(pinned_core('tests/constraints.txt'), base_python)]
    tested += [(pinned_core('tests/matrix/ansible-core-%s.txt' % leg[0]), leg[1]) for leg in LEGS]
    with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as stream:
        table = re.findall(r'^\| (\d+\.\d+) \| (\d+\.\d+) \|', stream.read(), re.MULTILINE)
    with open(os.path.join(REPO, 'meta', 'runtime.yml'), encoding='utf-8') as stream:
        requires = re.search(r'^requires_ansible: *[\'"]?>=(\d+\.\d+)\.', stream.read(), re.MULTILINE)
    errors = []
    if table != tested:
        errors.append('README "Tested with" lists %s, the tests run %s' % (table, tested))
    if not requires or requires.group(1) != tested[0][0]:
        errors.append('meta/runtime.yml requires_ansible should be ">=%s.0", the oldest version tested' % tested[0][0])
    return errors


class Leg(Lane):
    """One ansible-core version: its venv, its staged collection, and the commands run there."""

    def __init__(self, core, python_version, python):
        self.core = core
        self.python_version = python_version
        self.python = python
        self.root = os.path.join(REPO, 'build', 'matrix', core)
        super().__init__(core, 'ansible-core %s on Python %s' % (core, python_version),
                         os.path.join(self.root, 'test-matrix.log'))
        self.venv = os.path.join(self.root, 'venv')
        self.bin = os.path.join(self.venv, 'bin')
        self.collections = os.path.join(self.root, 'collections')
        self.staged = os.path.join(self.collections, 'ansible_collections', 'sendclean', 'mta')
        self.requirements = os.path.join(REPO, 'tests', 'matrix', 'ansible-core-%s.txt' % core)

    def environment(self):
        """The Makefile's ANSIBLE_ENV, pointing at this leg's venv and staged collection."""
        return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections,
                    ANSIBLE_PYTHON_INTERPRETER=os.path.join(self.bin, 'python'),
                    ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                    PATH=self.bin + os.pathsep + os.environ.get('PATH', ''))

    def build_venv(self):
        """Create the venv, or reuse it when it was built from the same requirements file."""
        with open(self.requirements, 'rb') as stream:
            digest = hashlib.sha256(stream.read()).hexdigest()
        stamp = os.path.join(self.venv, '.installed')
        if os.path.exists(stamp):
            with open(stamp, encoding='utf-8') as stream:
                if stream.read() == digest:
                    return
        shutil.rmtree(self.venv, ignore_errors=True)
        self.run([self.python, '-m', 'venv', self.venv])
        self.run([os.path.join(self.bin, 'pip'), 'install', '--quiet', '--disable-pip-version-check', '-r', self.requirements])
        with open(stamp, 'w', encoding='utf-8') as stream:
            stream.write(digest)

    def stage(self):
        """Stage the collection for this leg and let its ansible-test bootstrap pip offline."""
        python = os.path.join(self.bin, 'python')
        self.run([python, os.path.join(REPO, 'tests', 'utils', 'stage_collection.py'), '--dest', self.collections], cwd=REPO)
        self.run([python, os.path.join(REPO, 'tests', 'utils', 'install_get_pip.py')], cwd=REPO)

    def ansible_test(self, *args):
        """An ansible-test command of this leg, as run from the staged collection."""
        return [os.path.join(self.bin, 'ansible-test')] + list(args) + ['--python', self.python_version, '--color', 'no']

    def setup_steps(self):
        """(name, function) for each step that prepares the leg, in order."""
        return (('venv', self.build_venv), ('stage', self.stage))

    def test_steps(self):
        """(name, function) for each test step, in order."""
        env = self.environment()
        harness = [sys.executable, os.path.join(REPO, 'tests', 'simulator', 'harness.py'), 'run',
                   '--workdir', os.path.join(self.root, 'integration'),
                   '--config-out', os.path.join(self.staged, 'tests', 'integration', 'integration_config.yml'),
                   '--var', 'smtp_relay_render_identity_and_senders=false', '--']
        return (
            ('sanity', lambda: self.run(self.ansible_test('sanity'), cwd=self.staged, env=env)),
            ('units', lambda: self.run(self.ansible_test('units', '--local'), cwd=self.staged, env=env)),
            ('integration', lambda: self.run(harness + self.ansible_test('integration', '--local', *MATRIX_TARGETS),
                                             cwd=self.staged, env=env)),
        )


def main():
    """Run the selected legs and print one line per leg; exit 1 if one failed (or, with --require-all, was skipped)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', action='append', metavar='VERSION', help='run only this ansible-core version (repeatable)')
    parser.add_argument('--require-all', action='store_true', help='a leg skipped for a missing Python fails the run')
    parser.add_argument('--base-python', default='3.11', help='the Python of the 2.19 leg that `make test` runs')
    args = parser.parse_args()
    unknown = set(args.only or ()) - set(leg[0] for leg in LEGS)
    if unknown:
        parser.error('no leg for ansible-core %s' % ', '.join(sorted(unknown)))
    errors = claim_errors(args.base_python)
    if errors:
        sys.exit('test-matrix: ' + '; '.join(errors))

    started = time.monotonic()
    legs, skipped = [], []
    for core, python_version, candidates in LEGS:
        if args.only and core not in args.only:
            continue
        python = find_python(python_version, candidates)
        if python is None:
            skipped.append('SKIPPED: ansible-core %s needs Python %s, not found' % (core, python_version))
        else:
            legs.append(Leg(core, python_version, python))
    # One after the other: both legs' stage writes ansible-test's shared cache (~/.ansible/test/cache).
    for leg in legs:
        leg.run_steps(leg.setup_steps())
    run_side_by_side(legs, Leg.test_steps)
    failed = summarize('version matrix', legs, started, skipped)
    if failed or (skipped and args.require_all):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
