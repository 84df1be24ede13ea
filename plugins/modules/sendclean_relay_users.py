#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_users
short_description: Internal to the smtp_relay role - ensure one host's SendClean SMTP users
version_added: 0.3.0
description:
  - Internal to the P(sendclean.mta.smtp_relay#role) role; not meant to be used in playbooks, no compatibility
    promise. It is the role's step that ensures the host's SendClean SMTP users, and it reads the role's variables
    (C(smtp_relay_*)) itself.
  - It checks every variable of the role first, and fails naming the variable and its wrong value before any request
    or write.
  - A host holds one SMTP user per slot - its default user (slot V(default)), and one per sender of
    C(smtp_relay_senders). Which user a slot gets, in order - the one C(smtp_relay_smtp_user_name) pins; the one the
    host records for the slot; the one the controller's registry records for the slot's key; the user an earlier
    run created for the slot but never recorded, recognised by the one-off limits of the create the host marked
    pending; else a new one.
  - Every host runs it for itself, under any strategy (V(linear), V(free), V(host_pinned)), with C(serial),
    C(--limit), C(when) and C(include_role). The account is listed (C(settings/listSmtp)) once per play batch and
    account, whatever the strategy - the hosts share the listing through a file in the run's private temporary
    directory on the controller - and only the writes a host needs are made.
  - A new user is created with the one-off limits of the host's pending marker, recorded on the host with its
    password, and only then set to its real limits - so a run killed at any point leaves nothing that blocks or
    duplicates on the next run. Of two runs at once over one host, the first to record wins; the other disables the
    user it created and says so.
  - Passwords go from the API to the host's record (written by M(sendclean.mta.sendclean_relay_record), run from
    here) and never into the task's result. The result, the message and the diff hold names and limits only.
  - Runs on the controller, with the controller's Python.
author:
  - SendClean MTA collection maintainers (@sendclean)
requirements:
  - requests (the Python library, on the controller)
extends_documentation_fragment:
  - sendclean.mta.connection
  - sendclean.mta.connection.actiongroup
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Nothing is written at SendClean or on the host; the result and the diff predict the real run.
  diff_mode:
    support: full
    details: The limits and status of each slot's user, before and after; never a password.
  platform:
    platforms: posix
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  host:
    description: What the host holds, RV(sendclean.mta.sendclean_relay_facts#module:relay_facts).
    type: dict
    required: true
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_record
  - module: sendclean.mta.sendclean_smtp_user
'''

EXAMPLES = r'''
- name: Ensure this host's SMTP users at SendClean (as the smtp_relay role does)
  sendclean.mta.sendclean_relay_users:
    host: "{{ __smtp_relay_host.relay_facts }}"
'''

RETURN = r'''
smtp_relay_users:
  description: The host's SMTP users, by slot (V(default), or a sender). No password.
  returned: unless the input was refused
  type: dict
  sample: {default: {name: smtp94454398, state: present, origin: host, changed: false, password_changed: false,
                     rotation: null, password_issued: "2026-12-06", next_rotation: "2027-03-06"}}
  contains:
    name:
      description: The user's name (V(null) in check mode for a user still to create, or when the slot failed).
      type: str
      returned: always
    state:
      description: V(present), or V(disabled) for a sender taken off the list or a decommissioned host.
      type: str
      returned: always
    origin:
      description: Where the user came from - V(pinned), V(host), V(registry), V(adopted) or V(new).
      type: str
      returned: always
    changed:
      description: Whether the user was created or changed at SendClean.
      type: bool
      returned: always
    password_changed:
      description: Whether the user got a new password (a create, a rotation, or a host that had none).
      type: bool
      returned: always
    rotation:
      description: Why the password was rotated - V(asked) (C(smtp_relay_rotate_password) or the sender's
        C(rotate_password)), V(age) (older than C(smtp_relay_rotate_after_days)) or V(unsettled) (an earlier
        rotation never reached the host's record) - or V(null).
      type: str
      returned: always
    password_issued:
      description: The UTC date the host's password of this user was issued (after this run), or V(null) if unknown.
      type: str
      returned: always
    next_rotation:
      description: The UTC date from which the next run rotates the password by age, or V(null) when the slot is not
        rotated by age.
      type: str
      returned: always
smtp_relay_mta:
  description: The MTA that relays the host's mail, as the input check chose it from C(smtp_relay_mta) and the MTAs
    the host has (RV(sendclean.mta.sendclean_relay_facts#module:relay_facts.mtas)) - V(postfix), V(exim4) or
    V(nullmailer). The role plans and configures that MTA.
  returned: unless the input was refused
  type: str
  sample: nullmailer
msg:
  description: One line per slot that changed - the user and what changed (created, limits, enabled, disabled,
    password rotated and why, issue time recorded) - and what the run found worth telling, or V(no change); then,
    when passwords are rotated by age, the date of each slot's next rotation.
  returned: always
  type: str
  sample: "smtp94454398 (this host): hourly limit 500 -> 300"
'''
