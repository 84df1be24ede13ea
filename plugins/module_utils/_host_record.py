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
import fcntl
import json
import os
import random
import tempfile
import time
import uuid

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
    credentials = {}
    if not path or not os.path.exists(path):
        return credentials
    with open(path) as handle:
        for line in handle:
            fields = line.split(None, 1)
            if len(fields) == 2 and ':' in fields[1] and not line.startswith('#'):
                credentials[fields[0]] = tuple(fields[1].strip().split(':', 1))
    return credentials


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
