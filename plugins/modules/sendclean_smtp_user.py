#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_smtp_user
short_description: Create, update, disable and rotate SendClean SMTP users idempotently
version_added: 0.1.0
description:
  - Manages one SMTP user of a SendClean account. The module lists the account's users once
    (C(settings/listSmtp)), compares the user with the desired state, and makes only the writes needed -
    C(addSmtp) to create, one C(editSmtp) carrying only the fields that differ, C(resetSmtpPassword) to rotate.
    A run that finds nothing to change makes exactly one request.
  - SendClean generates user names and passwords and has no labels. To manage "the user of host web1" across
    runs, give a O(key) and a O(registry) file; the module records which user it created for that key.
  - Without O(name) and O(key), B(every run creates a new user). That suits one-off provisioning only.
  - The API has no delete, so there is no O(state=absent); O(state=disabled) is how a user is decommissioned.
  - When the reply to a create is lost (connection dropped, timeout, 5xx after sending), the module lists the
    users again and adopts the one new user with the requested limits instead of creating a duplicate
    (RV(adopted)); with no new user it creates once more; with several it fails and names them.
    A lost password-reset reply is settled the same way by comparing the listed password.
author:
  - SendClean MTA collection maintainers (@sendclean)
requirements:
  - requests (the Python library, on the host that runs the module)
extends_documentation_fragment:
  - sendclean.mta.connection
  - sendclean.mta.connection.actiongroup
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only C(listSmtp) is called and the registry is not written; C(changed) and the diff predict the real run.
  diff_mode:
    support: full
    details: Before and after show name, status, enabled and limits, never a password.
  platform:
    platforms: posix
options:
  name:
    description:
      - The name of an existing SMTP user, as SendClean generated it (for example V(smtp94454398)).
      - If the account has no such user the module fails without writing anything.
      - Mutually exclusive with O(key).
    type: str
    aliases: [smtp_user_name]
  key:
    description:
      - A stable handle of the playbook's choosing for the user, such as the inventory hostname.
      - The first run creates a user and records O(key) and the generated name in O(registry); later runs
        manage that user.
      - Requires O(registry). Mutually exclusive with O(name).
    type: str
  registry:
    description:
      - A JSON file, on the host that runs the module, that maps each O(key) to its user name (never a password).
      - It is created if missing (mode V(0600), parent directories V(0700)), replaced atomically, and locked while
        written through a C(<registry>.lock) file beside it, so parallel forks can share it. Keep the registry with
        the inventory, like C(known_hosts); the lock file holds nothing and need not be kept.
      - It also notes a create that was sent but never confirmed (C(pending)), so the next run adopts the user
        that create made instead of creating a second one.
    type: path
  recreate_missing:
    description:
      - When the registry records a user that no longer exists in the account, create a replacement and update
        the record. By default the module fails instead, so a second user is never created silently.
    type: bool
    default: false
  state:
    description:
      - V(present) ensures the user exists; with O(key) it creates it if needed, enabled. Its status changes only
        when O(enabled) is set.
      - V(disabled) disables the user if it exists and never creates one; a missing user is not an error.
    type: str
    choices: [present, disabled]
    default: present
  enabled:
    description:
      - With O(state=present), whether the user may send (status C(Enable)) or not (C(Disable)).
      - When not set, an existing user's status stays as it is (a task that only sets limits never re-enables a
        disabled user), and a new user is created enabled.
      - The service may list the status as C(Enable)/C(Disable) in any case or as V(1)/V(0); a user listed with a
        status in none of these forms fails the task, and nothing is written for it.
    type: bool
  total_limit:
    description:
      - The total number of messages the user may send. Required to create a user.
      - On an existing user it is compared only when set.
    type: int
  hourly_limit:
    description:
      - The number of messages the user may send per hour. Required to create a user.
      - On an existing user it is compared only when set.
    type: int
  reset_password:
    description:
      - Rotate the user's password (C(resetSmtpPassword)). The task then always reports a change.
      - Skipped when the user was created in this run, since it already has a fresh password.
    type: bool
    default: false
  return_password:
    description:
      - Also return the current password in RV(smtp_password) when it did not change in this run (the list call
        carries it). Use C(no_log) on the task.
    type: bool
    default: false
  users:
    description:
      - Manage many users in one run - one C(listSmtp) for the whole list, then only the writes needed. A fleet of
        a thousand hosts costs one request when nothing changed, instead of a thousand.
      - Each element takes the options that describe one user; O(registry), the connection options and the
        diff and check mode apply to all of them.
      - One failing element does not stop the others; the task fails at the end with a summary, and
        RV(smtp_user_results) holds every element's result. An element with input no run could reach (a missing limit,
        a key without O(registry)) fails alone, and no request is made for it.
      - Mutually exclusive with the single-user options (O(name), O(key), O(state), O(enabled), O(total_limit),
        O(hourly_limit), O(reset_password), O(return_password), O(recreate_missing)).
    type: list
    elements: dict
    suboptions:
      name:
        description: The name of an existing user. Mutually exclusive with O(users[].key).
        type: str
        aliases: [smtp_user_name]
      key:
        description: A stable handle for the user, recorded in O(registry). Mutually exclusive with O(users[].name).
        type: str
      recreate_missing:
        description: Create a replacement when the recorded user no longer exists.
        type: bool
        default: false
      state:
        description: V(present) or V(disabled), as O(state).
        type: str
        choices: [present, disabled]
        default: present
      enabled:
        description: With O(users[].state=present), whether the user may send; when not set, the status stays as it is.
        type: bool
      total_limit:
        description: Total messages the user may send; required to create it.
        type: int
      hourly_limit:
        description: Messages per hour; required to create it.
        type: int
      reset_password:
        description: Rotate the user's password.
        type: bool
        default: false
      return_password:
        description: Also return the unchanged password.
        type: bool
        default: false
notes:
  - Run it on the controller (C(delegate_to) V(localhost) or a play on C(localhost)); the registry lives on the
    host that runs the module.
  - ansible-core up to 2.21 gives modules no way to mark a returned value as secret. Set C(no_log=true) on every
    task that returns a password (RV(smtp_password)) and register the result instead of printing it.
seealso:
  - module: sendclean.mta.sendclean_smtp_info
    description: Read users, and compare the account with a registry.
  - ref: sendclean.mta.smtp_relay role <ansible_collections.sendclean.mta.smtp_relay_role>
    description: Give every mail-sending host its own user and relay its Postfix through SendClean.
'''

EXAMPLES = r'''
- name: Ensure an SMTP user for every host of the play, with one list call in all
  sendclean.mta.sendclean_smtp_user:
    registry: "{{ inventory_dir }}/sendclean-registry.json"
    users: "{{ fleet_users | from_yaml }}"
  vars:
    fleet_users: |
      {% for host in ansible_play_hosts %}
      - key: {{ host }}
        total_limit: {{ hostvars[host].smtp_total_limit | default(10000) }}
        hourly_limit: 500
      {% endfor %}
  delegate_to: localhost
  run_once: true
  register: fleet
  no_log: true

- name: Ensure the SMTP user of this host exists, recorded under its inventory hostname
  sendclean.mta.sendclean_smtp_user:
    owner_id: "28779705"
    token: "{{ vault_sendclean_token }}"
    app_domain: us1-mta1.sendclean.net
    key: "{{ inventory_hostname }}"
    registry: "{{ inventory_dir }}/sendclean-registry.json"
    total_limit: 10000
    hourly_limit: 500
  delegate_to: localhost
  register: smtp_user
  no_log: true

- name: Set the credentials once for every SendClean module
  module_defaults:
    group/sendclean.mta.sendclean:
      owner_id: "28779705"
      token: "{{ vault_sendclean_token }}"
      app_domain: us1-mta1.sendclean.net
  block:
    - name: Raise the hourly limit of an existing user
      sendclean.mta.sendclean_smtp_user:
        name: smtp94454398
        hourly_limit: 1000

    - name: Rotate the password of an existing user
      sendclean.mta.sendclean_smtp_user:
        name: smtp94454398
        reset_password: true
      register: rotated
      no_log: true

    - name: Decommission the user of a retired host
      sendclean.mta.sendclean_smtp_user:
        key: old-web7
        registry: "{{ inventory_dir }}/sendclean-registry.json"
        state: disabled
'''

RETURN = r'''
smtp_user_results:
  description:
    - With O(users), each element's result by its key, else its name, else its position (V(users[3])).
    - Each result has the fields returned for a single user (RV(smtp_user), RV(smtp_password), RV(password_changed),
      RV(adopted), RV(operations), RV(registry_updated)), plus C(failed) and C(msg) for an element that failed.
  returned: when O(users) is given
  type: dict
  sample:
    web1:
      smtp_user: {name: smtp94454398, enabled: true, status: Enable, total_limit: 10000, hourly_limit: 500}
      smtp_password: null
      password_changed: false
      adopted: false
      operations: []
      registry_updated: false
smtp_user:
  description:
    - The user after the run (predicted in check mode), or V(null) when there is none (O(state=disabled) for a
      user that does not exist).
  returned: when O(users) is not given
  type: dict
  contains:
    name:
      description: The user name generated by SendClean; V(null) in check mode for a user that would be created.
      type: str
      sample: smtp94454398
    enabled:
      description: Whether the user may send.
      type: bool
      sample: true
    status:
      description: The service's status, C(Enable) or C(Disable).
      type: str
      sample: Enable
    total_limit:
      description: Total number of messages the user may send.
      type: int
      sample: 10000
    hourly_limit:
      description: Messages the user may send per hour.
      type: int
      sample: 500
smtp_password:
  description:
    - The user's password, when it was generated in this run (create, reset or adoption) or O(return_password=true).
    - V(null) otherwise. In check mode only an unchanged password is returned (with O(return_password=true)), so a
      caller can predict whether what it writes with the password would change.
  returned: when O(users) is not given
  type: str
  sample: null
password_changed:
  description: Whether the user has a new password since this run started (predicted in check mode).
  returned: when O(users) is not given
  type: bool
adopted:
  description: Whether the user was created by a create whose reply was lost, and adopted after listing again.
  returned: when O(users) is not given
  type: bool
operations:
  description: The writes made (in check mode, that would be made), in order.
  returned: when O(users) is not given
  type: list
  elements: str
  sample: [add, edit]
registry_updated:
  description: Whether the registry got a new record in this run (predicted in check mode).
  returned: when O(users) is not given
  type: bool
api_error:
  description: On a failed API call, what the service or the transport said. Never holds the token.
  returned: failure
  type: dict
  contains:
    call:
      description: The API call that failed.
      type: str
      sample: addSmtp
    error_type:
      description: C(ValidationError), C(AuthenticationError), C(GeneralError), or C(Transport) for faults
        below the API (connection, timeout, non-JSON replies).
      type: str
      sample: ValidationError
    http_status:
      description: The HTTP status of the reply, V(null) when none arrived.
      type: int
      sample: 400
    message:
      description: The service's message, or what went wrong in transport.
      type: str
    outcome_unknown:
      description: Whether the write may have been applied although no success reply arrived.
      type: bool
'''

import contextlib

from ansible_collections.sendclean.mta.plugins.module_utils._module import AnsibleSendClean
from ansible_collections.sendclean.mta.plugins.module_utils._provision import Provisioner
from ansible_collections.sendclean.mta.plugins.module_utils._reconcile import InputError, check_spec, limits_warning

# What one user is, at the top level and in each element of `users`.
USER_OPTIONS = {
    'name': {'type': 'str', 'aliases': ['smtp_user_name']},
    'key': {'type': 'str', 'no_log': False},
    'recreate_missing': {'type': 'bool', 'default': False},
    'state': {'type': 'str', 'choices': ['present', 'disabled'], 'default': 'present'},
    'enabled': {'type': 'bool'},
    'total_limit': {'type': 'int'},
    'hourly_limit': {'type': 'int'},
    'reset_password': {'type': 'bool', 'default': False, 'no_log': False},
    'return_password': {'type': 'bool', 'default': False, 'no_log': False},
}


class SmtpUserModule(AnsibleSendClean):
    argument_spec = dict(
        USER_OPTIONS,
        registry={'type': 'path'},
        users={'type': 'list', 'elements': 'dict', 'options': USER_OPTIONS, 'mutually_exclusive': [('name', 'key')]},
    )
    module_kwargs = {
        'mutually_exclusive': [('name', 'key')] + [('users', option) for option in sorted(USER_OPTIONS)],
        'required_by': {'key': 'registry'},
    }

    def run(self):
        params = self.module.params
        batch = params['users'] is not None
        labelled = [(label_of(item, index), dict((option, item[option]) for option in USER_OPTIONS))
                    for index, item in enumerate(params['users'] if batch else [params])]
        keyed = any(spec['key'] is not None for _label, spec in labelled)
        registry = None
        if keyed and params['registry']:
            # Imported only when used: a module run is mostly imports (docs/benchmarks.md).
            from ansible_collections.sendclean.mta.plugins.module_utils._registry import Registry  # pylint: disable=import-outside-toplevel
            registry = Registry(params['registry'])
        provisioner = Provisioner(self.client, registry, self.module.check_mode, self.module.warn)
        if len(set(label for label, _spec in labelled)) < len(labelled):
            raise InputError('users names the same key or name more than once; give each user once')
        # With users, an element no run could reach fails alone, with no request for it; the others proceed.
        rejected = {}
        for index, (label, spec) in enumerate(labelled):
            where = 'users[%d] (%s): ' % (index, label) if batch else ''
            try:
                check_input(provisioner, spec)
            except InputError as exc:
                if not batch:
                    raise
                rejected[label] = where + str(exc)
                continue
            warning = limits_warning(spec['total_limit'], spec['hourly_limit'])
            if warning:
                self.module.warn(where + warning)
        accepted = [spec for label, spec in labelled if label not in rejected]
        lock = contextlib.nullcontext()
        if registry is not None and not self.module.check_mode and any(provisioner.may_create(spec) for spec in accepted):
            # Held from the first list to the last record, so adoption after a lost reply only ever sees
            # users created by this run, not by a parallel fork sharing the registry.
            lock = registry.locked()
        with lock:
            if accepted:
                provisioner.refresh()
            if batch:
                return provisioner.apply_many(labelled, rejected)
            return provisioner.apply(labelled[0][1])


def label_of(item, index):
    """How results and messages name a user: its key, else its name, else its position."""
    return item['key'] or item['name'] or 'users[%d]' % index


def check_input(provisioner, spec):
    """Reject a user that no run could reach, before any request."""
    if spec['key'] is not None and provisioner.registry is None:
        raise InputError('key needs registry, the file that records which user each key got')
    check_spec(spec)
    provisioner.check_local(spec)


def main():
    SmtpUserModule().execute()


if __name__ == '__main__':
    main()
