"""Run galaxy-importer on the built tarball, as Galaxy and Automation Hub do at upload (`make importer-check`).

Run with the Python of galaxy-importer's own venv (build/galaxy-importer/venv): that venv's bin goes first on PATH,
since the importer calls ansible-doc, ansible-lint and flake8 by name. Settings come from --config. The importer
logs INFO lines bare and every other level as "LEVEL: message"; the check fails on a non-zero exit, on any
WARNING, ERROR or CRITICAL line, on anything written to stderr, when one of the checks the configuration turns on
did not run, or when the venv's ansible-core or ansible-lint is not the one .venv runs. The importer's temporary
files and its importer_result.json stay under --workdir.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBLEM = re.compile(r'^(WARNING|ERROR|CRITICAL): ')
# Lines the importer logs when it starts each check the configuration turns on: missing means a check was skipped.
STEPS = {
    'ansible-doc': re.compile(r'^Getting doc strings via ansible-doc$', re.MULTILINE),
    'flake8': re.compile(r'^Linting \w+ \w+ via flake8\.\.\.$', re.MULTILINE),
    'ansible-lint': re.compile(r'^Linting collection via ansible-lint ', re.MULTILINE),
}
SHARED_TOOLS = ('ansible-core', 'ansible-lint')


def fail(message):
    """Print why the check failed and exit 1."""
    sys.exit('importer-check: FAILED: %s' % message)


def check_tools():
    """The venv's ansible-core and ansible-lint are the versions tests/constraints.txt pins for .venv."""
    with open(os.path.join(REPO, 'tests', 'constraints.txt'), encoding='utf-8') as stream:
        pinned = dict(re.findall(r'^(%s)==(\S+)$' % '|'.join(SHARED_TOOLS), stream.read(), re.MULTILINE))
    differ = ['%s %s (.venv: %s)' % (tool, version(tool), pinned.get(tool)) for tool in SHARED_TOOLS
              if version(tool) != pinned.get(tool)]
    if differ:
        fail('the importer runs %s: align tests/importer-requirements.txt with tests/constraints.txt' % ', '.join(differ))


def run_importer(tarball, config, workdir):
    """galaxy_importer.main on the tarball from workdir; return its exit code, stdout, stderr and run time."""
    bin_dir = os.path.dirname(sys.executable)
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith(('ANSIBLE_', 'GALAXY_IMPORTER_')))
    env.update(PATH=bin_dir + os.pathsep + env.get('PATH', ''), GALAXY_IMPORTER_CONFIG=config,
               GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=os.path.join(workdir, 'ansible-tmp'),
               GALAXY_IMPORTER_TMP_ROOT_DIR=os.path.join(workdir, 'tmp'), ANSIBLE_HOME=os.path.join(workdir, 'ansible-home'))
    os.makedirs(env['GALAXY_IMPORTER_TMP_ROOT_DIR'])
    started = time.monotonic()
    done = subprocess.run([sys.executable, '-m', 'galaxy_importer.main', tarball], cwd=workdir, env=env,
                          capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def summary(workdir):
    """What the importer found, from its importer_result.json: content counts and the plugins ansible-doc documented."""
    with open(os.path.join(workdir, 'importer_result.json'), encoding='utf-8') as stream:
        result = json.load(stream)
    kinds = Counter(content['content_type'] for content in result['contents'])
    documented = sum(1 for content in result['docs_blob']['contents'] if content['doc_strings'])
    return '%s; %d documented by ansible-doc' % (', '.join('%d %s' % (count, kind) for kind, count in sorted(kinds.items())), documented)


def main():
    """Import the tarball; exit 1 on any problem the importer reports."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', required=True, help='the galaxy-importer.cfg to use')
    parser.add_argument('--workdir', required=True, help='directory for the importer\'s files (emptied first)')
    parser.add_argument('tarball', help='the collection tarball, as ansible-galaxy collection build names it')
    args = parser.parse_args()
    workdir = os.path.abspath(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)

    check_tools()
    returncode, output, errors, seconds = run_importer(os.path.abspath(args.tarball), os.path.abspath(args.config), workdir)
    sys.stdout.write(output)
    problems = [line for line in output.splitlines() if PROBLEM.match(line)]
    reasons = (['exited %d' % returncode] if returncode else []) + (['wrote to stderr:\n' + errors] if errors else [])
    if problems:
        reasons.append('reported %d problem(s):\n%s' % (len(problems), '\n'.join(problems)))
    if reasons:
        fail('galaxy-importer %s' % '; '.join(reasons))
    skipped = [step for step, logged in STEPS.items() if not logged.search(output)]
    if skipped:
        fail('galaxy-importer did not run: %s (see %s)' % (', '.join(skipped), args.config))
    print('importer-check: galaxy-importer %s passed %s in %.0f s with no error and no warning: %s'
          % (version('galaxy-importer'), os.path.basename(args.tarball), seconds, summary(workdir)))


if __name__ == '__main__':
    main()
