# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The SendClean SMTP users of one host of the smtp_relay role: decided, ensured, recorded (private: no promise).

A host holds one user per slot: its default user, and one per sender of smtp_relay_senders. Each slot is decided
alone, in this order of trust:

1. a user pinned by name (smtp_relay_smtp_user_name, default slot only);
2. the user the host itself records for the slot: the host wins;
3. the user the controller's registry records for the slot's key (a reimaged host gets its user back);
4. a create the host marked pending for the slot before it was sent, recognised by its one-off limits among the
   users nothing claims (see _reconcile.pending_adoption);
5. a new user.

A new user is made in three steps, so a run killed at any point leaves nothing that blocks the next: the host marks
the create pending (one-off limits), addSmtp is sent with those limits, the host records the user and its password,
and only then are the limits set to the wanted ones. Killed before the record, the next run adopts the user by its
marker; killed after it, the next run finds the host's user still at the marker's limits and sets them. A user
adopted by its marker is recorded before its password is reset. Two runs that raced on one slot: the first to
record wins; the other disables the user it made (never the one the host now holds) and says so.

A password is rotated when asked, when it is older than the slot's rotate_after_days (the host records when each was
issued), and when a rotation was begun and never settled: the host marks a rotation before the reset is sent, since
resetSmtpPassword ends the old password at once, and a run killed before it recorded the new one leaves the host
with a dead password until the next run resets again.
"""

import secrets
import time

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanError
from ansible_collections.sendclean.mta.plugins.module_utils._provision import ProvisionError, empty_result
from ansible_collections.sendclean.mta.plugins.module_utils._reconcile import (
    OP_ADD, InputError, diff_of, limits_warning, pending_adoption, public_view,
)

DEFAULT_SLOT = 'default'
ORIGIN_PINNED = 'pinned'
ORIGIN_HOST = 'host'
ORIGIN_REGISTRY = 'registry'
ORIGIN_ADOPTED = 'adopted'
ORIGIN_NEW = 'new'
# Why a password is rotated.
ROTATE_ASKED = 'asked'
ROTATE_AGE = 'age'
ROTATE_UNSETTLED = 'unsettled'
DAY_SECONDS = 86400


def slot_label(slot):
    return 'this host' if slot == DEFAULT_SLOT else 'sender %s' % slot


def slot_entries(settings, identity, now):
    """What each slot of the host wants, from the role's settings and the host's record (``identity['users']``) at
    ``now`` (seconds since the epoch).

    The default slot, one slot per sender; on a host that stays, the senders taken off the list are disabled (and
    forgotten); on a decommissioned host, every slot's user is disabled.
    """
    held = dict((slot, dict(user, legacy=slot in identity.get('legacy', ())))
                for slot, user in (identity.get('users') or {}).items())
    own = dict((option, settings[option]) for option in ('total_limit', 'hourly_limit', 'rotate_after_days'))
    entries = [_entry(settings, held, DEFAULT_SLOT, settings['state'], dict(own, rotate_password=False), now,
                      name=settings['smtp_user_name'])]
    for sender in settings['senders'] if settings['state'] == 'present' else []:
        entries.append(_entry(settings, held, sender['sender'], 'present', dict(
            sender, rotate_after_days=sender.get('rotate_after_days') or settings['rotate_after_days']), now))
    wanted = set(entry['slot'] for entry in entries)
    for slot in sorted(held):
        if slot not in wanted and held[slot].get('name'):
            entries.append(_entry(settings, held, slot, 'disabled', {}, now))
    return entries


def _entry(settings, held, slot, state, wanted, now, name=None):
    """One slot's entry; ``wanted``: its total_limit, hourly_limit, rotate_password and rotate_after_days."""
    key = None if name else (settings['user_key'] if slot == DEFAULT_SLOT else '%s %s' % (settings['user_key'], slot))
    identity = held.get(slot) or {'name': None, 'has_password': False, 'pending': None}
    total_limit, hourly_limit = wanted.get('total_limit'), wanted.get('hourly_limit')
    after_days = wanted.get('rotate_after_days') if state == 'present' else None
    asked = state == 'present' and (settings['rotate_password'] or wanted.get('rotate_password'))
    return {
        'slot': slot, 'key': key, 'name': name, 'state': state, 'total_limit': total_limit, 'hourly_limit': hourly_limit,
        'new_user_limits': (total_limit or settings['new_user_total_limit'], hourly_limit or settings['new_user_hourly_limit']),
        'rotate': rotation_reason(identity, asked, after_days, now), 'rotate_after_days': after_days,
        'stamp': bool(after_days and identity.get('has_password') and identity.get('issued') is None),
        'recreate_missing': settings['recreate_missing'], 'identity': identity,
    }


def rotation_reason(identity, asked, after_days, now):
    """Why the slot's password is rotated in this run (ROTATE_*), or None. A slot whose host has no password for its
    user gets one anyway; one whose issue time is unknown is not due (its age counts from this run, see stamp)."""
    if asked:
        return ROTATE_ASKED
    if not identity.get('has_password'):
        return None
    if identity.get('rotation_unsettled'):
        return ROTATE_UNSETTLED
    issued = identity.get('issued')
    if after_days and issued is not None and now >= issued + after_days * DAY_SECONDS:
        return ROTATE_AGE
    return None


class Decision(object):
    """What to do for one slot: ``spec`` for the Provisioner (None: nothing to ensure), ``create`` (a new user), or
    ``error`` for that slot alone. ``origin`` says where the user came from; ``note`` what is worth telling.
    ``lost``: another run recorded the slot's user on the host since this run began (see HostUsers._lost_race)."""

    def __init__(self, spec=None, origin=None, error=None, note=None, create=False, extras=()):
        self.spec = spec
        self.origin = origin
        self.error = error
        self.note = note
        self.create = create
        self.extras = list(extras)
        self.lost = False


def decide(entry, users, registry_name, claimed):
    """The Decision for one slot, given the listed users (name -> user), the registry's name for the slot's key,
    and the names claimed by hosts and the registry."""
    identity = entry['identity']
    if entry.get('name'):
        return _existing(entry, users, entry['name'], ORIGIN_PINNED, 'smtp_relay_smtp_user_name pins SMTP user %r, '
                         'which does not exist in the account' % entry['name'])
    held = identity.get('name')
    if held:
        decision = _existing(entry, users, held, ORIGIN_HOST, 'this host holds SMTP user %r, which no longer exists in '
                             'the account; set smtp_relay_recreate_missing=true to create a replacement' % held)
        if registry_name and registry_name != held and decision.error is None:
            decision.note = ('the registry recorded %s for key %r, but the host holds %s: the host wins and the '
                             'registry is updated' % (registry_name, entry['key'], held))
        return decision
    if registry_name:
        return _existing(entry, users, registry_name, ORIGIN_REGISTRY, 'the registry records SMTP user %r for key %r, '
                         'which no longer exists in the account; set smtp_relay_recreate_missing=true to create a '
                         'replacement' % (registry_name, entry['key']))
    if entry['state'] != 'present':
        return Decision()  # never provisioned: nothing to disable
    pending = identity.get('pending')
    if pending:
        adopted, extras = pending_adoption(users.values(), (pending['total_limit'], pending['hourly_limit']), claimed)
        if adopted:
            return Decision(existing_spec(entry, adopted['name'], has_password=False, new_user=True), ORIGIN_ADOPTED,
                            note='adopted %s, the user an earlier run created for %s but never recorded'
                                 % (adopted['name'], slot_label(entry['slot'])), extras=extras)
    return Decision(existing_spec(entry, None, has_password=False, new_user=True), ORIGIN_NEW, create=True)


def _existing(entry, users, name, origin, missing):
    if name in users:
        has_password = entry['identity'].get('name') == name and entry['identity'].get('has_password', False)
        new_user = origin == ORIGIN_HOST and _at_marker(entry['identity'].get('marker'), users[name])
        return Decision(existing_spec(entry, name, has_password, new_user), origin)
    if entry['state'] != 'present':
        return Decision(origin=origin)  # nothing left to disable
    if entry['recreate_missing'] and origin != ORIGIN_PINNED:
        return Decision(existing_spec(entry, None, has_password=False, new_user=True), ORIGIN_NEW, create=True,
                        note='%s is gone from the account: a replacement is created' % name)
    return Decision(error=missing)


def _at_marker(marker, user):
    """Whether the host's user still has the one-off limits of the create that made it: the run that created it was
    killed, or its limits edit failed, after the host recorded it. It gets the limits of a new user."""
    return bool(marker) and (user['total_limit'], user['hourly_limit']) == (marker['total_limit'], marker['hourly_limit'])


def existing_spec(entry, name, has_password, new_user=False):
    """The Provisioner spec of the slot's user ``name``: the inventory's limits (a new or adopted user: the new-user
    limits otherwise), enabled; a new password when the host has none for it or rotation is asked."""
    present = entry['state'] == 'present'
    defaults = entry['new_user_limits'] if new_user else (None, None)
    total_limit = (entry['total_limit'] or defaults[0]) if present else None
    hourly_limit = (entry['hourly_limit'] or defaults[1]) if present else None
    return {
        'name': name, 'key': None, 'state': entry['state'], 'enabled': True if present else None,
        'total_limit': total_limit, 'hourly_limit': hourly_limit,
        # The listed password is never used: a host without credentials for its user gets a new password.
        'reset_password': present and bool(entry['rotate'] or not has_password),
        'return_password': False, 'recreate_missing': False,
    }


def incomplete_scope(strategy, task_vars):
    """Why a run cannot tell the account's unclaimed users from users of hosts it does not see, if it cannot
    (``strategy``: the play's; ``task_vars``: a host's)."""
    if strategy != 'linear':
        return ('under strategy %s the hosts do not wait for each other, so no host knows when all have ensured '
                'their users; run it with strategy linear' % strategy)
    if task_vars.get('ansible_limit'):
        return ('the play runs under --limit and sees only part of the fleet, so the users of the other hosts '
                'would look unclaimed; run it without --limit')
    if set(task_vars['ansible_play_batch']) != set(task_vars['ansible_play_hosts_all']):
        return 'the play runs in batches (serial): no batch sees the whole fleet; run it without serial'
    return None


def unclaimed_users(users, claimed):
    """The enabled users of the account that no host and no registry claims, as name and limits (no password)."""
    return [{'name': user['name'], 'total_limit': user['total_limit'], 'hourly_limit': user['hourly_limit']}
            for user in users if user['name'] not in claimed and user['enabled']]


class HostUsers(object):
    """Ensures the slots of one host against the provisioner's snapshot of the account.

    ``write_record(**changes)`` writes the host's record (the arguments of the sendclean_relay_record module) and
    returns its result; ``registry`` is a Registry or None; ``now``: the run's time, seconds since the epoch (the
    entries' too). Passwords stay in this object and in what it hands to ``write_record``: ``results`` and ``diff``
    never hold one.
    """

    def __init__(self, provisioner, registry, write_record, now):
        self.provisioner = provisioner
        self.registry = registry
        self.write_record = write_record
        self.now = now
        self.check_mode = provisioner.check_mode
        self.results = {}
        self.notes = []
        self._recorded = {}  # slot -> the user this run recorded before making any change to it
        self._rotations = {}  # slot -> the token of the rotation this run marked before resetting its password

    def ensure(self, entries, claimed):
        """Decide and ensure every slot; returns the names this host now claims."""
        records = self.registry.records if self.registry is not None else {}
        decisions = {}
        # What the host holds or pins is claimed before any slot is decided: a slot never adopts a later slot's user.
        claimed.update(name for entry in entries for name in (entry['name'], entry['identity'].get('name')) if name)
        for entry in entries:
            decision = decide(entry, self.provisioner.users, records.get(entry['key']) if entry['key'] else None, claimed)
            decisions[entry['slot']] = decision
            claimed.update(name for name in ((decision.spec or {}).get('name'),) if name)
            self.results[entry['slot']] = dict(empty_result(), origin=decision.origin, failed=bool(decision.error),
                                               msg=decision.error, state=entry['state'])
            if decision.note:
                self.notes.append(decision.note)
            if decision.extras:
                self.notes.append('disabled %s: made by a run that raced for %s, besides the user adopted' % (
                    ', '.join(self.provisioner.disable_extras(decision.extras, slot_label(entry['slot']))),
                    slot_label(entry['slot'])))
        by_slot = dict((entry['slot'], entry) for entry in entries)
        markers = self._claim(by_slot, decisions)
        passwords = {}
        for slot, decision in decisions.items():
            if decision.spec is not None and not decision.error and not decision.lost:
                self._apply(slot, self._first_step(decision, markers.get(slot)), passwords)
        self._record(by_slot, decisions, passwords)
        if self.registry is not None and not self.check_mode:
            self._register(by_slot)  # what the host holds now, a raced slot's included
        for slot, decision in decisions.items():
            if self._held_from_marker(decision) and not (self.results[slot]['failed'] or decision.lost
                                                         or self.check_mode):
                # Only now that the host holds the user do its limits leave the marker's one-off values.
                name = self.results[slot]['smtp_user']['name']
                self._apply(slot, Decision(dict(decision.spec, name=name, reset_password=False)), passwords)
        for slot, entry in by_slot.items():
            self._password_age(entry, self.results[slot])
        # The users created here: claimed too, or the batch's report would name them unclaimed (and disable them).
        claimed.update(name for name in ((result['smtp_user'] or {}).get('name') for result in self.results.values())
                       if name)
        return claimed

    @staticmethod
    def _held_from_marker(decision):
        """Whether the slot's user carries a marker's limits until the host records it (created, or adopted)."""
        return decision.create or decision.origin == ORIGIN_ADOPTED

    def _first_step(self, decision, marker):
        """What to apply before the host records the user: all of it, except for a user that carries a marker's
        limits - its create (or, adopted, a new password) alone, so the marker finds it until the record does."""
        if not self._held_from_marker(decision) or self.check_mode:
            return decision if not decision.create else Decision(decision.spec, create=True, origin=decision.origin)
        if decision.create:
            return Decision(dict(decision.spec, create_limits=(marker['total_limit'], marker['hourly_limit'])),
                            create=True, origin=decision.origin)
        return Decision(dict(decision.spec, total_limit=None, hourly_limit=None, enabled=None), origin=decision.origin)

    def _claim(self, by_slot, decisions):
        """The host's record before any user is made or given a password: a marker for each create, the name of
        each user adopted by its marker (the slot held none), so that a run racing for that user finds it held before
        this one resets its password, and a rotation mark for each password about to be reset that the host has (see
        _host_record.begin_rotations). A slot another run recorded since this run began is that run's. Returns the
        markers."""
        live = dict((slot, decision) for slot, decision in decisions.items()
                    if decision.spec is not None and not decision.error)
        creates = [slot for slot, decision in live.items() if decision.create]
        adopted = dict((slot, decision.spec['name']) for slot, decision in live.items()
                       if decision.origin == ORIGIN_ADOPTED)
        rotations = dict((slot, secrets.token_hex(8)) for slot, decision in live.items()
                         if decision.spec['reset_password'] and not decision.create
                         and decision.spec['name'] == by_slot[slot]['identity'].get('name')
                         and by_slot[slot]['identity'].get('has_password'))
        if self.check_mode or not (creates or adopted or rotations):
            return {}
        written = self.write_record(mark=dict((slot, by_slot[slot]['new_user_limits'][1]) for slot in creates),
                                    names=adopted, expected=dict((slot, None) for slot in adopted),
                                    begin_rotation=rotations)
        self._rotations = rotations
        for slot, held in written['conflicts'].items():
            self._lost_race(slot, adopted.get(slot), held, decisions[slot])
        self._recorded = dict((slot, name) for slot, name in adopted.items() if not decisions[slot].lost)
        return written['markers']

    def _apply(self, slot, decision, passwords):
        result = self.results[slot]
        try:
            applied = self._create(decision.spec) if decision.create else self.provisioner.apply(decision.spec)
        except (ProvisionError, InputError, SendCleanError) as exc:
            # A create's own calls (addSmtp, and the reset of a user it adopted) raise the client's error as it is.
            api_error = exc.as_dict() if isinstance(exc, SendCleanError) else exc.result.get('api_error')
            outcome_unknown = (api_error or {}).get('outcome_unknown', True)
            result.update(failed=True, msg=str(exc), create_unsettled=decision.create and outcome_unknown)
            return
        password = applied.pop('smtp_password', None)
        if password:
            passwords[slot] = password
        diff = applied.pop('diff', None) or {}
        first = result.get('diff')
        result.update(applied, operations=result['operations'] + applied['operations'],
                      changed=result['changed'] or applied['changed'],
                      password_changed=result['password_changed'] or applied['password_changed'],
                      adopted=result['adopted'] or applied['adopted'] or decision.origin == ORIGIN_ADOPTED,
                      diff={'before': diff.get('before') if first is None else first['before'],
                            'after': diff.get('after')})

    def _create(self, spec):
        """addSmtp with the marker's one-off limits (check mode sends nothing: the result predicts the user)."""
        after = public_view(dict(status='Enable', name=None, total_limit=spec['total_limit'],
                                 hourly_limit=spec['hourly_limit']))
        result = dict(empty_result(), changed=True, password_changed=True, diff=diff_of(None, after), smtp_user=after)
        if self.check_mode:
            result['operations'].append(OP_ADD)
            return result
        user = self.provisioner.create(spec['create_limits'], result)
        result['smtp_user'] = dict(after, name=user['name'])
        result['diff'] = diff_of(None, result['smtp_user'])
        # A create settled by listing again may come without a password: a reset gives the host one.
        result['smtp_password'] = user.get('password') or self.provisioner.reset(user['name'], None, result)
        return result

    def _record(self, by_slot, decisions, passwords):
        """One write of the host's record: the users it got, the senders it forgets, the passwords it drops, and the
        issue time of passwords whose age is counted from now on (see stamp_issued)."""
        names, expected, new_passwords, forget, drop = {}, {}, {}, [], []
        for slot, result in self.results.items():
            entry, name = by_slot[slot], (result['smtp_user'] or {}).get('name')
            identity = entry['identity']
            if entry['state'] == 'disabled':
                if result['failed']:
                    continue  # its user may still be enabled: the host keeps it, and the next run disables it
                if slot != DEFAULT_SLOT and by_slot[DEFAULT_SLOT]['state'] == 'present':
                    forget.append(slot)
                elif identity.get('has_password'):
                    drop.append(slot)
                continue
            if result['failed'] or not name or decisions[slot].lost:
                continue
            password = passwords.get(slot)
            if name != identity.get('name') or password or identity.get('legacy'):
                names[slot], expected[slot] = name, self._recorded.get(slot, identity.get('name'))
                if password:
                    new_passwords[slot] = password
        stamp = [slot for slot, entry in by_slot.items() if entry['stamp'] and slot not in new_passwords
                 and not self.results[slot]['failed']]
        if not (names or forget or drop or stamp):
            return
        if self.check_mode:
            stamped = stamp
        else:
            written = self.write_record(names=names, passwords=new_passwords, expected=expected, forget=forget,
                                        drop_passwords=drop, stamp=stamp, rotations=dict(
                                            (slot, token) for slot, token in self._rotations.items()
                                            if slot in new_passwords))
            for slot, held in written['conflicts'].items():
                self._lost_race(slot, names[slot], held, decisions[slot])
            stamped = written['stamped']
        for slot in stamped:
            self.results[slot].update(issued_stamped=True, changed=True)

    def _password_age(self, entry, result):
        """The slot's password issue time and next rotation after this run (``password_issued``, ``next_rotation``,
        seconds since the epoch or None), why it was rotated (``rotation``), and the issue times in its diff."""
        identity = entry['identity']
        rotated = result['password_changed'] and not result['failed']
        issued = self.now if rotated or result.get('issued_stamped') else identity.get('issued')
        if result['failed'] or entry['state'] != 'present':
            issued = None
        result.update(password_issued=issued, rotation=entry['rotate'] if rotated else None,
                      next_rotation=issued + entry['rotate_after_days'] * DAY_SECONDS
                      if issued is not None and entry['rotate_after_days'] else None)
        diff = result.get('diff')
        held = (result['smtp_user'] or {}).get('name') == identity.get('name') and identity.get('has_password')
        if (rotated or result.get('issued_stamped')) and held and diff and diff.get('before'):
            diff['before'] = dict(diff['before'], password_issued=day_of(identity.get('issued')))
            diff['after'] = dict(diff['after'], password_issued=day_of(self.now))

    def _register(self, by_slot):
        with self.registry.locked():
            for slot, result in self.results.items():
                name, key = (result['smtp_user'] or {}).get('name'), by_slot[slot]['key']
                if name and key and not result['failed'] and by_slot[slot]['state'] == 'present':
                    self.registry.record(key, name)

    def _lost_race(self, slot, ours, held, decision):
        """Another run recorded ``held`` for the slot since this run began: the host keeps it. A user this run made or
        adopted that is not ``held`` is disabled, never left enabled and unclaimed; when it is ``held``, the other run
        adopted it and gave it the password the host now has."""
        result = self.results[slot]
        decision.lost = True
        if decision.note in self.notes:
            self.notes.remove(decision.note)  # what it was to do with the slot, which it does not
        if ours and ours != held and self._held_from_marker(decision):
            try:
                self.provisioner.apply({'name': ours, 'key': None, 'state': 'disabled', 'enabled': None,
                                        'total_limit': None, 'hourly_limit': None, 'reset_password': False,
                                        'return_password': False, 'recreate_missing': False})
            except ProvisionError as exc:
                result.update(failed=True, msg='another run recorded %s for %s first, and %s, made by this run, could '
                                               'not be disabled: %s' % (held, slot_label(slot), ours, exc))
            else:
                self.notes.append('disabled %s: another run recorded %s for %s first' % (ours, held, slot_label(slot)))
        else:
            self.notes.append('another run recorded %s for %s first: the host keeps it' % (held, slot_label(slot)))
        result['smtp_user'] = public_view(self.provisioner.find(held) or {'name': held})


def day_of(seconds):
    """The UTC date of a time in seconds since the epoch, as 2026-12-06 ('unknown' for None)."""
    return 'unknown' if seconds is None else time.strftime('%Y-%m-%d', time.gmtime(seconds))


def next_rotations(results):
    """The line that says when the host's next rotation by age is due, per slot, or None (no slot rotates by age)."""
    due = sorted((result['next_rotation'], slot) for slot, result in results.items()
                 if result.get('next_rotation') is not None)
    if not due:
        return None
    return 'next password rotation: %s' % ', '.join('%s (%s)' % (day_of(when), slot_label(slot)) for when, slot in due)


def summary(results):
    """One secret-free line per slot that changed: the user and what changed."""
    lines = []
    for slot, result in results.items():
        user = result['smtp_user'] or {}
        name = user.get('name') or '(a new user)'
        if result['failed']:
            lines.append('The SendClean SMTP user of %s could not be ensured: %s.'
                         % (slot_label(slot), result['msg'].rstrip('.')))
            continue
        changes = changes_of(result)
        if changes:
            lines.append('%s (%s): %s' % (name, slot_label(slot), ', '.join(changes)))
    return lines


def changes_of(result):
    """What changed for one slot, in words: created, adopted, limits, enabled/disabled, password rotated."""
    if not result['changed'] and not result['password_changed'] and not result.get('issued_stamped'):
        return []
    diff = result.get('diff') or {}
    before, after = diff.get('before') or {}, diff.get('after') or {}
    if not before:
        return ['adopted' if result.get('adopted') or result.get('origin') == ORIGIN_ADOPTED else 'created',
                'limits total %s, hourly %s' % (after.get('total_limit'), after.get('hourly_limit'))]
    changes = ['%s %s -> %s' % (field.replace('_limit', ' limit'), before.get(field), after.get(field))
               for field in ('total_limit', 'hourly_limit') if before.get(field) != after.get(field)]
    if before.get('enabled') != after.get('enabled'):
        changes.append('enabled' if after.get('enabled') else 'disabled')
    if result['password_changed']:
        changes.append('password rotated%s' % ROTATION_WORDS.get(result.get('rotation'), ''))
    if result.get('issued_stamped'):
        changes.append('password issue time unknown, its age counted from today')
    return changes


ROTATION_WORDS = {
    ROTATE_AGE: ' (older than rotate_after_days)',
    ROTATE_UNSETTLED: ' (an earlier rotation was never recorded on the host: its password may be dead)',
}


def limits_warnings(entries):
    """The warnings about limits that can never apply (hourly above total), one per slot: the inventory's, and for a
    slot that holds no user yet the limits its new user gets (a sender's total limit under the new-user hourly one)."""
    warnings = []
    for entry in entries:
        if entry['state'] != 'present':
            continue
        new_user = not entry['name'] and not entry['identity'].get('name')
        limits = entry['new_user_limits'] if new_user else (entry['total_limit'], entry['hourly_limit'])
        warning = limits_warning(*limits)
        if warning:
            warnings.append('the SMTP user of %s: %s' % (slot_label(entry['slot']), warning))
    return warnings
