# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_relay_nullmailer: the nullmailer plan of one host of the smtp_relay role.

On the controller, with no contact to the host: the role's variables (read and checked by _relay_input), what the
host has (relay_facts) and its users after the SendClean step go in, the plan (_relay_nullmailer) comes out.
"""

from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_nullmailer import plan
from ansible_collections.sendclean.mta.plugins.plugin_utils._relay_plan_action import PlanAction


class ActionModule(PlanAction):
    """See the module documentation in plugins/modules/sendclean_relay_nullmailer.py."""

    RESULT_KEY = 'nullmailer_plan'

    def make_plan(self, settings, params, task_vars):
        return plan(settings, params['host'], params['users'], self._task.check_mode)
