#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_host_identity
short_description: Keep on a host the record of which SendClean SMTP users it holds
version_added: 0.2.0
description:
  - Reads and writes the host's own record of its SendClean SMTP users, so that the host, not a file on the
    controller, is what says which users are its own. Every controller (a laptop, a CI runner, each AWX job) then
    finds the same users.
  - The record is a small JSON file (mode V(0600), directory V(0700)) that maps a slot to a user name, and holds no
    password. A slot is V(default), the user that relays all the host's mail, or a sender (V(orders@shop.example),
    V(@news.example)) with a user of its own. The passwords stay where Postfix reads them (O(credentials_path)).
  - Before a create is sent, O(operation=claim) marks it pending with one-off limits that no other create uses, so a
    create whose reply was lost is recognised later among the account's users, with no state on the controller.
    Two runs at once over the same host cannot both create a user for a slot - the second finds the first one's
    marker and reports the slot as busy.
  - In the same run it can report the state of other files (O(files)) and of Postfix (O(postconf)), so that the
    P(sendclean.mta.smtp_relay#role) role learns from one module run per host whether anything must change.
  - The P(sendclean.mta.smtp_relay#role) role calls it before and after M(sendclean.mta.sendclean_smtp_fleet).
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is written; O(operation=claim) reports another run's marker but writes no new one.
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
      - The Postfix SASL password file (C(sasl_passwd)) the host relays with. Its line for a slot's user gives that
        slot's password. When the record names no default user yet, the user of the relay's line (the one whose key
        is not a sender) is taken as the host's, so a host configured before the record existed keeps its user.
    type: path
  slots:
    description:
      - The slots to read and, with O(operation=claim), to mark a create pending for - V(default) or a sender.
        RV(host_identity.users) also reports every slot the record holds a user for.
    type: list
    elements: str
    default: [default]
  hourly_limits:
    description: With O(operation=claim), the hourly limit of the create a new marker stands for, by slot.
    type: dict
    default: {}
  operation:
    description:
      - V(read) reports the record.
      - V(claim) also marks a create pending for each of O(slots) that holds no user, unless another run's fresh marker
        is there (then the slot's C(busy) says so). A marker whose run ended without settling it, or older than
        O(lease), is taken over with its one-off limits, so the create it may have made is still recognised.
      - V(settle) ends run O(run) - records O(names), keeps the markers of O(unsettled) for the next run, drops the
        run's other markers, and forgets the users of O(forget).
    type: str
    choices: [read, claim, settle]
    default: read
  names:
    description: With O(operation=settle), the users to record, as slot to user name. Their markers are dropped.
    type: dict
    default: {}
  unsettled:
    description: With O(operation=settle), the slots whose create of run O(run) may have been applied without the
      run learning of it. Their markers stay, for the next run to recognise the user.
    type: list
    elements: str
    default: []
  forget:
    description: With O(operation=settle), the slots whose users the host no longer holds (a sender taken off the list).
    type: list
    elements: str
    default: []
  run:
    description: The run id O(operation=claim) returned in RV(host_identity.run). With O(operation=settle), only that
      run's markers are kept or dropped.
    type: str
  lease:
    description: Seconds after which another run's marker is taken to be abandoned (that run died before settling it).
    type: int
    default: 900
  files:
    description: Other files to report on, with O(operation=read) and O(operation=claim), in RV(host_identity.files).
    type: list
    elements: path
    default: []
  postconf:
    description: Where C(postconf) is. When set, RV(host_identity.postfix) reports the installed Postfix.
    type: path
  postfix_config_dir:
    description: The Postfix configuration directory whose C(inet_interfaces) RV(host_identity.postfix) reports.
    type: path
  postfix_status:
    description: Whether RV(host_identity.postfix) also tells if Postfix runs (C(postfix status)).
    type: bool
    default: false
  gather_distribution:
    description:
      - Whether to also return the facts of C(ansible.builtin.setup)'s C(distribution) subset (C(os_family),
        C(distribution), C(distribution_version), ...) in RV(ansible_facts), gathered the same way - for a play that
        did not gather facts, without a second module run.
    type: bool
    default: false
notes:
  - The passwords in RV(host_identity.users) are secrets - set C(no_log) on the task.
seealso:
  - module: sendclean.mta.sendclean_smtp_fleet
'''

EXAMPLES = r'''
- name: Read which SMTP users this host holds, and mark a create pending for a slot that holds none
  sendclean.mta.sendclean_host_identity:
    path: /etc/sendclean/smtp_relay.json
    credentials_path: /etc/postfix/sasl_passwd
    operation: claim
    slots: [default, orders@shop.example]
    hourly_limits:
      default: 500
      orders@shop.example: 100
  register: host_identity
  no_log: true

- name: Record the users the host got, and end the run's markers
  sendclean.mta.sendclean_host_identity:
    path: /etc/sendclean/smtp_relay.json
    operation: settle
    run: "{{ host_identity.host_identity.run }}"
    names:
      default: smtp94454398
      orders@shop.example: smtp94454399
'''

RETURN = r'''
host_identity:
  description: What the host holds, after the operation.
  returned: always
  type: dict
  contains:
    users:
      description: Each slot of O(slots) and of the record, with what the host holds for it.
      type: dict
      contains:
        name:
          description: The user name, or V(null).
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
      description: The id of this run's pending markers (O(operation=claim) when it marked one), else V(null).
      type: str
    files:
      description: Each path of O(files) - C(exists), C(checksum) (SHA-1), C(mode) (as V(0600)), C(owner), C(group).
      type: dict
    postfix:
      description: With O(postconf) - C(installed), C(version), C(default_database_type), C(inet_interfaces) (of
        O(postfix_config_dir), when it has a main.cf), C(running) (with O(postfix_status)); else V(null).
      type: dict
ansible_facts:
  description: With O(gather_distribution), the facts of setup's C(distribution) subset.
  returned: when O(gather_distribution=true)
  type: dict
  contains:
    os_family:
      description: The OS family, as setup gives it.
      type: str
      sample: Debian
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import (
    HostRecord, claim, held_user, read_credentials, settle, slot_identity,
)
from ansible_collections.sendclean.mta.plugins.module_utils._host_state import distribution_facts, file_state, postfix_state

DEFAULT_HOURLY_LIMIT = 500


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'required': True},
            'credentials_path': {'type': 'path'},
            'slots': {'type': 'list', 'elements': 'str', 'default': ['default']},
            'hourly_limits': {'type': 'dict', 'default': {}},
            'operation': {'type': 'str', 'default': 'read', 'choices': ['read', 'claim', 'settle']},
            'names': {'type': 'dict', 'default': {}},
            'unsettled': {'type': 'list', 'elements': 'str', 'default': []},
            'forget': {'type': 'list', 'elements': 'str', 'default': []},
            'run': {'type': 'str'},
            'lease': {'type': 'int', 'default': 900},
            'files': {'type': 'list', 'elements': 'path', 'default': []},
            'postconf': {'type': 'path'},
            'postfix_config_dir': {'type': 'path'},
            'postfix_status': {'type': 'bool', 'default': False},
            'gather_distribution': {'type': 'bool', 'default': False},
        },
        supports_check_mode=True,
    )
    params = module.params
    slots = params['slots']
    record = HostRecord(params['path'])
    writes = params['operation'] != 'read' and not module.check_mode
    run, busy, changed = None, {}, False
    try:
        credentials = read_credentials(params['credentials_path'])
        with record.locked(write=writes):
            if params['operation'] == 'claim':
                held = dict((slot, held_user(record, slot, credentials)) for slot in slots)
                hourly_limits = dict((slot, int(params['hourly_limits'].get(slot, DEFAULT_HOURLY_LIMIT))) for slot in slots)
                run, busy = claim(record, slots, held, hourly_limits, params['lease'], time.time(), module.check_mode)
                changed = run is not None
            elif params['operation'] == 'settle':
                changed = settle(record, dict((slot, str(name)) for slot, name in params['names'].items()),
                                 params['unsettled'], params['forget'], params['run'])
            if changed and not module.check_mode:
                record.write()
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg='cannot read or write the SendClean identity record %s: %s' % (params['path'], exc))
    host_identity = {
        'users': dict((slot, slot_identity(record, slot, credentials, busy)) for slot in list(slots) + sorted(record.users)),
        'run': run,
        'files': dict((path, file_state(module, path)) for path in params['files']),
        'postfix': postfix_state(module, params['postconf'], params['postfix_config_dir'], params['postfix_status'])
        if params['postconf'] else None,
    }
    facts = {'ansible_facts': distribution_facts(module)} if params['gather_distribution'] else {}
    module.exit_json(changed=changed, host_identity=host_identity, **facts)


if __name__ == '__main__':
    main()
