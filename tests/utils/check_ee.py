"""Check that ansible-builder sees this collection's Python requirements (`make ee-check`).

An execution environment (AWX, Ansible Automation Platform) gets a collection's Python packages from the
collection's meta/execution-environment.yml, whose paths are relative to the collection root. Two checks, no
image build (that needs a container engine):

1. `ansible-builder create` with that definition, placed at the collection root as ansible-builder reads it,
   produces a build context whose _build/requirements.txt lists requests, and whose Containerfile copies that
   file in and runs the assemble script that pip-installs it;
2. `ansible-builder introspect` of the staged collections path, the step that runs inside the image build,
   attributes requests to sendclean.mta.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

REQUIRED = 'requests'
ERROR_LINES = 5  # of ansible-builder's output shown on failure


def fail(message):
    """Print why the check failed and exit 1."""
    sys.exit('ee-check: FAILED: %s' % message)


def builder(*args):
    """Run ansible-builder (next to this Python) and return its output; fail with it on a non-zero exit."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-builder')] + list(args)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-ERROR_LINES:]
        fail('%s exited %d:\n%s' % (' '.join(command), done.returncode, '\n'.join(tail)))
    return done.stdout


def lists_requirement(lines):
    """Whether requirement lines (pip format, possibly quoted) name REQUIRED."""
    names = (re.match(r'[\s\'"-]*([A-Za-z0-9._-]*)', line).group(1).lower() for line in lines)
    return REQUIRED in names


def check_create(collection, workdir):
    """ansible-builder create: the context's requirements.txt must list REQUIRED."""
    definition = os.path.join(workdir, 'collection')
    os.makedirs(definition)
    shutil.copy(os.path.join(collection, 'meta', 'execution-environment.yml'), definition)
    shutil.copy(os.path.join(collection, 'requirements.txt'), definition)
    context = os.path.join(workdir, 'context')
    builder('create', '--file', os.path.join(definition, 'execution-environment.yml'), '--context', context)
    requirements = os.path.join(context, '_build', 'requirements.txt')
    if not os.path.exists(requirements):
        fail('the build context has no _build/requirements.txt: meta/execution-environment.yml names no Python requirements')
    with open(requirements, encoding='utf-8') as stream:
        if not lists_requirement(stream):
            fail('the build context\'s requirements.txt does not list %s' % REQUIRED)
    build_files = [name for name in ('Containerfile', 'Dockerfile') if os.path.exists(os.path.join(context, name))]
    if not build_files:
        fail('the build context has no Containerfile')
    with open(os.path.join(context, build_files[0]), encoding='utf-8') as stream:
        steps = stream.read()
    if 'COPY _build/requirements.txt' not in steps or '/output/scripts/assemble' not in steps:
        fail('the %s of the build context does not install _build/requirements.txt' % build_files[0])
    print('ee-check: ansible-builder create: %s lists %s, and the %s installs it'
          % (os.path.relpath(requirements, workdir), REQUIRED, build_files[0]))


def check_introspect(collections_path):
    """ansible-builder introspect: REQUIRED must come from sendclean.mta."""
    output = builder('introspect', '--sanitize', collections_path)
    ours = [line for line in output.splitlines() if 'from collection sendclean.mta' in line]
    if not lists_requirement(ours):
        fail('ansible-builder introspect does not attribute %s to sendclean.mta:\n%s' % (REQUIRED, output))
    print('ee-check: ansible-builder introspect: %s' % ours[0].lstrip('- '))


def main():
    """Run both checks on a staged collection."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections-path', required=True, help='holds ansible_collections/sendclean/mta')
    args = parser.parse_args()
    collection = os.path.join(args.collections_path, 'ansible_collections', 'sendclean', 'mta')
    workdir = tempfile.mkdtemp(prefix='ee-check-')
    try:
        check_create(collection, workdir)
        check_introspect(args.collections_path)
    finally:
        shutil.rmtree(workdir)


if __name__ == '__main__':
    main()
