# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The planning step of an MTA backend of the smtp_relay role, on the controller (private: no compatibility promise).

Each backend's action (sendclean_relay_postfix, sendclean_relay_nullmailer) is this step with its own plan: the
role's variables read and checked by _relay_input, what the host has (relay_facts) and its users after the SendClean
step go in, the backend's plan comes out, with no contact to the host.
"""

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_input import check, installed_mtas_of, os_family_of, read

ARGUMENT_SPEC = {
    'host': {'type': 'dict', 'required': True},
    'users': {'type': 'dict', 'required': True},
}


class PlanAction(ActionBase):
    """A backend's planning step: a subclass names its result (RESULT_KEY) and makes its plan (make_plan)."""

    TRANSFERS_FILES = False
    _requires_connection = False
    RESULT_KEY = None

    def make_plan(self, settings, params, task_vars):
        """The backend's plan from the checked ``settings`` and the task's ``params`` (host, users)."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super(PlanAction, self).run(tmp, task_vars)
        dummy, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings, problems = check(read(task_vars, self._templar), os_family_of(task_vars, params['host']),
                                   installed_mtas_of(params['host']))
        if problems:  # sendclean_relay_users checked the same input first: only a role out of order gets here
            raise AnsibleActionFail(' '.join(problems))
        # Host problems are the role's to report: before an install, a host without the MTA has some that the
        # install settles.
        result.update(changed=False)
        result[self.RESULT_KEY] = self.make_plan(settings, params, task_vars)
        if settings['mta_replaces']:
            # Installing the MTA removes the one the host has (Debian's packages conflict): said in every output.
            result.update(msg='%s replaces %s on this host (smtp_relay_mta=%s).'
                          % (settings['mta'], ' and '.join(settings['mta_replaces']), settings['mta']),
                          _ansible_verbose_always=True)
        return result
