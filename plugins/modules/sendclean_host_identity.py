#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_host_identity
short_description: Keep on a host the record of which SendClean SMTP user it holds
version_added: 0.2.0
description:
  - Reads and writes the host's own record of its SendClean SMTP users, so that the host, not a file on the
    controller, is what says which user is its own. Every controller (a laptop, a CI runner, each AWX job) then
    finds the same user.
  - The record is a small JSON file (mode V(0600), directory V(0700)) that maps a slot (V(default); one per sender
    later) to a user name, and holds no password. The password stays where Postfix reads it (O(credentials_path)).
  - Before a create is sent, O(operation=claim) marks it pending with one-off limits that no other create uses, so a
    create whose reply was lost is recognised later among the account's users, with no state on the controller.
    Two runs at once over the same host cannot both create a user for it - the second finds the first one's marker
    and reports the host as busy.
  - The P(sendclean.mta.smtp_relay#role) role calls it before and after
    M(sendclean.mta.sendclean_smtp_fleet).
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is written; O(operation=claim) reports an existing marker but writes no new one.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: The record file, for example V(/etc/sendclean/smtp_relay.json).
    type: path
    required: true
  credentials_path:
    description:
      - The Postfix SASL password file (C(sasl_passwd)) the host relays with. Its line for the recorded user gives
        RV(identity.password). When the record names no user yet, the user of its first line is taken as the host's
        (a host configured before the record existed keeps its user).
    type: path
  slot:
    description: Which of the host's users. V(default) is the user that relays all the host's mail.
    type: str
    default: default
  operation:
    description:
      - V(read) reports the record.
      - V(claim) also marks a create pending when the slot holds no user, unless another run's fresh marker is there
        (then RV(identity.busy) says so). A marker whose run ended without settling it, or older than O(lease), is
        taken over with its one-off limits, so the create it may have made is still recognised.
      - V(record) records O(name) for the slot and drops its pending marker.
      - V(release) drops the marker of run O(run) (its create was never sent).
      - V(unsettle) keeps the marker of run O(run) for the next run to settle (its create may have been applied).
    type: str
    choices: [read, claim, record, release, unsettle]
    default: read
  name:
    description: The user name to record, with O(operation=record).
    type: str
  run:
    description: The marker's run id, as O(operation=claim) returned it in RV(run); with O(operation=release) and
      O(operation=unsettle) only that run's marker is touched.
    type: str
  hourly_limit:
    description: The hourly limit of the create a new marker stands for, with O(operation=claim).
    type: int
    default: 500
  lease:
    description: Seconds after which another run's marker is taken to be abandoned (that run died before settling it).
    type: int
    default: 900
notes:
  - RV(identity.password) is a secret - set C(no_log) on the task.
seealso:
  - module: sendclean.mta.sendclean_smtp_fleet
'''

EXAMPLES = r'''
- name: Read which SMTP user this host holds, and mark a create pending if it holds none
  sendclean.mta.sendclean_host_identity:
    path: /etc/sendclean/smtp_relay.json
    credentials_path: /etc/postfix/sasl_passwd
    operation: claim
  register: host_identity
  no_log: true

- name: Record the user the host got
  sendclean.mta.sendclean_host_identity:
    path: /etc/sendclean/smtp_relay.json
    operation: record
    name: smtp94454398
'''

RETURN = r'''
identity:
  description: What the host holds for O(slot), after the operation.
  returned: always
  type: dict
  contains:
    name:
      description: The recorded user name, or V(null).
      type: str
      sample: smtp94454398
    recorded:
      description: Whether the record names that user (V(false) when it was only read from O(credentials_path)).
      type: bool
    has_password:
      description: Whether O(credentials_path) holds a password for that user.
      type: bool
    password:
      description: That password, or V(null). A secret.
      type: str
    pending:
      description: The pending create - C(total_limit) and C(hourly_limit) (its one-off limits), C(run), C(since)
        (epoch seconds), C(unsettled) - or V(null).
      type: dict
    busy:
      description: Why this run must not create a user for the slot (another run's fresh marker), or V(null).
      type: str
run:
  description: The id of this run's pending marker (O(operation=claim) when it marked one), else V(null).
  returned: always
  type: str
'''

import contextlib
import fcntl
import json
import os
import random
import tempfile
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

FORMAT_VERSION = 1
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
    """(user, password) of each line of a Postfix SASL password file: ``nexthop user:password``."""
    pairs = []
    if not path or not os.path.exists(path):
        return pairs
    with open(path) as handle:
        for line in handle:
            fields = line.split(None, 1)
            if len(fields) == 2 and ':' in fields[1] and not line.startswith('#'):
                user, password = fields[1].strip().split(':', 1)
                pairs.append((user, password))
    return pairs


def held_user(record, slot, credentials):
    """The user the slot holds: the recorded one; for the default slot of a host configured before the record
    existed, the user of its credentials."""
    if record.users.get(slot):
        return record.users[slot]
    return credentials[0][0] if credentials and slot == 'default' else None


def change_record(record, params, held, now, check_mode):
    """Apply the operation to the loaded record, whose slot holds user ``held`` (or None).

    Returns (changed, the run id of a new marker or None, why the slot is busy or None).
    """
    slot, operation, run = params['slot'], params['operation'], params['run']
    marker = record.pending.get(slot)
    if operation == 'record':
        changed = record.users.get(slot) != params['name'] or marker is not None
        record.users[slot] = params['name']
        record.pending.pop(slot, None)
        return changed, None, None
    if operation in ('release', 'unsettle'):
        if marker is None or marker.get('run') != run:
            return False, None, None
        if operation == 'release':
            del record.pending[slot]
        else:
            marker['unsettled'] = True
        return True, None, None
    if operation != 'claim' or held:
        return False, None, None
    if marker is not None and not marker.get('unsettled') and now - marker.get('since', 0) < params['lease']:
        return False, None, ('another run marked a create for this host pending at %s UTC and has not finished (run %s); '
                             'run again once it has, or after %d seconds if it died'
                             % (time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(marker.get('since', 0))),
                                marker.get('run'), params['lease']))
    if check_mode:
        return False, None, None
    new_run = uuid.uuid4().hex
    if marker is None:
        marker = {'total_limit': random.SystemRandom().randint(*MARKER_LIMITS), 'hourly_limit': params['hourly_limit']}
    record.pending[slot] = dict(marker, run=new_run, since=int(now), unsettled=False)
    return True, new_run, None


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'credentials_path': {'type': 'path'},
            'slot': {'type': 'str', 'default': 'default'},
            'operation': {'type': 'str', 'default': 'read', 'choices': ['read', 'claim', 'record', 'release', 'unsettle']},
            'name': {'type': 'str'},
            'run': {'type': 'str'},
            'hourly_limit': {'type': 'int', 'default': 500},
            'lease': {'type': 'int', 'default': 900},
        },
        required_if=[('operation', 'record', ['name']), ('operation', 'release', ['run']), ('operation', 'unsettle', ['run'])],
        supports_check_mode=True,
    )
    params = module.params
    record = HostRecord(params['path'])
    writes = params['operation'] != 'read' and not module.check_mode
    try:
        credentials = read_credentials(params['credentials_path'])
        with record.locked(write=writes):
            name = held_user(record, params['slot'], credentials)
            changed, run, busy = change_record(record, params, name, time.time(), module.check_mode)
            if changed and not module.check_mode:
                record.write()
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg='cannot read or write the SendClean identity record %s: %s' % (params['path'], exc))
    name = held_user(record, params['slot'], credentials)
    password = dict(credentials).get(name) or None
    module.exit_json(changed=changed, run=run, identity={
        'name': name, 'recorded': bool(name) and record.users.get(params['slot']) == name,
        'has_password': password is not None, 'password': password,
        'pending': record.pending.get(params['slot']), 'busy': busy,
    })


if __name__ == '__main__':
    main()
