# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_relay_users: ensure one host's SendClean SMTP users, on the controller.

Each host runs it for itself, under any strategy: the account is listed once per play batch (the hosts share the
listing, see _account_snapshot), the API writes are made here, and the host's record is written by running the
sendclean_relay_record module on the host from here, so the passwords go from the API to the host without ever
being in a task result. The task's result says, for this host alone and without a secret, what changed.
"""

import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.module_utils._client import HAS_REQUESTS, SendCleanError
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure
from ansible_collections.sendclean.mta.plugins.module_utils._module import (
    CONNECTION_ARGUMENT_SPEC, client_from_params, connection_errors, endpoint_from_environment,
)
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry
from ansible_collections.sendclean.mta.plugins.plugin_utils._account_snapshot import AccountSnapshot, snapshot_key
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_input import check, installed_mtas_of, os_family_of, read
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_users import (
    HostUsers, day_of, incomplete_scope, limits_warnings, next_rotations, slot_entries, slot_label, summary,
)

USERS_ARGUMENT_SPEC = dict(CONNECTION_ARGUMENT_SPEC, host={'type': 'dict', 'required': True})
RECORD_MODULE = 'sendclean.mta.sendclean_relay_record'


def batch_snapshot(task, task_vars, params):
    """The listing of the account of ``params`` (connection options) that the hosts of this play batch share."""
    return AccountSnapshot(C.DEFAULT_LOCAL_TMP, snapshot_key(
        [params[option] for option in sorted(CONNECTION_ARGUMENT_SPEC)],
        [task.get_play()._uuid, task_vars['ansible_play_batch']]))


class ActionModule(ActionBase):
    """See the module documentation in plugins/modules/sendclean_relay_users.py."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        warnings = []
        try:
            result.update(self._ensure(task_vars, warnings.append))
        except AnsibleActionFail as exc:  # the input, or the host's record: the message says which
            result.update(failed=True, msg=exc.message)
        except (TaskFailure, SendCleanError) as exc:
            result.update(failed=True, msg='The SendClean SMTP users of this host could not be ensured: %s' % exc)
        if warnings:
            result['warnings'] = warnings
        return result

    def _ensure(self, task_vars, warn):
        dummy, params = self.validate_argument_spec(argument_spec=USERS_ARGUMENT_SPEC)
        facts = params['host']
        settings, problems = check(read(task_vars, self._templar), os_family_of(task_vars, facts), installed_mtas_of(facts))
        params = endpoint_from_environment(params)
        problems += connection_errors(params)
        refusal = incomplete_scope(self._task.get_play().strategy, task_vars) if settings['disable_unclaimed'] else None
        if refusal:  # refused before any request; a when that skips hosts shows only once every host has run
            problems.append('smtp_relay_disable_unclaimed is refused: %s' % refusal)
        if not HAS_REQUESTS:  # the requests are made here, with the controller's Python
            problems.append(missing_required_lib('requests'))
        if problems:
            raise AnsibleActionFail(' '.join(problem.rstrip('.') + '.' for problem in problems))
        now = int(time.time())
        entries = slot_entries(settings, facts['identity'], now)
        for warning in limits_warnings(entries):
            warn(warning)
        client = client_from_params(params, warn)
        provisioner = Provisioner(client, None, self._task.check_mode, warn)
        snapshot = batch_snapshot(self._task, task_vars, params)
        provisioner.users, claimed = snapshot.users(client.list_users)
        registry = Registry(settings['registry']) if settings['registry'] else None
        host = HostUsers(provisioner, registry, lambda **changes: self._write_record(task_vars, facts, changes), now)
        claimed = host.ensure(entries, claimed | set(registry.records.values() if registry else ()))
        snapshot.merge(task_vars['inventory_hostname'], provisioner.users, claimed)
        return dict(self._report(host), smtp_relay_mta=settings['mta'])

    def _write_record(self, task_vars, facts, changes):
        """Run sendclean_relay_record on the host; its result holds no password (the passwords are no_log)."""
        args = dict(changes, path=facts['identity']['path'])
        if facts['identity'].get('legacy'):
            args['sasl_passwd'] = facts['identity']['sasl_passwd']
        written = self._execute_module(module_name=RECORD_MODULE, module_args=args, task_vars=task_vars)
        if written.get('failed'):
            raise AnsibleActionFail('could not write the record of this host\'s SMTP users: %s'
                                    % written.get('msg', 'no reason given'))
        return written

    @staticmethod
    def _report(host):
        lines = summary(host.results)
        failed = [slot for slot, result in host.results.items() if result['failed']]
        users = dict((slot, {
            'name': (result['smtp_user'] or {}).get('name'), 'state': result['state'], 'origin': result['origin'],
            'changed': result['changed'], 'password_changed': result['password_changed'],
            'rotation': result.get('rotation'), 'password_issued': _day(result.get('password_issued')),
            'next_rotation': _day(result.get('next_rotation')),
        }) for slot, result in host.results.items())
        due = next_rotations(host.results)
        report = {
            'changed': any(result['changed'] or result['password_changed'] for result in host.results.values()),
            'smtp_relay_users': users,
            'diff': [dict(result['diff'], before_header='SMTP user of %s' % slot_label(slot),
                          after_header='%s (%s)' % ((result['smtp_user'] or {}).get('name') or 'a new user',
                                                    slot_label(slot)))
                     for slot, result in host.results.items() if result.get('diff') and result['changed']],
            'msg': '; '.join(host.notes + (lines or ['no change']) + ([due] if due else [])),
        }
        if failed:
            report['failed'] = True
        elif report['changed'] or host.notes or due:
            # The one line per host says what changed at SendClean, and when the next rotation by age is due.
            report['_ansible_verbose_always'] = True
        return report


def _day(seconds):
    return None if seconds is None else day_of(seconds)
