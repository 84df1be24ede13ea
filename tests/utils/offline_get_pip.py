"""Offline stand-in for get-pip.py, installed where ansible-test looks for its cached bootstrap script.

ansible-test bootstraps pip into each virtual environment it creates by running get-pip.py, which it
downloads from a host that machines behind a PyPI-only mirror cannot reach. This script takes the same
arguments, but runs pip from the wheel stored beside it, so the packages come from the package index
pip is configured for.
"""

import glob
import os
import sys

# get-pip.py options that pip itself does not know: each suppresses one implicit package.
IMPLICIT_PACKAGES = {'--no-setuptools': 'setuptools', '--no-wheel': 'wheel'}


def main():
    """Install pip (and whatever else was asked for) with the pip wheel stored beside this script."""
    here = os.path.dirname(os.path.abspath(__file__))
    wheels = sorted(glob.glob(os.path.join(here, 'pip-*.whl')))
    if not wheels:
        sys.exit('offline get-pip: no pip wheel in %s; run tests/utils/install_get_pip.py' % here)
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [arg for arg in sys.argv[1:] if arg not in IMPLICIT_PACKAGES]
    implicit = [package for option, package in IMPLICIT_PACKAGES.items() if option not in sys.argv[1:]]
    return pip_main(['install', '--upgrade', '--force-reinstall', '--find-links', here] + args + implicit)


if __name__ == '__main__':
    sys.exit(main())
