#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_unclaimed
short_description: Internal to the smtp_relay role - report, or disable, the SMTP users no host holds
version_added: 0.3.0
description:
  - Internal to the P(sendclean.mta.smtp_relay#role) role; not meant to be used in playbooks, no compatibility
    promise.
  - Runs after M(sendclean.mta.sendclean_relay_users), from the listing of the account the hosts of the play batch
    shared. The first host to get there reports the account's enabled users that no host of the play and no registry
    record holds, and with O(disable=true) disables them.
  - It can tell only when the run sees the whole fleet and every host has ensured its users - strategy V(linear), no
    C(--limit), no C(serial), every host of the play in the run. Otherwise it reports nothing, and O(disable=true)
    fails naming the reason, before any write.
  - Runs on the controller; it needs no connection to the host.
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
    details: Nothing is disabled; RV(disabled) names the users that would be.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  disable:
    description: Disable the users no host holds.
    type: bool
    default: false
seealso:
  - module: sendclean.mta.sendclean_relay_users
'''

EXAMPLES = r'''
- name: Report the account's SMTP users that no host holds (as the smtp_relay role does)
  sendclean.mta.sendclean_relay_unclaimed:
    disable: false
'''

RETURN = r'''
unclaimed:
  description: The account's enabled users that no host of the play and no registry record holds (name and limits).
  returned: on the host that reported
  type: list
  elements: dict
  sample: [{name: smtp94454398, total_limit: 10000, hourly_limit: 500}]
  contains:
    name:
      description: The user's name.
      type: str
    total_limit:
      description: Its total limit.
      type: int
    hourly_limit:
      description: Its hourly limit.
      type: int
disabled:
  description: The unclaimed users disabled in this run (O(disable=true)).
  returned: on the host that reported
  type: list
  elements: str
msg:
  description: What the report found, or why there is none.
  returned: always
  type: str
'''
