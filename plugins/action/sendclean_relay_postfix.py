# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_relay_postfix: the Postfix plan of one host of the smtp_relay role.

On the controller, with no contact to the host: the role's variables (read and checked by _relay_input), what the
host has (relay_facts) and its users after the SendClean step go in, the plan (_relay_postfix) comes out.
"""

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_input import check, os_family_of, read
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_postfix import plan

ARGUMENT_SPEC = {
    'host': {'type': 'dict', 'required': True},
    'users': {'type': 'dict', 'required': True},
}
# main.cf's first line when the play sets no ansible_managed (ansible-core's default).
DEFAULT_MANAGED = 'Ansible managed'


class ActionModule(ActionBase):
    """See the module documentation in plugins/modules/sendclean_relay_postfix.py."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings, problems = check(read(task_vars, self._templar), os_family_of(task_vars, params['host']))
        if problems:  # sendclean_relay_users checked the same input first: only a role out of order gets here
            raise AnsibleActionFail(' '.join(problems))
        managed = self._templar.template(task_vars['ansible_managed']) if 'ansible_managed' in task_vars else DEFAULT_MANAGED
        planned = plan(settings, params['host'], params['users'], self._task.check_mode, managed)
        # Host problems are the role's to report: before an install, a host without Postfix has some that the
        # install settles (the plan is made again after it).
        result.update(changed=False, postfix_plan=planned)
        return result
