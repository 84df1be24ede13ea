# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The registry: a JSON file mapping playbook-chosen keys to SendClean-generated SMTP user names.

It also remembers, per key, a create that was sent but never confirmed (``pending``: the limits it asked for),
so that a later run adopts the user it may have made instead of creating a second one.

SendClean generates user names and has no labels, so the registry is what lets a playbook say "the user of
host web1" and get the same user on every run. It holds names only, never passwords. Writers (several
forks at once) serialize on the store's lock (see _json_store); the file is replaced atomically, mode 0600.
"""

import contextlib
import os

from ansible_collections.sendclean.mta.plugins.module_utils._json_store import JsonStore, StoreError

FORMAT_VERSION = 1
EXPECTED = '{"version": 1, "users": {key: name}}'

# The registry's errors are the store's: one kind of message for every file the collection keeps.
RegistryError = StoreError


class Registry(object):
    """Key to user-name records in one file. Use ``with registry.locked():`` around read-modify-write."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(path))
        self._store = JsonStore(self.path, 'registry')
        self.records, self.pending = self._load()

    def _load(self):
        """(records, pending) from the file; both empty when it does not exist yet."""
        data = self._store.load()
        if data is None:
            return {}, {}
        users = data.get('users') if isinstance(data, dict) else None
        pending = data.get('pending', {}) if isinstance(data, dict) else None
        users_valid = isinstance(users, dict) and all(isinstance(v, str) for v in users.values())
        pending_valid = isinstance(pending, dict) and all(isinstance(v, list) and len(v) == 2 for v in pending.values())
        if not (users_valid and pending_valid):
            raise self._store.invalid(EXPECTED)
        return dict(users), dict((key, tuple(limits)) for key, limits in pending.items())

    def name_of(self, key):
        """The user name recorded for key, or None."""
        return self.records.get(key)

    def pending_of(self, key):
        """The (total_limit, hourly_limit) of an unconfirmed create for key, or None."""
        return self.pending.get(key)

    def mark_pending(self, key, total_limit, hourly_limit):
        """Remember, before sending it, that a create for key may be applied without our knowing (needs the lock)."""
        self.pending[key] = (total_limit, hourly_limit)
        self._write()

    def keys_by_name(self):
        """Name to key, for reporting which key a user belongs to."""
        return dict((name, key) for key, name in self.records.items())

    @contextlib.contextmanager
    def locked(self):
        """Hold the exclusive write lock; the records are re-read once it is held, so no fork's record is lost."""
        with self._store.locked():
            self.records, self.pending = self._load()
            yield self

    def record(self, key, name):
        """Record key -> name (settling any pending create) and write the file now. Returns True if the record changed."""
        changed = self.records.get(key) != name
        if changed or key in self.pending:
            self.records[key] = name
            self.pending.pop(key, None)
            self._write()
        return changed

    def _write(self):
        content = {'version': FORMAT_VERSION, 'users': self.records}
        if self.pending:
            content['pending'] = dict((key, list(limits)) for key, limits in self.pending.items())
        self._store.write(content)
