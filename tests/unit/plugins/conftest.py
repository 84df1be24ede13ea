# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A real SendClean simulator (subprocess, real HTTP) for the plugin unit tests."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='session')
def simulator_process(tmp_path_factory):
    with Simulator().start(str(tmp_path_factory.mktemp('simulator'))) as sim:
        yield sim


@pytest.fixture
def simulator(simulator_process):
    """The simulator with an empty account, zeroed counters and the default config."""
    simulator_process.reset()
    return simulator_process
