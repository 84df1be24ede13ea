# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's record of the SendClean SMTP users it holds, one per slot (private: no compatibility promise).

A slot is ``default`` (the user that relays all the host's mail) or a sender (``orders@shop.example``,
``@news.example``). The record holds names and pending-create markers, never a password: the passwords stay in
the Postfix SASL password file, one line per slot.
"""

import contextlib
import errno
import fcntl
import json
import os
import random
import tempfile
import time
import uuid

from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import parse as parse_sasl_passwd
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import read as read_sasl_passwd

FORMAT_VERSION = 1
DEFAULT_SLOT = 'default'
# One-off total limits of pending creates: far above any real limit, drawn from 900 million values.
MARKER_LIMITS = (100000000, 999999999)


class HostRecord(object):
    """The record file: ``{"version": 1, "users": {slot: name}, "pending": {slot: marker}}``."""

    def __init__(self, path):
        self.path = path
        self.users, self.pending = {}, {}

    @contextlib.contextmanager
    def locked(self, write):
        """Load the record; to ``write`` it, hold its lock (a file beside it), making the directory if needed."""
        directory = os.path.dirname(self.path)
        if not write:
            self._load()
            yield self
            return
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        lock_fd = os.open(os.path.join(directory, '.%s.lock' % os.path.basename(self.path)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._load()
            yield self
        finally:
            os.close(lock_fd)

    def read(self):
        """The record as version 2 reads it (see RecordContent); raises StoreError when it is corrupt."""
        return _read_record(self.path)

    def _load(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (IOError, OSError):
            return
        self.users = dict(data.get('users') or {})
        self.pending = dict(data.get('pending') or {})

    def write(self):
        directory = os.path.dirname(self.path)
        fd, temp_path = tempfile.mkstemp(prefix='.identity-', dir=directory)
        try:
            with os.fdopen(fd, 'w') as handle:
                json.dump({'version': FORMAT_VERSION, 'users': self.users, 'pending': self.pending}, handle, indent=2,
                          sort_keys=True)
                handle.write('\n')
                handle.flush()
                os.fsync(handle.fileno())  # a pending marker must be on disk before its create is sent
            os.chmod(temp_path, 0o600)
            os.rename(temp_path, self.path)
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)


def read_credentials(path):
    """{lookup key: (user, password)} of a Postfix SASL password file, whose lines are ``key user:password``."""
    text = read_sasl_passwd(path) if path else None
    return parse_sasl_passwd(text) if text else {}


def held_user(record, slot, credentials):
    """The user the slot holds: the recorded one; for the default slot of a host configured before the record
    existed, the user of its relay line (the one line whose key is not a sender)."""
    if record.users.get(slot):
        return record.users[slot]
    if slot != DEFAULT_SLOT:
        return None
    relay_users = [user for key, (user, _password) in sorted(credentials.items()) if '@' not in key]
    return relay_users[0] if relay_users else None


def slot_identity(record, slot, credentials, busy):
    """What the host holds for ``slot``: the user, whether the record names it, its password, the pending create."""
    name = held_user(record, slot, credentials)
    password = dict(credentials.values()).get(name) if name else None
    return {'name': name, 'recorded': bool(name) and record.users.get(slot) == name,
            'has_password': password is not None, 'password': password,
            'pending': record.pending.get(slot), 'busy': busy.get(slot)}


def claim(record, slots, held, hourly_limits, lease, now, check_mode):
    """Mark a create pending for each slot that holds no user, all under one new run id.

    ``held`` maps a slot to the user it holds; ``hourly_limits`` a slot to the hourly limit of its create.
    Returns (the run id, or None when nothing was marked; {slot: why another run's fresh marker keeps it busy}).
    """
    new_run, busy = None, {}
    for slot in slots:
        marker = record.pending.get(slot)
        if held.get(slot):
            continue
        if marker is not None and not marker.get('unsettled') and now - marker.get('since', 0) < lease:
            busy[slot] = ('another run marked a create for this host pending at %s UTC and has not finished (run %s); '
                          'run again once it has, or after %d seconds if it died'
                          % (time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(marker.get('since', 0))),
                             marker.get('run'), lease))
            continue
        if check_mode:
            continue
        new_run = new_run or uuid.uuid4().hex
        if marker is None:  # a marker taken over keeps its one-off limits: its create may have been applied
            marker = {'total_limit': random.SystemRandom().randint(*MARKER_LIMITS), 'hourly_limit': hourly_limits[slot]}
        record.pending[slot] = dict(marker, run=new_run, since=int(now), unsettled=False)
    return new_run, busy


def settle(record, names, unsettled, forget, run):
    """After the creates of run ``run``: record ``names`` (slot -> user, dropping their markers), keep the markers of
    ``unsettled`` slots for the next run (their create may have been applied), drop the run's other markers (their
    create was never sent), and forget the users of the ``forget`` slots. Returns whether the record changed."""
    before = json.dumps([record.users, record.pending], sort_keys=True)
    for slot, name in names.items():
        record.users[slot] = name
        record.pending.pop(slot, None)
    for slot in forget:
        record.users.pop(slot, None)
    for slot, marker in list(record.pending.items()):
        if run is not None and marker.get('run') == run:
            if slot in unsettled:
                marker['unsettled'] = True
            else:
                del record.pending[slot]
    return json.dumps([record.users, record.pending], sort_keys=True) != before


# --- version 2 (the passwords in the record): what the relay's host modules read. The lead's branch i19-users
# replaces this file; these are its names and results, so that sendclean_relay_facts and
# sendclean_relay_credentials run before it lands. ---

class StoreError(TaskFailure):
    """The record cannot be read, or is not what the collection writes; the message names the file and the fix."""


class RecordContent(object):
    """A record as read: ``users`` {slot: {name, password, issued}} and ``pending`` {slot: marker}."""

    def __init__(self, users, pending):
        self.users = users
        self.pending = pending


def _read_record(path):
    """The record at ``path`` (versions 1 and 2); empty when it does not exist."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return RecordContent({}, {})
        raise StoreError('cannot read the SMTP user record %s: %s' % (path, exc.strerror))
    except ValueError as exc:
        raise StoreError('the SMTP user record %s is not valid JSON (%s): restore it from a backup, or remove it to '
                         'start again' % (path, exc))
    if not isinstance(data, dict) or not isinstance(data.get('users', {}), dict) \
            or not isinstance(data.get('pending', {}), dict):
        raise StoreError('the SMTP user record %s is not a sendclean.mta record: restore it from a backup, or remove it '
                         'to start again' % path)
    users = {}
    for slot, user in data.get('users', {}).items():
        user = {'name': user} if isinstance(user, str) else user  # version 1: the name alone
        users[slot] = {'name': user.get('name'), 'password': user.get('password'), 'issued': user.get('issued')}
    return RecordContent(users, dict(data.get('pending') or {}))


def credentials_of(record):
    """{slot: (name, password)} of the slots whose user has a password on the host."""
    return dict((slot, (user['name'], user['password'])) for slot, user in record.users.items()
                if user.get('name') and user.get('password'))


def identity_facts(record_path, credentials_path):
    """What the host holds, without a password: {path, users: {slot: {name, has_password, pending}}}. A version 1
    record's users have the password of their sasl_passwd line."""
    record = HostRecord(record_path).read()
    legacy = read_credentials(credentials_path)
    legacy_passwords = dict(legacy.values())
    relay_users = [user for key, (user, dummy) in sorted(legacy.items()) if '@' not in key]
    users = {}
    for slot in set(record.users) | set(record.pending) | set([DEFAULT_SLOT] if relay_users else []):
        name = (record.users.get(slot) or {}).get('name') or (relay_users[0] if slot == DEFAULT_SLOT and relay_users else None)
        users[slot] = {'name': name,
                       'has_password': bool((record.users.get(slot) or {}).get('password') or legacy_passwords.get(name)),
                       'pending': record.pending.get(slot)}
    return {'path': record_path, 'users': dict((slot, user) for slot, user in users.items()
                                               if user['name'] or user['pending'])}
