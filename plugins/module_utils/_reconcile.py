# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure reconcile logic: desired SMTP user vs the user the account holds -> the writes needed.

Nothing here talks to the service or the disk, so every decision is unit-tested as a function.
Users are the dicts of _client.parse_user: ``{name, enabled, status, total_limit, hourly_limit, password}``.
"""

from ansible_collections.sendclean.mta.plugins.module_utils._client import STATUS_DISABLE, STATUS_ENABLE
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure

STATE_PRESENT = 'present'
STATE_DISABLED = 'disabled'

# The fields an operator manages; a desired value of None means "leave as it is".
MANAGED_FIELDS = ('status', 'total_limit', 'hourly_limit')
PUBLIC_FIELDS = ('name', 'enabled', 'status', 'total_limit', 'hourly_limit')

OP_ADD = 'add'
OP_EDIT = 'edit'
OP_RESET = 'reset'


class InputError(TaskFailure):
    """Desired state that no run could reach; raised before any request."""


def desired_status(state, enabled):
    """The status a user should have: ``disabled`` always disables, ``present`` follows ``enabled`` when it is set,
    and None (leave it as it is) when it is not."""
    if state == STATE_DISABLED:
        return STATUS_DISABLE
    if enabled is None:
        return None
    return STATUS_ENABLE if enabled else STATUS_DISABLE


def check_spec(spec):
    """Reject a desired user that cannot be reached, naming the option and the fix. Returns None."""
    for option in ('total_limit', 'hourly_limit'):
        value = spec.get(option)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InputError('%s must be a whole number of at least 1, got %r' % (option, value))
    identified = spec.get('name') or spec.get('key')
    if spec['state'] == STATE_DISABLED and not identified:
        raise InputError('state=disabled never creates a user: give name, or key with registry, of the user to disable')
    if not identified:
        require_create_limits(spec, 'neither name nor key is given, so every run creates a new user')


def limits_warning(total_limit, hourly_limit):
    """Why an hourly limit above the total limit is likely a mistake (the two swapped, a zero too many), else None."""
    # Anything but two whole numbers is either unset or bad input that check_spec reports.
    limits = (total_limit, hourly_limit)
    if all(isinstance(limit, int) and not isinstance(limit, bool) for limit in limits) and hourly_limit > total_limit:
        return ('hourly_limit %d is above total_limit %d: the user can never send more than %d messages in all, so the '
                'hourly limit never applies; check that the two are not swapped' % (hourly_limit, total_limit, total_limit))
    return None


def require_create_limits(spec, why):
    """Creating a user needs both limits (addSmtp requires them)."""
    missing = [option for option in ('total_limit', 'hourly_limit') if spec.get(option) is None]
    if missing:
        raise InputError('%s %s required to create a user (%s)' % (' and '.join(missing), 'is' if len(missing) == 1 else 'are', why))


class Plan(object):
    """The writes that take ``before`` (None: the user does not exist yet) to ``after``.

    ``operations`` lists them in order (add, edit, reset); ``edit`` holds only the fields that differ.
    """

    def __init__(self, before, after, operations, edit):
        self.before = before
        self.after = after
        self.operations = operations
        self.edit = edit

    @property
    def changed(self):
        return bool(self.operations)


def plan(spec, current):
    """The Plan that brings ``current`` (a user, or None) to the desired ``spec``.

    With no current user, ``present`` creates one and ``disabled`` has nothing to do.

    Only the options the operator set are compared: without ``enabled`` an existing user's status stays as it
    is. A new user comes out of addSmtp enabled with the requested limits, so creating needs an edit only to
    disable it. A password reset right after a
    create would be a wasted write: the create already produced a fresh password.
    """
    wanted = {
        'status': desired_status(spec['state'], spec.get('enabled')),
        'total_limit': spec.get('total_limit'),
        'hourly_limit': spec.get('hourly_limit'),
    }
    if current is None and spec['state'] == STATE_DISABLED:
        return Plan(None, None, [], {})
    if current is None:
        total_limit, hourly_limit = create_limits(spec)
        created = {'name': None, 'status': STATUS_ENABLE, 'total_limit': total_limit, 'hourly_limit': hourly_limit}
        edit = differences(wanted, created)
        operations = [OP_ADD] + ([OP_EDIT] if edit else [])
        return Plan(None, public_view(dict(created, **edit)), operations, edit)
    edit = differences(wanted, current)
    operations = ([OP_EDIT] if edit else []) + ([OP_RESET] if spec.get('reset_password') else [])
    return Plan(public_view(current), public_view(dict(current, **edit)), operations, edit)


def create_limits(spec):
    """The limits addSmtp is sent with: ``create_limits`` when the spec has them, else the wanted limits.

    A caller that must recognise its own create after a lost reply sends one-off limits (a marker no other
    create uses) and lets the edit that follows set the wanted ones.
    """
    return tuple(spec.get('create_limits') or (spec.get('total_limit'), spec.get('hourly_limit')))


def differences(wanted, current):
    """The managed fields whose wanted value is set and differs from the current one."""
    return dict((field, wanted[field]) for field in MANAGED_FIELDS
                if wanted.get(field) is not None and wanted[field] != current.get(field))


def public_view(user):
    """A user as modules return it: the public fields only, never a password; None stays None."""
    if user is None:
        return None
    view = dict((field, user.get(field)) for field in PUBLIC_FIELDS)
    view['enabled'] = {STATUS_ENABLE: True, STATUS_DISABLE: False}.get(user.get('status'))
    return view


def adoption_candidates(names_before, users_after, total_limit, hourly_limit):
    """Users that appeared since ``names_before`` was taken and carry the limits a lost addSmtp asked for."""
    asked = (total_limit, hourly_limit)
    return [user for user in users_after
            if user['name'] not in names_before and (user['total_limit'], user['hourly_limit']) == asked]


def pending_adoption(users, limits, claimed):
    """The user a create sent with one-off ``limits`` made, if any, and any further users with those limits.

    ``claimed`` names users something already holds. Returns (user to adopt or None, [the others]): two runs that
    raced on one create may each have made a user; one is adopted, the others are to be disabled, never left enabled
    and unclaimed.
    """
    candidates = sorted((user for user in users
                         if user['name'] not in claimed and (user['total_limit'], user['hourly_limit']) == tuple(limits)),
                        key=lambda user: user['name'])
    return (candidates[0] if candidates else None), candidates[1:]


def diff_of(before, after):
    """Ansible's before/after diff of two public views (None: no user); passwords are never part of it."""
    return {'before': before or {}, 'after': after or {}}
