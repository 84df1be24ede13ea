# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's record of the SendClean SMTP users it holds, one per slot (private: no compatibility promise).

A slot is ``default`` (the user that relays all the host's mail) or a sender (``orders@shop.example``,
``@news.example``). The record is the host's credentials store, independent of its MTA: each slot's user name,
password, the time the password was issued and the mark of a rotation not yet settled, plus the pending-create
markers. The MTA's own credentials file is
built from it on the host, so a password travels only from the API to this file.

Version 1 (names only; the passwords were in Postfix's sasl_passwd) is read as names without passwords, and the
writer imports each password from that file once.
"""

import random

from ansible_collections.sendclean.mta.plugins.module_utils._json_store import JsonStore
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import parse as parse_sasl_passwd
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import read as read_text

FORMAT_VERSION = 2
DEFAULT_SLOT = 'default'
KIND = 'SMTP user record'
EXPECTED = '{"version": 2, "users": {slot: {"name": ..., "password": ..., "issued": ...}}, "pending": {slot: marker}}'
# The rotation mark of a slot whose password some run may have reset without recording the new one.
UNSETTLED = 'unsettled'
# One-off total limits of pending creates: far above any real limit, drawn from 900 million values, so the user a
# create made is recognised among the account's users even when its reply was lost.
MARKER_LIMITS = (100000000, 999999999)


class HostRecord(object):
    """The record file. ``read()`` it; change it only inside ``with record.locked():`` and then ``write()``."""

    def __init__(self, path):
        self.path = path
        self._store = JsonStore(path, KIND)
        self.users, self.pending = {}, {}

    def read(self):
        """Load the file (a missing file is an empty record); returns self."""
        data = self._store.load()
        self.users, self.pending = {}, {}
        if data is None:
            return self
        if not isinstance(data, dict) or not isinstance(data.get('users', {}), dict) \
                or not isinstance(data.get('pending', {}), dict):
            raise self._store.invalid(EXPECTED)
        for slot, user in data.get('users', {}).items():
            if isinstance(user, str):  # version 1: the name alone
                user = {'name': user}
            if not isinstance(user, dict) or not isinstance(user.get('name'), str) \
                    or not isinstance(user.get('issued'), (int, type(None))) \
                    or not isinstance(user.get('rotation'), (str, type(None))):
                raise self._store.invalid(EXPECTED)
            self.users[slot] = {'name': user['name'], 'password': user.get('password'), 'issued': user.get('issued'),
                                'marker': user.get('marker'), 'rotation': user.get('rotation')}
        for slot, marker in data.get('pending', {}).items():
            if not isinstance(marker, dict) or not all(isinstance(marker.get(key), int)
                                                       for key in ('total_limit', 'hourly_limit')):
                raise self._store.invalid(EXPECTED)
            self.pending[slot] = {'total_limit': marker['total_limit'], 'hourly_limit': marker['hourly_limit'],
                                  'since': marker.get('since')}
        return self

    def locked(self):
        """The exclusive lock of the record; read() again once it is held."""
        return self._store.locked()

    def write(self):
        self._store.write({'version': FORMAT_VERSION, 'users': self.users, 'pending': self.pending})

    def name_of(self, slot):
        return (self.users.get(slot) or {}).get('name')


def read_sasl_passwd(path):
    """{lookup key: (user, password)} of the Postfix SASL password file at ``path`` (empty when there is none)."""
    return parse_sasl_passwd(read_text(path) or '')


def legacy_users(record, sasl_passwd):
    """What a host configured before version 2 holds that its record lacks, as {slot: (name, password)}: the
    password of each recorded user from its sasl_passwd line, and for a host without a record (0.1.0) the user of
    its relay line (the one line whose key is not a sender) as the default slot's."""
    passwords = dict(sasl_passwd.values())
    found = {}
    for slot, user in record.users.items():
        if not user.get('password') and passwords.get(user['name']):
            found[slot] = (user['name'], passwords[user['name']])
    if DEFAULT_SLOT not in record.users:
        relay = [pair for key, pair in sorted(sasl_passwd.items()) if '@' not in key]
        if relay:
            found[DEFAULT_SLOT] = relay[0]
    return found


def identity_facts(record_path, sasl_passwd_path):
    """What the host holds, without a password: {path, sasl_passwd, users: {slot: {name, has_password, issued,
    rotation_unsettled, pending, marker}}, legacy} (``issued``: when the password was issued, seconds since the epoch,
    None if unknown; ``rotation_unsettled``: a run may have reset the password without recording the new one, see
    begin_rotations; ``marker``: the limits the slot's user was created with, see settle).

    ``legacy`` lists the slots whose user or password is still only in sasl_passwd (imported on the next write).
    """
    record = HostRecord(record_path).read()
    legacy = legacy_users(record, read_sasl_passwd(sasl_passwd_path)) if sasl_passwd_path else {}
    users = {}
    for slot in set(record.users) | set(record.pending) | set(legacy):
        user = record.users.get(slot) or {}
        name = user.get('name') or (legacy.get(slot) or (None,))[0]
        users[slot] = {'name': name, 'has_password': bool(user.get('password')) or slot in legacy,
                       'issued': user.get('issued'), 'rotation_unsettled': bool(user.get('rotation')),
                       'pending': record.pending.get(slot), 'marker': user.get('marker')}
    return {'path': record_path, 'sasl_passwd': sasl_passwd_path, 'users': users, 'legacy': sorted(legacy)}


def credentials_of(record):
    """{slot: (name, password)} of the slots whose user has a password on the host."""
    return dict((slot, (user['name'], user['password'])) for slot, user in record.users.items() if user.get('password'))


def import_legacy(record, sasl_passwd):
    """Take into the record what only sasl_passwd holds (see legacy_users). Returns whether the record changed."""
    found = legacy_users(record, sasl_passwd)
    for slot, (name, password) in found.items():
        record.users[slot] = dict(record.users.get(slot) or {'issued': None, 'marker': None, 'rotation': None},
                                  name=name, password=password)
    return bool(found)


def mark_creates(record, hourly_limits, now):
    """Mark a create pending for each slot of ``hourly_limits``, before the create is sent (a slot whose user is gone
    from the account is marked too: its replacement is a create like any other).

    A marker already there is kept, whoever wrote it: its create may have been applied, and its one-off limits are
    how the next run finds that user. A run killed after marking therefore blocks nothing; another run that records
    the slot first wins at settle. Returns the markers, {slot: marker}.
    """
    markers = {}
    for slot, hourly_limit in hourly_limits.items():
        if slot not in record.pending:
            record.pending[slot] = {'total_limit': random.SystemRandom().randint(*MARKER_LIMITS),
                                    'hourly_limit': int(hourly_limit), 'since': int(now)}
        markers[slot] = record.pending[slot]
    return markers


def begin_rotations(record, tokens):
    """Mark, before the reset is sent, the rotation of each slot of ``tokens`` ({slot: a token of this run}).

    resetSmtpPassword ends the old password at once: until the new one is recorded, the host's credentials are
    refused. A run killed in between (or whose record write failed) leaves the mark, and the next run resets again
    (identity_facts: ``rotation_unsettled``). The token tells settle whether another run marked the slot since.
    """
    for slot, token in tokens.items():
        if slot in record.users:
            record.users[slot]['rotation'] = token


def stamp_issued(record, slots, now):
    """Take ``now`` as the issue time of the passwords of ``slots`` whose issue time is unknown (recorded before the
    record kept it): their age counts from today instead of making them due at once. Returns the slots stamped."""
    stamped = [slot for slot in slots
               if (record.users.get(slot) or {}).get('password') and record.users[slot].get('issued') is None]
    for slot in stamped:
        record.users[slot]['issued'] = int(now)
    return stamped


def settle(record, users, expected, forget, drop_passwords, now):
    """Record the users of this run and return the slots another run recorded first, {slot: their name}.

    ``users`` maps a slot to ``{name, password, rotation}`` (password None: keep the one the record has; rotation:
    the token this run marked before resetting the password, see begin_rotations); ``expected`` maps a
    slot to the name the run found when it started (None: none). A slot whose record changed since is left as it is:
    the first writer wins. When it names another user, the caller disables its own; when it names the same one,
    another run adopted it and reset its password after this run got its own, so the record keeps that run's.
    ``forget`` drops slots (senders taken off the list), ``drop_passwords`` removes the passwords of slots whose
    users are disabled (decommission).

    A slot recorded from its pending create moves the marker into the user's entry (``marker``): the new user carries
    the marker's limits until the run sets the wanted ones, and a run killed in between (or whose edit failed) leaves
    the next run the marker to tell that it must.

    A new password clears the slot's rotation mark only when the mark is still this run's own (or, for a run that
    marked none, when there is none): another mark means another run reset the password too, maybe after this one,
    so the slot is left UNSETTLED and the next run resets it once more rather than trust a password that may be dead.
    """
    conflicts = {}
    for slot, user in users.items():
        held = record.name_of(slot)
        if held and held != expected.get(slot):
            conflicts[slot] = held
            continue
        entry = dict(record.users.get(slot) or {}, name=user['name'])
        if held != user['name']:
            entry.update(password=None, issued=None, marker=record.pending.get(slot), rotation=None)
        if user.get('password'):
            mine = entry.get('rotation') == user.get('rotation')
            entry.update(password=user['password'], issued=int(now), rotation=None if mine else UNSETTLED)
        record.users[slot] = {'name': entry['name'], 'password': entry.get('password'), 'issued': entry.get('issued'),
                              'marker': entry.get('marker'), 'rotation': entry.get('rotation')}
        record.pending.pop(slot, None)
    for slot in forget:
        record.users.pop(slot, None)
        record.pending.pop(slot, None)
    for slot in drop_passwords:
        if slot in record.users:
            record.users[slot].update(password=None, issued=None, rotation=None)
    return conflicts


def update(record, now, sasl_passwd=None, mark=None, names=None, passwords=None, expected=None, forget=(),
           drop_passwords=(), begin_rotation=None, rotations=None, stamp=()):
    """Apply one write of sendclean_relay_record to ``record`` (read, and locked unless in check mode), in its order:
    import what only ``sasl_passwd`` (a path) holds, mark creates, mark rotations, settle the users of ``names``
    (with ``passwords`` and the ``rotations`` they settle), forget and drop, stamp issue times. Returns the module's
    result: {changed, markers, conflicts, stamped}; the caller writes the record when it changed."""
    before = (repr(record.users), repr(record.pending))
    if sasl_passwd:
        import_legacy(record, read_sasl_passwd(sasl_passwd))
    markers = mark_creates(record, mark or {}, now)
    begin_rotations(record, begin_rotation or {})
    users = dict((slot, {'name': name, 'password': (passwords or {}).get(slot), 'rotation': (rotations or {}).get(slot)})
                 for slot, name in (names or {}).items())
    conflicts = settle(record, users, expected or {}, forget, drop_passwords, now)
    stamped = stamp_issued(record, stamp, now)
    return {'changed': (repr(record.users), repr(record.pending)) != before, 'markers': markers,
            'conflicts': conflicts, 'stamped': stamped}
