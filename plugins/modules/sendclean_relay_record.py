#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_record
short_description: Internal to the smtp_relay role - write the host's record of its SendClean SMTP users
version_added: 0.3.0
description:
  - Internal to the P(sendclean.mta.smtp_relay#role) role, which runs it from inside
    M(sendclean.mta.sendclean_relay_users) so that no password ever reaches a task result. Not meant to be used in
    playbooks; no compatibility promise.
  - Writes the host's record of the SMTP users it holds, one per slot (V(default), or a sender), under an exclusive
    lock. The record is a JSON file, mode V(0600) in a V(0700) directory, holding each slot's user name, password and
    the time the password was issued, and the markers of pending creates.
  - Before a create is sent, O(mark) marks it pending with one-off limits, so a create whose reply was lost (or whose
    run was killed) is recognised later among the account's users. A marker already there is kept, whoever wrote it.
  - O(names) records users. A slot that another run recorded a user for since this run began (the record no longer
    names the user of O(expected)) is left as that run wrote it and reported in RV(conflicts), so the first writer
    wins.
  - Before a password is reset, O(begin_rotation) marks the rotation; the write that records the new password
    (O(passwords) with the same token in O(rotations)) settles it. A mark left by a run killed in between, or
    overwritten by another run's, makes the next run reset the password again.
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports what would change and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: The record file, for example V(/etc/sendclean/smtp_relay.json).
    type: path
    required: true
  sasl_passwd:
    description:
      - A Postfix SASL password file to import from, once, the users and passwords a host configured by an earlier
        version of the role holds only there.
    type: path
  mark:
    description: Slots to mark a create pending for, each with the hourly limit of its create.
    type: dict
    default: {}
  names:
    description: The user to record for each slot.
    type: dict
    default: {}
  passwords:
    description: The new password of each slot of O(names) that has one; the others keep theirs.
    type: dict
    default: {}
  expected:
    description: The user each slot of O(names) held when the run began (V(null) for none).
    type: dict
    default: {}
  begin_rotation:
    description: Slots whose password is about to be reset, each with a token of the run.
    type: dict
    default: {}
  rotations:
    description: The token of O(begin_rotation) of each slot of O(passwords) whose rotation this write settles.
    type: dict
    default: {}
  stamp:
    description: Slots whose password's issue time is unknown; it is taken as now (the password's age counts from
      today).
    type: list
    elements: str
    default: []
  forget:
    description: Slots the host no longer holds (senders taken off the list).
    type: list
    elements: str
    default: []
  drop_passwords:
    description: Slots whose passwords are removed, their users kept (a decommissioned host).
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Mark the create of this host's default user pending
  sendclean.mta.sendclean_relay_record:
    path: /etc/sendclean/smtp_relay.json
    mark:
      default: 500
'''

RETURN = r'''
stamped:
  description: The slots of O(stamp) whose issue time was unknown and is now recorded.
  returned: always
  type: list
  elements: str
  sample: [default]
markers:
  description: The pending markers of the slots of O(mark) (total and hourly limit of their create).
  returned: always
  type: dict
  sample: {default: {total_limit: 512345678, hourly_limit: 500, since: 1796425200}}
conflicts:
  description: The slots of O(names) that another run recorded first, with the user it recorded.
  returned: always
  type: dict
  sample: {default: sc-1a2b3c}
'''

import contextlib
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord, update
from ansible_collections.sendclean.mta.plugins.module_utils._json_store import StoreError

CHANGES = ('sasl_passwd', 'mark', 'names', 'passwords', 'expected', 'forget', 'drop_passwords', 'begin_rotation',
           'rotations', 'stamp')


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'sasl_passwd': {'type': 'path', 'no_log': False},  # the file's path, not a secret
            'mark': {'type': 'dict', 'default': {}},
            'names': {'type': 'dict', 'default': {}},
            'passwords': {'type': 'dict', 'default': {}, 'no_log': True},
            'expected': {'type': 'dict', 'default': {}},
            'forget': {'type': 'list', 'elements': 'str', 'default': []},
            'drop_passwords': {'type': 'list', 'elements': 'str', 'default': [], 'no_log': False},  # slot names
            'begin_rotation': {'type': 'dict', 'default': {}},
            'rotations': {'type': 'dict', 'default': {}},
            'stamp': {'type': 'list', 'elements': 'str', 'default': []},
        },
        supports_check_mode=True,
    )
    record = HostRecord(module.params['path'])
    try:
        # Check mode writes nothing, not even the lock file or the directory of a new record.
        with contextlib.nullcontext() if module.check_mode else record.locked():
            record.read()
            result = update(record, time.time(), **dict((option, module.params[option]) for option in CHANGES))
            if result['changed'] and not module.check_mode:
                record.write()
    except StoreError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
