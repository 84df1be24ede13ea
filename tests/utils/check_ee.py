"""Check that an execution environment needs nothing for this collection beyond ansible-core (`make ee-check`).

An execution environment (AWX, Ansible Automation Platform) gets a collection's Python and system packages from
the collection's meta/execution-environment.yml. sendclean.mta uses only the standard library and ansible-core
(tests/unit/plugins/module_utils/test_transport.py runs the client with requests and urllib3 unimportable), so it
ships no such file. `ansible-builder introspect` of the staged collections path, the step that runs inside an image
build, must therefore attribute no requirement to sendclean.mta. No image is built (that needs a container engine).
"""

import argparse
import os
import subprocess
import sys

ERROR_LINES = 5  # of ansible-builder's output shown on failure


def fail(message):
    """Print why the check failed and exit 1."""
    sys.exit('ee-check: FAILED: %s' % message)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections-path', required=True, help='holds ansible_collections/sendclean/mta')
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.collections_path, 'ansible_collections', 'sendclean', 'mta')):
        fail('no sendclean.mta under %s' % args.collections_path)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-builder'), 'introspect', '--sanitize',
               args.collections_path]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-ERROR_LINES:]
        fail('%s exited %d:\n%s' % (' '.join(command), done.returncode, '\n'.join(tail)))
    ours = [line for line in done.stdout.splitlines() if 'sendclean.mta' in line]
    if ours:
        fail('ansible-builder introspect finds requirements of sendclean.mta:\n' + '\n'.join(ours))
    print('ee-check: ansible-builder introspect finds no requirement of sendclean.mta: ansible-core is all it needs')


if __name__ == '__main__':
    main()
