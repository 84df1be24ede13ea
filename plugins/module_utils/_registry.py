# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The registry: a JSON file mapping playbook-chosen keys to SendClean-generated SMTP user names.

It also remembers, per key, a create that was sent but never confirmed (``pending``: the limits it asked for),
so that a later run adopts the user it may have made instead of creating a second one.

SendClean generates user names and has no labels, so the registry is what lets a playbook say "the user of
host web1" and get the same user on every run. It holds names only, never passwords. Writers (several
forks at once) serialize on an exclusive lock on ``<path>.lock``; the file is replaced atomically, mode 0600.
"""

import contextlib
import errno
import fcntl
import json
import os
import tempfile

from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure

FORMAT_VERSION = 1
FILE_MODE = 0o600
DIR_MODE = 0o700


class RegistryError(TaskFailure):
    """The registry file cannot be read, parsed or written; the message names the path and the fix."""


class Registry(object):
    """Key to user-name records in one file. Use ``with registry.locked():`` around read-modify-write."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(path))
        self._locked = False
        self.records, self.pending = self._load()

    def _load(self):
        """(records, pending) from the file; both empty when it does not exist yet."""
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except IOError as exc:
            if exc.errno == errno.ENOENT:
                return {}, {}
            raise RegistryError('cannot read registry %s: %s' % (self.path, exc.strerror))
        except ValueError as exc:
            raise RegistryError('registry %s is not valid JSON (%s); restore it from a backup or remove it' % (self.path, exc))
        users = data.get('users') if isinstance(data, dict) else None
        pending = data.get('pending', {}) if isinstance(data, dict) else None
        users_valid = isinstance(users, dict) and all(isinstance(v, str) for v in users.values())
        pending_valid = isinstance(pending, dict) and all(isinstance(v, list) and len(v) == 2 for v in pending.values())
        if not (users_valid and pending_valid):
            raise RegistryError('registry %s is not a sendclean.mta registry (expected {"version": 1, "users": {key: name}})' % self.path)
        return dict(users), dict((key, tuple(limits)) for key, limits in pending.items())

    def name_of(self, key):
        """The user name recorded for key, or None."""
        return self.records.get(key)

    def pending_of(self, key):
        """The (total_limit, hourly_limit) of an unconfirmed create for key, or None."""
        return self.pending.get(key)

    def mark_pending(self, key, total_limit, hourly_limit):
        """Remember, before sending it, that a create for key may be applied without our knowing (needs the lock)."""
        self._require_lock()
        self.pending[key] = (total_limit, hourly_limit)
        self._write()

    def keys_by_name(self):
        """Name to key, for reporting which key a user belongs to."""
        return dict((name, key) for key, name in self.records.items())

    @contextlib.contextmanager
    def locked(self):
        """Hold the exclusive write lock; the records are re-read once it is held, so no fork's record is lost."""
        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, DIR_MODE)
            lock_fd = os.open(self.path + '.lock', os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise RegistryError('cannot create registry %s: %s' % (self.path, exc.strerror))
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._locked = True
            self.records, self.pending = self._load()
            yield self
        finally:
            self._locked = False
            os.close(lock_fd)  # closing the descriptor releases the lock

    def record(self, key, name):
        """Record key -> name (settling any pending create) and write the file now. Returns True if the record changed."""
        self._require_lock()
        changed = self.records.get(key) != name
        if changed or key in self.pending:
            self.records[key] = name
            self.pending.pop(key, None)
            self._write()
        return changed

    def _require_lock(self):
        if not self._locked:
            raise RegistryError('registry %s: writing needs the lock' % self.path)

    def _write(self):
        directory = os.path.dirname(self.path)
        fd, temp_path = tempfile.mkstemp(prefix='.registry-', dir=directory)
        try:
            with os.fdopen(fd, 'w') as handle:
                content = {'version': FORMAT_VERSION, 'users': self.records}
                if self.pending:
                    content['pending'] = dict((key, list(limits)) for key, limits in self.pending.items())
                json.dump(content, handle, indent=2, sort_keys=True)
                handle.write('\n')
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_path, FILE_MODE)
            os.rename(temp_path, self.path)
        except (IOError, OSError) as exc:
            if os.path.exists(temp_path):
                os.remove(temp_path)
            raise RegistryError('cannot write registry %s: %s' % (self.path, exc))
