"""Make ansible-test work without its get-pip download (see docs/testing.md).

ansible-test first looks for ~/.ansible/test/cache/get_pip_<version>.py before downloading get-pip.py.
This puts offline_get_pip.py there, with the pip wheel it runs, for the pip version that the
installed ansible-test asks for. Safe to run again: it does nothing when both are present.
"""

import os
import shutil
import subprocess
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

CACHE_DIR = os.path.expanduser('~/.ansible/test/cache')
HERE = os.path.dirname(os.path.abspath(__file__))


def pip_version():
    """The pip version ansible-test bootstraps into its virtual environments."""
    python = types.SimpleNamespace(version='%d.%d' % sys.version_info[:2])
    return get_venv_packages(python)['pip']


def main():
    """Install the offline bootstrap script and the pip wheel it needs into ansible-test's cache."""
    version = pip_version()
    os.makedirs(CACHE_DIR, exist_ok=True)
    wheel = os.path.join(CACHE_DIR, 'pip-%s-py3-none-any.whl' % version)
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps',
                        '--only-binary', ':all:', '--dest', CACHE_DIR, 'pip==%s' % version], check=True)
    script = os.path.join(CACHE_DIR, 'get_pip_%s.py' % version.replace('.', '_'))
    shutil.copyfile(os.path.join(HERE, 'offline_get_pip.py'), script)
    print('ansible-test bootstrap: %s (pip %s, offline)' % (script, version))


if __name__ == '__main__':
    main()
