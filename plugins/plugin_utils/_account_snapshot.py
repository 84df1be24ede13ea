# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One listing of a SendClean account, shared by the hosts of a play batch (private: no compatibility promise).

Ansible runs each host's task in its own worker process, forked from the one ansible-playbook process, and under
the free and host_pinned strategies a host does not wait for the others. So the hosts share the listing through a
file in that process's own temporary directory (ansible-local-*, private to the run, removed when it ends): the
first host to take the lock lists the account, the others read what it wrote. Every write a host makes is merged
into the file, so a later host sees the users an earlier one created. No password is kept: no decision needs one.
"""

import contextlib
import hashlib
import json
import os

from ansible_collections.sendclean.mta.plugins.module_utils._json_store import JsonStore

KIND = 'account listing'
USER_FIELDS = ('name', 'enabled', 'status', 'total_limit', 'hourly_limit')


def snapshot_key(connection, scope):
    """A digest of the account's connection (token included, so the token is never in the file name) and of the
    scope the listing serves (the play and its batch of hosts)."""
    return hashlib.sha256(json.dumps([connection, scope], sort_keys=True).encode('utf-8')).hexdigest()[:32]


class AccountSnapshot(object):
    """The shared listing in ``directory``; ``users(list_users)`` lists only when no host of the scope has."""

    def __init__(self, directory, key):
        self._store = JsonStore(os.path.join(directory, 'sendclean-account-%s.json' % key), KIND)
        self.listed = False
        self._seen = {}

    def users(self, list_users):
        """{name: user} (no password) and the names hosts claimed so far, listing with ``list_users`` if needed."""
        with self._store.locked():
            content = self._store.load()
            if content is None:
                content = {'users': dict((user['name'], _without_password(user)) for user in list_users()),
                           'claimed': []}
                self._store.write(content)
                self.listed = True
        self._seen = dict((name, dict(user)) for name, user in content['users'].items())
        return content['users'], set(content['claimed'])

    def merge(self, host, users, claimed):
        """Add to the shared listing the users this host changed (or made) since it got it, and the names it claims.
        The others are left as they are there: another host may have changed them since."""
        changed = dict((name, _without_password(user)) for name, user in users.items()
                       if _without_password(user) != self._seen.get(name))
        with self._store.locked():
            content = self._store.load() or {'users': {}, 'claimed': []}
            content['users'].update(changed)
            content['claimed'] = sorted(set(content['claimed']) | set(claimed))
            content['hosts'] = sorted(set(content.get('hosts', [])) | set([host]))
            self._store.write(content)

    @contextlib.contextmanager
    def first_report(self):
        """The shared listing for the first host that asks (None for the others, or when no host listed): the account's
        users, the names claimed and the hosts that ensured theirs. What it changes in ``users`` is kept."""
        with self._store.locked():
            content = self._store.load()
            if content is None or content.get('reported'):
                yield None
                return
            yield content
            content['reported'] = True
            self._store.write(content)


def _without_password(user):
    """A user as _client.parse_user gives it (the Provisioner reads its ``password``), with none."""
    return dict(((field, user.get(field)) for field in USER_FIELDS), password=None)
