# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of sendclean.mta.sendclean_smtp_fleet: one listSmtp for the hosts of a play batch, each slot its own result.

Every host runs the task; the first host of the batch whose request names the same connection (the leader) lists
the account once and makes the writes for all of them, on the controller. The others return at once, naming their
leader, and take their own results (one per slot: the default user, one per sender) from it in the next task. No
run_once: that is decided by the first host of the play alone, so a role-level ``when`` false for that host would skip
the call for everyone.
"""

import contextlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.action import ActionBase

from ansible_collections.sendclean.mta.plugins.module_utils._client import HAS_REQUESTS, SendCleanError
from ansible_collections.sendclean.mta.plugins.module_utils._module import (
    CONNECTION_ARGUMENT_SPEC, client_from_params, connection_errors, endpoint_from_environment,
)
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner, ProvisionError, empty_result
from ansible_collections.sendclean.mta.plugins.module_utils._reconcile import OP_ADD, InputError, limits_warning
from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry, RegistryError
from ansible_collections.sendclean.mta.plugins.plugin_utils._fleet import (
    claimed_names, decide, request_problems, unclaimed_users,
)

FLEET_ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    request_fact={'type': 'str', 'default': 'sendclean_smtp_request'},
    registry={'type': 'path'},
    disable_unclaimed={'type': 'bool', 'default': False},
)


class ActionModule(ActionBase):
    """See the module documentation in plugins/modules/sendclean_smtp_fleet.py."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._outcome(task_vars))
        return result

    def _outcome(self, task_vars):
        """The fleet, or the reason the call failed; with the warnings either way (a failure's retries among them)."""
        warnings = []
        try:
            outcome = self._ensure(task_vars, warnings.append)
        except AnsibleActionFail as exc:
            # A failed result rather than an error, so that failed_when can hand the reason to each host of the call.
            outcome = {'failed': True, 'msg': exc.message}
        if warnings:
            outcome['warnings'] = warnings
        return outcome

    def _ensure(self, task_vars, warn):
        dummy, params = self.validate_argument_spec(argument_spec=FLEET_ARGUMENT_SPEC)
        params = endpoint_from_environment(params)
        requests = self._group(task_vars, params['request_fact'])
        leader = next(iter(requests))
        if leader != task_vars['inventory_hostname']:
            return {'changed': False, 'fleet': {'leader': leader}}
        errors = self._malformed(requests, params['request_fact']) + connection_errors(params)
        if not HAS_REQUESTS:  # the leader makes the requests, with the controller's Python
            errors.append(missing_required_lib('requests'))
        if params['disable_unclaimed']:
            errors.extend(self._incomplete_scope(task_vars, requests))
        if errors:
            raise AnsibleActionFail('; '.join(errors))
        client = client_from_params(params, warn)
        provisioner = Provisioner(client, None, self._task.check_mode, warn)
        try:
            registry = Registry(params['registry']) if params['registry'] else None
            lock = registry.locked() if registry is not None and not self._task.check_mode else contextlib.nullcontext()
            with lock:
                provisioner.refresh()
                fleet = ensure_fleet(provisioner, registry, requests, params['disable_unclaimed'])
        except (SendCleanError, RegistryError) as exc:
            raise AnsibleActionFail(str(exc))
        fleet['leader'] = leader
        return {'changed': bool(fleet['disabled']), 'fleet': fleet}

    def _group(self, task_vars, request_fact):
        """The requests of the batch's hosts with this host's connection, in batch order: the leader's first.

        A host that is not the leader gets its leader's alone: it looks no further than the first host of its
        connection (most often the batch's first host), so a batch of n hosts costs n lookups, not n squared.
        """
        own = task_vars.get(request_fact)
        if not isinstance(own, dict) or not own.get('connection'):
            raise AnsibleActionFail('%s is not set for %s: describe the host\'s SMTP user in that fact first'
                                    % (request_fact, task_vars['inventory_hostname']))
        hostvars = task_vars['hostvars']
        group = {}
        for host in task_vars['ansible_play_batch']:
            request = own if host == task_vars['inventory_hostname'] else hostvars[host].get(request_fact)
            if isinstance(request, dict) and request.get('connection') == own['connection']:
                group[host] = request
                if host != task_vars['inventory_hostname'] and len(group) == 1:
                    break  # another host leads: the rest of the batch is its business
        return group

    @staticmethod
    def _malformed(requests, request_fact):
        """What is wrong with the requests of the call, each naming the fact and its host."""
        return ['%s of %s: %s' % (request_fact, host, problem)
                for host, request in requests.items() for problem in request_problems(request)]

    @staticmethod
    def _incomplete_scope(task_vars, requests):
        """Why this play cannot tell unclaimed users from users of hosts it does not see, if it cannot."""
        if task_vars.get('ansible_limit'):
            return ['disable_unclaimed is refused under --limit: the play sees only part of the fleet, so the users of '
                    'the other hosts would look unclaimed; run it without --limit']
        missing = sorted(set(task_vars['ansible_play_hosts_all']) - set(requests))
        if missing:
            return ['disable_unclaimed is refused: %d host(s) of the play are not in this call (serial, a when '
                    'condition, or another account): %s; run it over the whole fleet at once'
                    % (len(missing), ', '.join(missing[:10]))]
        return []


def ensure_fleet(provisioner, registry, requests, disable_unclaimed):
    """Decide and ensure every slot of every host against the provisioner's snapshot. Returns the fleet result."""
    records = dict(registry.records) if registry is not None else {}
    claimed = claimed_names(requests.values(), records)
    hosts, slots_by_warning = {}, {}
    for host, request in requests.items():
        hosts[host] = {}
        for entry in request['users']:
            key = entry.get('key')
            # Decided just before it is ensured: the slots ensured before it have claimed their users.
            decision = decide(entry, provisioner.users, records.get(key) if key is not None else None, claimed)
            spec = decision.spec or {}
            warning = limits_warning(spec.get('total_limit'), spec.get('hourly_limit'))
            if warning:
                slots_by_warning.setdefault(warning, []).append(
                    host if entry['slot'] == 'default' else '%s (sender %s)' % (host, entry['slot']))
            hosts[host][entry['slot']] = _ensure_entry(provisioner, registry, claimed, entry, decision)
    # One warning per pair of limits, not per host: a fleet shares its limits.
    for warning, slots in slots_by_warning.items():
        more = ' and %d more' % (len(slots) - 10) if len(slots) > 10 else ''
        provisioner.warn('the SMTP users of %s%s: %s' % (', '.join(slots[:10]), more, warning))
    unclaimed = unclaimed_users(provisioner.users.values(), claimed)
    disabled = []
    if disable_unclaimed:
        for user in unclaimed:
            try:
                provisioner.apply({'name': user['name'], 'state': 'disabled'})
            except ProvisionError as exc:  # the hosts' results stand; the user stays in the report
                provisioner.warn('could not disable unclaimed SMTP user %s: %s' % (user['name'], exc))
            else:
                disabled.append(user['name'])
    return {'hosts': hosts, 'unclaimed': unclaimed, 'disabled': disabled}


def _ensure_entry(provisioner, registry, claimed, entry, decision):
    """Ensure one slot as decided; its user joins ``claimed`` before the next slot is decided, so no two slots of the
    play ever adopt the same user. The registry records the user under the slot's own key."""
    key = entry.get('key')
    result = ensure_slot(provisioner, decision)
    name = (result['smtp_user'] or {}).get('name')
    # The decided name too: a user adopted by a slot whose apply failed before its result named it stays that slot's.
    claimed.update(claim for claim in ((decision.spec or {}).get('name'), name) if claim)
    if name and registry is not None and key is not None and not provisioner.check_mode:
        registry.record(key, name)
    return result


def ensure_slot(provisioner, decision):
    """One slot's result: the Provisioner's fields, plus origin, note, and whether a create may have been applied."""
    result = dict(empty_result(), origin=decision.origin, note=decision.note, failed=False, create_unsettled=False)
    if decision.error:
        return dict(result, failed=True, msg=decision.error)
    if decision.spec is None:
        return result
    try:
        result.update(provisioner.apply(decision.spec))
    except (ProvisionError, InputError) as exc:
        result.update(getattr(exc, 'result', {}), failed=True, msg=str(exc))
    result.pop('diff', None)
    # A create that failed may still have been applied: the slot keeps its pending marker, so the next run adopts it.
    # Only a refusal the service answered (api_error says the outcome is known) proves it was not.
    outcome_unknown = (result.get('api_error') or {}).get('outcome_unknown', True)
    result['create_unsettled'] = result['failed'] and OP_ADD in result['operations'] and outcome_unknown
    return result
