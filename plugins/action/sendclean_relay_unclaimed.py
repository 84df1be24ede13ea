# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_relay_unclaimed: report (and disable) the users no host of the play holds.

It runs after sendclean_relay_users, from the listing the hosts of the batch shared: the first host to get there
reports for the batch. Only the linear strategy guarantees that every host has ensured its users by then; under the
others the report is left out, and disabling is refused.
"""

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_users import batch_snapshot
from ansible_collections.sendclean.mta.plugins.module_utils._client import STATUS_DISABLE, SendCleanError
from ansible_collections.sendclean.mta.plugins.module_utils._module import (
    CONNECTION_ARGUMENT_SPEC, client_from_params, connection_errors, endpoint_from_environment,
)
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_users import incomplete_scope, unclaimed_users

UNCLAIMED_ARGUMENT_SPEC = dict(CONNECTION_ARGUMENT_SPEC, disable={'type': 'bool', 'default': False})


class ActionModule(ActionBase):
    """See the module documentation in plugins/modules/sendclean_relay_unclaimed.py."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        warnings = []
        try:
            result.update(self._report(task_vars, warnings.append))
        except (AnsibleActionFail, SendCleanError) as exc:
            result.update(failed=True, msg=getattr(exc, 'message', None) or str(exc))
        if warnings:
            result['warnings'] = warnings
        return result

    def _report(self, task_vars, warn):
        dummy, params = self.validate_argument_spec(argument_spec=UNCLAIMED_ARGUMENT_SPEC)
        params = endpoint_from_environment(params)
        refusal = incomplete_scope(self._task.get_play().strategy, task_vars)
        if refusal and params['disable']:
            raise AnsibleActionFail('smtp_relay_disable_unclaimed is refused: %s' % refusal)
        if refusal:
            return {'changed': False, 'msg': 'no report of unclaimed users: %s' % refusal}
        with batch_snapshot(self._task, task_vars, params).first_report() as account:
            if account is None:
                return {'changed': False, 'msg': 'reported by another host of the play batch'}
            missing = sorted(set(task_vars['ansible_play_hosts_all']) - set(account.get('hosts', [])))
            if missing:
                refusal = ('%d host(s) of the play did not ensure their users in this run (a when condition, a '
                           'failure, or another account): %s; run it over the whole fleet at once'
                           % (len(missing), ', '.join(missing[:10])))
                if params['disable']:
                    raise AnsibleActionFail('smtp_relay_disable_unclaimed is refused: %s' % refusal)
                return {'changed': False, 'msg': 'no report of unclaimed users: %s' % refusal}
            unclaimed = unclaimed_users(account['users'].values(), set(account['claimed']))
            disabled = self._disable(params, unclaimed, account['users'], warn) if params['disable'] else []
        if not unclaimed:
            return {'changed': False, 'unclaimed': [], 'disabled': [], 'msg': 'every enabled user is held'}
        message = ('%d enabled SMTP user(s) of the account belong to no host of this play and no registry record: %s.'
                   % (len(unclaimed), ', '.join(user['name'] for user in unclaimed)))
        message += (' Disabled: %s' % ', '.join(disabled) if disabled else
                    ' Disable them with smtp_relay_disable_unclaimed=true (over the whole fleet), or with '
                    'sendclean_smtp_user.')
        return {'changed': bool(disabled), 'unclaimed': unclaimed, 'disabled': disabled, 'msg': message,
                '_ansible_verbose_always': True}

    def _disable(self, params, unclaimed, users, warn):
        if self._task.check_mode:
            return [user['name'] for user in unclaimed]
        errors = connection_errors(params)
        if errors:
            raise AnsibleActionFail('; '.join(errors))
        client = client_from_params(params, warn)
        disabled = []
        for user in unclaimed:
            try:
                client.edit_user(user['name'], status=STATUS_DISABLE)
            except SendCleanError as exc:  # the others are still disabled; this one stays in the report
                warn('could not disable unclaimed SMTP user %s: %s' % (user['name'], exc))
            else:
                users[user['name']].update(enabled=False, status=STATUS_DISABLE)
                disabled.append(user['name'])
        return disabled
