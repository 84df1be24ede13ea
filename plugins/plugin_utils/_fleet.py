# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which SMTP users each host of a fleet holds, decided from one listing of the account (private: no compatibility promise).

Pure: no request and no file here, so every decision is unit-tested as a function. A host holds one user per slot (its
default user, and one per sender); each slot is decided alone, in this order of trust:

1. a user pinned by name;
2. the user the host itself records for the slot (its identity record, or the user of its credentials): the host wins;
3. the user the controller's registry records for the slot's key (a reimaged host gets its user back);
4. a create the host marked pending for the slot before it was sent, recognised by its one-off limits among the
   users that nobody claims (no slot of any host of the play, no registry);
5. a new user, created with the one-off limits of the slot's pending marker.

A host's request is the dict the smtp_relay role describes for it: ``connection`` and ``users``, one entry per slot
(see the sendclean_smtp_fleet module). The functions below that take an ``entry`` take one element of ``users``.
"""

STATES = ('present', 'disabled')

ORIGIN_PINNED = 'pinned'
ORIGIN_HOST = 'host'
ORIGIN_REGISTRY = 'registry'
ORIGIN_ADOPTED = 'adopted'
ORIGIN_NEW = 'new'


class Decision(object):
    """What to do for one slot: a spec for the Provisioner (None: nothing to ensure), or an error for that slot alone.

    ``origin`` says where the user came from; ``note`` says what the run found worth telling.
    """

    def __init__(self, spec=None, origin=None, error=None, note=None):
        self.spec = spec
        self.origin = origin
        self.error = error
        self.note = note


def request_problems(request):
    """What is wrong with the shape of a host's request, as a list of messages (empty: nothing).

    Checked before any API call, so a request the code cannot read never fails half way through the writes.
    """
    users = request.get('users')
    if not isinstance(users, list) or not users:
        return ['it has no users list (one entry per slot of the host)']
    problems, slots = [], set()
    for index, entry in enumerate(users):
        where = 'users[%d]' % index
        if not isinstance(entry, dict):
            problems.append('%s is not a dict' % where)
            continue
        slot = entry.get('slot')
        if not isinstance(slot, str) or not slot:
            problems.append('%s has no slot' % where)
        elif slot in slots:
            problems.append('%s repeats slot %r' % (where, slot))
        slots.add(slot)
        if entry.get('state') not in STATES:
            problems.append('%s has state %r, not one of %s' % (where, entry.get('state'), ', '.join(STATES)))
        if not isinstance(entry.get('identity'), dict):
            problems.append('%s has no identity dict' % where)
        limits = entry.get('new_user_limits')
        if not isinstance(limits, (list, tuple)) or len(limits) != 2:
            problems.append('%s has no new_user_limits pair (total and hourly limit)' % where)
    return problems


def claimed_names(requests, registry_records):
    """Every user name that a slot of a host of the play (its record, or a pin) or the registry claims."""
    names = set(registry_records.values())
    for request in requests:
        for entry in request['users']:
            names.update(name for name in (entry.get('name'), entry['identity'].get('name')) if name)
    return names


def decide(entry, users, registry_name, claimed):
    """The Decision for one slot, given the listed users (name -> user), the registry's name for the slot's key,
    and the names claimed so far."""
    identity = entry['identity']
    present = entry['state'] == 'present'
    if identity.get('busy'):
        return Decision(error=identity['busy'])
    if entry.get('name'):
        return _existing(entry, users, entry['name'], ORIGIN_PINNED, 'smtp_relay_smtp_user_name pins SMTP user %r, '
                         'which does not exist in the account' % entry['name'])
    held = identity.get('name')
    if held:
        decision = _existing(entry, users, held, ORIGIN_HOST, 'this host holds SMTP user %r, which no longer exists in '
                             'the account; set smtp_relay_recreate_missing=true to create a replacement' % held)
        if registry_name and registry_name != held and decision.error is None:
            decision.note = ('the registry recorded %s for key %r, but the host holds %s: the host wins and the '
                             'registry is updated' % (registry_name, entry.get('key'), held))
        return decision
    if registry_name:
        return _existing(entry, users, registry_name, ORIGIN_REGISTRY, 'the registry records SMTP user %r for key %r, '
                         'which no longer exists in the account; set smtp_relay_recreate_missing=true to create a '
                         'replacement' % (registry_name, entry.get('key')))
    if not present:
        return Decision()  # never provisioned: nothing to disable
    pending = identity.get('pending')
    if pending:
        limits = (pending['total_limit'], pending['hourly_limit'])
        candidates = sorted(user['name'] for user in users.values()
                            if user['name'] not in claimed and (user['total_limit'], user['hourly_limit']) == limits)
        if len(candidates) > 1:
            return Decision(error='an earlier run sent a create for this host without learning its outcome, and several '
                                  'unclaimed users carry its one-off limits (%s): pin the right one with '
                                  'smtp_relay_smtp_user_name' % ', '.join(candidates))
        if candidates:
            return Decision(_existing_spec(entry, candidates[0], has_password=False, new_user=True), ORIGIN_ADOPTED,
                            note='adopted %s, the user an earlier run created for this host but never learned of'
                                 % candidates[0])
    return Decision(_new_spec(entry, pending), ORIGIN_NEW)


def _existing(entry, users, name, origin, missing):
    present = entry['state'] == 'present'
    if name in users:
        has_password = entry['identity'].get('name') == name and entry['identity'].get('has_password', False)
        return Decision(_existing_spec(entry, name, has_password), origin)
    if not present:
        return Decision(origin=origin)  # nothing left to disable
    if entry.get('recreate_missing') and origin != ORIGIN_PINNED:
        return Decision(_new_spec(entry, entry['identity'].get('pending')), ORIGIN_NEW,
                        note='%s is gone from the account: a replacement is created' % name)
    return Decision(error=missing)


def wanted_limits(entry, new_user=False):
    """The limits to enforce: those the inventory set; for a new (or adopted) user, the new-user limits otherwise."""
    defaults = entry['new_user_limits'] if new_user else (None, None)
    return (entry.get('total_limit') or defaults[0], entry.get('hourly_limit') or defaults[1])


def _existing_spec(entry, name, has_password, new_user=False):
    present = entry['state'] == 'present'
    total_limit, hourly_limit = wanted_limits(entry, new_user) if present else (None, None)
    return {
        'name': name, 'key': None, 'state': entry['state'], 'enabled': True if present else None,
        'total_limit': total_limit, 'hourly_limit': hourly_limit,
        # The listed password is never used: a host without credentials for its user gets a new password.
        'reset_password': present and (bool(entry.get('rotate')) or not has_password),
        'return_password': False, 'recreate_missing': False,
    }


def _new_spec(entry, pending):
    total_limit, hourly_limit = wanted_limits(entry, new_user=True)
    spec = {'name': None, 'key': None, 'state': 'present', 'enabled': True, 'total_limit': total_limit,
            'hourly_limit': hourly_limit, 'reset_password': False, 'return_password': False, 'recreate_missing': False}
    if pending:
        spec['create_limits'] = (pending['total_limit'], pending['hourly_limit'])
    return spec


def unclaimed_users(users, claimed):
    """The enabled users of the account that no host and no registry claims, as name and limits (no password)."""
    return [{'name': user['name'], 'total_limit': user['total_limit'], 'hourly_limit': user['hourly_limit']}
            for user in users if user['name'] not in claimed and user['enabled']]
