# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Counts what a playbook run does per host and where its time goes, for tests/bench/bench.py (never for users).

bench.py enables it through the environment only (ANSIBLE_CALLBACK_PLUGINS, ANSIBLE_CALLBACKS_ENABLED) and names the
JSON file it writes in SENDCLEAN_BENCH_TASKS_OUT.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: sendclean_bench_tasks
type: aggregate
short_description: Count tasks and module runs per host, and time each task (benchmark only)
description:
  - Writes to the file named by the SENDCLEAN_BENCH_TASKS_OUT environment variable, at the end of the playbook.
'''

# Actions that run on the controller only: a task of these runs no module on the host. The role's SendClean steps
# run there too; sendclean_relay_users runs a module on the host only to write the host's record, which a converged
# run never does.
CONTROLLER_ACTIONS = frozenset((
    'add_host', 'assert', 'debug', 'fail', 'group_by', 'import_playbook', 'import_role', 'import_tasks',
    'include_role', 'include_tasks', 'include_vars', 'meta', 'set_fact', 'set_stats', 'validate_argument_spec',
    'sendclean.mta.sendclean_relay_users', 'sendclean.mta.sendclean_relay_unclaimed', 'sendclean.mta.sendclean_relay_plan',
))


def short_action(action):
    for prefix in ('ansible.builtin.', 'ansible.legacy.'):
        if action.startswith(prefix):
            return action[len(prefix):]
    return action


class CallbackModule(CallbackBase):
    """Per host: tasks that ran (ok, changed or failed; not skipped) and, of those, the ones that ran a module on the
    host. Per task: wall seconds from its start to the next task's start (the linear strategy runs one task at a
    time over all hosts, so these add up to the run)."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'sendclean_bench_tasks'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.playbook_started = None
        self.current_task = None
        self.current_task_started = None
        self.hosts = {}
        self.task_seconds = {}

    def v2_playbook_on_start(self, playbook):
        self.playbook_started = time.monotonic()

    def close_task(self, now):
        if self.current_task is not None:
            self.task_seconds[self.current_task] = self.task_seconds.get(self.current_task, 0.0) + now - self.current_task_started

    def v2_playbook_on_task_start(self, task, is_conditional):
        now = time.monotonic()
        self.close_task(now)
        self.current_task, self.current_task_started = task.get_name(), now

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def count(self, result):
        counts = self.hosts.setdefault(result.host.get_name(), {'tasks': 0, 'module_runs': 0})
        counts['tasks'] += 1
        if short_action(result.task.action) not in CONTROLLER_ACTIONS:
            counts['module_runs'] += 1

    def v2_runner_on_ok(self, result):
        self.count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.count(result)

    def v2_playbook_on_stats(self, stats):
        now = time.monotonic()
        self.close_task(now)
        with open(os.environ['SENDCLEAN_BENCH_TASKS_OUT'], 'w') as handle:
            json.dump({'hosts': self.hosts, 'task_seconds': self.task_seconds, 'playbook_seconds': now - self.playbook_started},
                      handle)
