# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Carry out reconcile plans against the account: one listSmtp, then only the writes needed.

This is where the service's hard parts are settled: it generates names (so a key is resolved through
the registry), and it may apply a write whose reply never arrives (so a lost addSmtp is resolved by
listing again and adopting the one new user, and a lost reset by comparing passwords).
"""

from ansible_collections.sendclean.mta.plugins.module_utils._client import STATUS_DISABLE, STATUS_ENABLE, SendCleanError
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure
from ansible_collections.sendclean.mta.plugins.module_utils._reconcile import (
    OP_ADD, OP_EDIT, OP_RESET, STATE_PRESENT, InputError, adoption_candidates, create_limits, diff_of, differences,
    pending_adoption, plan, require_create_limits,
)


class ProvisionError(TaskFailure):
    """A run that must stop before (or instead of) a write; ``result`` holds what was done so far."""


def empty_result():
    """The result of a spec before anything is known: the module's RETURN fields, all empty."""
    return {'changed': False, 'smtp_user': None, 'smtp_password': None, 'password_changed': False, 'adopted': False,
            'operations': [], 'registry_updated': False}


class Provisioner(object):
    """Reconciles desired users (specs) with one snapshot of the account.

    ``client`` is a SendCleanClient, ``registry`` a Registry or None, ``warn`` a callable taking a message
    (it never receives a secret). In check mode nothing is written: results predict the real run.
    """

    def __init__(self, client, registry=None, check_mode=False, warn=None):
        self.client = client
        self.registry = registry
        self.check_mode = check_mode
        self.warn = warn or (lambda message: None)
        self.users = {}  # name -> user, in the service's order

    def may_create(self, spec):
        """Whether this spec can lead to addSmtp, judged from local data only (before any request)."""
        if spec['state'] != STATE_PRESENT or spec.get('name'):
            return False
        key = spec.get('key')
        return key is None or spec.get('recreate_missing') or self.registry.name_of(key) is None

    def check_local(self, spec):
        """Fail before any request when the spec needs a create the operator gave no limits for."""
        key = spec.get('key')
        if key is not None and spec['state'] == STATE_PRESENT and self.registry.name_of(key) is None:
            require_create_limits(spec, 'key %r is not in the registry yet' % key)

    def refresh(self):
        """Read the account (listSmtp) into the snapshot."""
        self.users = dict((user['name'], user) for user in self.client.list_users())

    def find(self, name):
        """The snapshot's user of that name, or None."""
        return self.users.get(name)

    def apply_many(self, labelled_specs, rejected=None):
        """Apply each ``(label, spec)`` against the one snapshot; a failure does not stop the others.

        ``rejected`` maps the labels of specs refused before any request to why: they fail without being applied.
        Returns ``{changed, smtp_user_results: {label: result}, diff: [...]}``; when any spec failed, raises
        ProvisionError carrying that summary, where each failed result has ``failed`` and ``msg``.
        """
        results, failed, diffs = {}, [], []
        rejected = rejected or {}
        for label, spec in labelled_specs:
            try:
                if label in rejected:
                    raise InputError(rejected[label])
                result = self.apply(spec)
            except (ProvisionError, InputError) as exc:
                result = dict(empty_result(), **dict(getattr(exc, 'result', {}), failed=True, msg=str(exc)))
                failed.append(label)
            diff = result.pop('diff', None)
            if diff and result['changed']:
                diffs.append(dict(diff, before_header=label, after_header=label))
            results[label] = result
        summary = {'changed': any(result['changed'] for result in results.values()), 'smtp_user_results': results, 'diff': diffs}
        if failed:
            raise ProvisionError('%d of %d users failed: %s' % (
                len(failed), len(results), '; '.join('%s: %s' % (label, results[label]['msg']) for label in failed)), summary)
        return summary

    def apply(self, spec):
        """Bring one desired user about; returns its result dict (see the module's RETURN)."""
        current = self._resolve(spec)
        if current is not None and current['enabled'] is None:
            raise ProvisionError('SMTP user %s is listed with the status %r, which is neither Enable/Disable nor 1/0, '
                                 'so nothing was changed for it' % (current['name'], current['status']))
        plan_ = plan(spec, current)
        result = dict(empty_result(), changed=plan_.changed, smtp_user=plan_.after, diff=diff_of(plan_.before, plan_.after),
                      password_changed=OP_RESET in plan_.operations or OP_ADD in plan_.operations,
                      registry_updated=OP_ADD in plan_.operations and spec.get('key') is not None)
        if self.check_mode:
            result['operations'] = list(plan_.operations)
        else:
            self._execute_or_explain(spec, plan_, current, result)
        # The unchanged password is known from the list in check mode too, so callers can predict their own changes.
        if not result['password_changed'] and spec.get('return_password') and current is not None:
            result['smtp_password'] = current['password']
            if current['password'] is None:
                self.warn('listSmtp carried no password for %s, so return_password has nothing to return; '
                          'set reset_password=true to obtain a new one' % current['name'])
        return result

    def _execute_or_explain(self, spec, plan_, current, result):
        result['registry_updated'] = False
        try:
            self._execute(spec, plan_, current, result)
        except SendCleanError as exc:
            message = str(exc)
            if exc.outcome_unknown and spec.get('key') is not None and self.registry.pending_of(spec['key']):
                message += '; the registry remembers the create, so the next run for key %r adopts its user' % spec['key']
            raise ProvisionError(message, dict(result, api_error=exc.as_dict()))
        result['diff'] = diff_of(plan_.before, result['smtp_user'])  # with the name a create got

    def _resolve(self, spec):
        """The current user the spec refers to, or None when there is none (and creating one is allowed)."""
        name, key = spec.get('name'), spec.get('key')
        if name:
            current = self.find(name)
            if current is None and spec['state'] == STATE_PRESENT:
                raise ProvisionError('SMTP user %r does not exist in the account. Names are generated by SendClean: '
                                     'omit name, or use key and registry, to create one' % name)
            return current
        if key is None:
            return None
        recorded = self.registry.name_of(key)
        if recorded is None:
            return None
        current = self.find(recorded)
        if current is None and spec['state'] == STATE_PRESENT and not spec.get('recreate_missing'):
            raise ProvisionError('registry %s records key %r as SMTP user %r, which no longer exists in the account; '
                                 'set recreate_missing=true to create a replacement and update the record'
                                 % (self.registry.path, key, recorded))
        if current is None and spec['state'] == STATE_PRESENT:
            require_create_limits(spec, 'recreate_missing replaces user %r' % recorded)
        return current

    def _execute(self, spec, plan_, current, result):
        edit = plan_.edit
        if OP_ADD in plan_.operations:
            current = self._add(spec, result)
            result['smtp_password'] = current['password']
            if spec.get('key') is not None:
                result['registry_updated'] = self.registry.record(spec['key'], current['name'])
            # An adopted user carries what the lost create asked for, which an edit may still have to change.
            edit = differences(plan_.after, current)
            result['smtp_user'] = dict(plan_.after, name=current['name'])
        if edit:
            result['operations'].append(OP_EDIT)
            self.client.edit_user(current['name'], **edit)
            # The snapshot shows the user as it is now, to later specs and to whoever shares the listing.
            edited = dict(current, **edit)
            self.users[current['name']] = dict(edited, enabled=edited['status'] == STATUS_ENABLE)
        if OP_RESET in plan_.operations or (OP_ADD in plan_.operations and result['smtp_password'] is None):
            result['smtp_password'] = self.reset(current['name'], current['password'], result)

    def _add(self, spec, result):
        """addSmtp for a spec, adopting first the user of a create an earlier run sent for its key without learning
        its outcome; the registry marks the create pending before it is sent."""
        key, limits = spec.get('key'), create_limits(spec)
        if key is not None and self.registry.pending_of(key):
            adopted = self._adopt_pending(key)
            if adopted:
                result['adopted'] = True
                return adopted
        if key is not None:
            self.registry.mark_pending(key, *limits)
        return self.create(limits, result)

    def create(self, limits, result):
        """addSmtp with ``limits``, never leaving a duplicate behind; returns the user created or adopted.

        A lost reply is settled by listing again: adopt the one new user with the requested limits, or add once more.
        ``result`` collects the operations and whether a user was adopted.
        """
        names_before = set(self.users)
        for attempt in (1, 2):
            result['operations'].append(OP_ADD)
            try:
                name, password = self.client.add_user(*limits)
            except SendCleanError as exc:
                if not exc.outcome_unknown:
                    raise
                self._relist_after(exc)
                candidates = adoption_candidates(names_before, self.users.values(), *limits)
                if len(candidates) == 1:
                    result['adopted'] = True
                    self.warn('the addSmtp reply was lost (%s); adopted %s, the one new user with the requested limits'
                              % (exc.error_type, candidates[0]['name']))
                    return candidates[0]
                if candidates:
                    raise ProvisionError('outcome unknown: addSmtp reply lost and several new users match (%s); '
                                         'record the right one with name, the others are unused'
                                         % ', '.join(sorted(user['name'] for user in candidates)), result)
                if attempt == 2:
                    raise
            else:
                # Later specs of this run must see the new user, or a lost reply of theirs could adopt it.
                self.users[name] = {'name': name, 'enabled': True, 'status': STATUS_ENABLE, 'total_limit': limits[0],
                                    'hourly_limit': limits[1], 'password': password}
                return self.users[name]
        raise AssertionError('unreachable')

    def _adopt_pending(self, key):
        """The user an earlier run's unconfirmed create for key made, or None when it made none. Further users with
        the create's one-off limits (two runs raced) are disabled."""
        adopted, extras = pending_adoption(self.users.values(), self.registry.pending_of(key),
                                           set(self.registry.records.values()))
        self.disable_extras(extras, 'key %r' % key)
        if adopted:
            self.warn('adopted %s for key %r: an earlier run created it but never learned its name' % (adopted['name'], key))
        return adopted

    def disable_extras(self, extras, owner):
        """Disable the users a raced create made besides the one adopted, so none stays enabled and unclaimed.
        Returns their names."""
        names = []
        for user in extras:
            if user['enabled'] and not self.check_mode:
                self.client.edit_user(user['name'], status=STATUS_DISABLE)
                self.users[user['name']] = dict(user, enabled=False, status=STATUS_DISABLE)
            names.append(user['name'])
        if names:
            self.warn('disabled %s: created for %s by runs that raced, besides the user adopted'
                      % (', '.join(names), owner))
        return names

    def _relist_after(self, lost):
        """List again to settle a write whose reply was lost; when that fails too, the outcome stays unknown."""
        try:
            self.refresh()
        except SendCleanError as exc:
            raise SendCleanError(lost.call, '%s, and listing the users (listSmtp) to settle it failed too (%s: %s)'
                                 % (lost.api_message, exc.error_type, exc.api_message),
                                 lost.error_type, lost.http_status, outcome_unknown=True, attempts=lost.attempts,
                                 elapsed=lost.elapsed)

    def reset(self, name, old_password, result):
        """resetSmtpPassword; a lost reply is resolved by listing again: a changed password means it was applied."""
        for attempt in (1, 2):
            result['operations'].append(OP_RESET)
            try:
                return self.client.reset_password(name)[1]
            except SendCleanError as exc:
                if not exc.outcome_unknown:
                    raise
                self._relist_after(exc)
                listed = (self.find(name) or {}).get('password')
                if listed and old_password and listed != old_password:
                    self.warn('the resetSmtpPassword reply for %s was lost (%s); the listed password changed, '
                              'so the reset was applied' % (name, exc.error_type))
                    return listed
                if attempt == 2:
                    raise
        raise AssertionError('unreachable')
