# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_relay_plan: the MTA configuration plan of one host of the smtp_relay role.

On the controller, with no contact to the host: the role's variables (read and checked by _relay_input, which also
chooses the MTA), what the host has (relay_facts) and its users after the SendClean step go in; the chosen MTA's
backend (plugin_utils/_relay_<mta>.py) makes the plan. One task for every MTA: a host evaluates no planning task of
an MTA it does not run, and a converged host costs the same whatever its MTA.
"""

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.plugin_utils import _relay_exim4, _relay_nullmailer, _relay_postfix
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_input import check, installed_mtas_of, os_family_of, read

ARGUMENT_SPEC = {
    'host': {'type': 'dict', 'required': True},
    'users': {'type': 'dict', 'required': True},
}

# Each backend's plan(settings, host, users, check_mode), by the MTA it configures.
PLANNERS = {
    'postfix': _relay_postfix.plan,
    'nullmailer': _relay_nullmailer.plan,
    'exim4': _relay_exim4.plan,
}


class ActionModule(ActionBase):
    """See the module documentation in plugins/modules/sendclean_relay_plan.py."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings, problems = check(read(task_vars, self._templar), os_family_of(task_vars, params['host']),
                                   installed_mtas_of(params['host']))
        if problems:  # sendclean_relay_users checked the same input first: only a role out of order gets here
            raise AnsibleActionFail(' '.join(problems))
        if 'ansible_managed' in task_vars:  # the first line of a file the role writes whole
            settings['ansible_managed'] = self._templar.template(task_vars['ansible_managed'])
        # Host problems are the role's to report: before an install, a host without the MTA has some that the
        # install settles.
        relay_plan = PLANNERS[settings['mta']](settings, params['host'], params['users'], self._task.check_mode)
        # Installing the MTA removes the one the host has, whose package stops its daemon only where invoke-rc.d may:
        # under a policy-rc.d that forbids it (containers, chroots) the daemon would go on running from its deleted
        # binary, holding port 25 (measured in Debian 12 and 13 roots). Where the role manages the service it stops
        # that MTA first; each MTA's service has the MTA's name.
        stop_replaced = settings['mta_replaces'] if settings['manage_service'] and relay_plan['on_host'] else []
        result.update(changed=False, relay_plan=dict(relay_plan, mta=settings['mta'], stop_replaced=stop_replaced))
        if settings['mta_replaces']:
            # Installing the MTA removes the one the host has (Debian's packages conflict): said in every output.
            result.update(msg='%s replaces %s on this host (smtp_relay_mta=%s).'
                          % (settings['mta'], ' and '.join(settings['mta_replaces']), settings['mta']),
                          _ansible_verbose_always=True)
        return result
