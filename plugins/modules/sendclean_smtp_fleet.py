#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_smtp_fleet
short_description: Ensure the SMTP users of every host of a play batch with one list call
version_added: 0.2.0
description:
  - The step of the P(sendclean.mta.smtp_relay#role) role that ensures each host's SendClean SMTP user. Every host
    of the play runs the task; the first host of the play batch whose request names the same connection (the
    leader) lists the account once (C(settings/listSmtp)) and makes only the writes needed for all of them. The
    others return at once with the name of their leader, and take their own result from it
    (C(hostvars[leader]) of the registered variable) in the next task.
  - No C(run_once) is involved, so a C(when) condition that is false for some hosts, a conditional C(include_role),
    C(--limit) and C(serial) all work; hosts that do not run the task are not part of the call.
  - Each host first describes its user in the fact named by O(request_fact) (see the role's C(tasks/smtp_user.yml)) -
    a key or a pinned name, the state, the limits the inventory sets, and what the host itself holds (its recorded
    user, whether it has that user's password, a create it marked pending). Which user a host gets, in order - the
    pinned one; the one the host holds; the one O(registry) records for its key; the unclaimed user that carries the
    one-off limits of the host's pending create (a create whose reply was lost); else a new one, created with those
    one-off limits and then set to its real ones.
  - A password is asked of the API only on a create, on rotation, or for a host that holds no password for its user
    (then by a reset). The passwords C(listSmtp) may carry are never used.
  - The account's enabled users that no host of the call and no registry record claims are reported in
    RV(fleet.unclaimed); O(disable_unclaimed=true) disables them.
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
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Only C(listSmtp) is called and the registry is not written; each host's result predicts the real run.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  request_fact:
    description:
      - The name of the fact in which each host describes its user. Hosts without it, or whose request names another
        connection, are not part of this host's call.
      - "The request is a dict: C(connection) (an id of the account, such as a digest of the connection options; hosts
        with the same id share one call), C(key) (the registry key) or C(name) (a pinned user), C(state)
        (V(present) or V(disabled)), C(total_limit) and C(hourly_limit) (enforced when set), C(new_user_limits)
        (a list of the two limits a new user gets), C(rotate), C(recreate_missing), and C(identity), what the host
        holds - C(name), C(has_password), C(pending) (the one-off C(total_limit) and C(hourly_limit) of a create
        marked pending) and C(busy) (why another run owns the host's create, or null)."
    type: str
    default: sendclean_smtp_request
  registry:
    description:
      - A registry file on the controller, as M(sendclean.mta.sendclean_smtp_user) writes it. It is read to find the
        user of a host that holds none (a reimaged host), and updated with each keyed host's user; when it disagrees
        with a host, the host wins.
      - Optional. Without it a host's identity lives on the host alone.
    type: path
  disable_unclaimed:
    description:
      - Disable the account's enabled users that no host of the call and no registry record claims.
      - Refused, before any request, under C(--limit) and whenever some host of the play is not in the call
        (C(serial), a C(when) that is false for it, another account), since the play must see the whole fleet.
    type: bool
    default: false
notes:
  - The leader's registered result holds the new passwords of all hosts of the call. Register it under a private
    name, set C(no_log), and overwrite it once each host has taken its own result, as the role does.
seealso:
  - module: sendclean.mta.sendclean_smtp_user
  - module: sendclean.mta.sendclean_host_identity
'''

EXAMPLES = r'''
- name: Ensure the SMTP users of the hosts (every host runs it; the leader makes the one call)
  sendclean.mta.sendclean_smtp_fleet:
    registry: "{{ inventory_dir }}/sendclean-registry.json"
  delegate_to: localhost
  register: smtp_fleet
  no_log: true

- name: Take this host's own result from its leader
  ansible.builtin.set_fact:
    smtp_user: "{{ hostvars[smtp_fleet.fleet.leader].smtp_fleet.fleet.hosts[inventory_hostname] }}"
  no_log: true
'''

RETURN = r'''
fleet:
  description: The call's outcome. On a host that is not the leader, only RV(fleet.leader).
  returned: always
  type: dict
  contains:
    leader:
      description: The host that made the call for this host.
      type: str
      sample: web1
    hosts:
      description:
        - Each host's result by inventory hostname (on the leader only). The fields are those of
          M(sendclean.mta.sendclean_smtp_user) for one user (C(changed), C(smtp_user), C(smtp_password) - a password
          only when created or reset in this run -, C(password_changed), C(adopted), C(operations)), plus C(failed)
          and C(msg), C(origin) (V(pinned), V(host), V(registry), V(adopted) or V(new)), C(note) (what the run
          found worth telling, such as a registry brought up to date) and C(create_unsettled) (a create failed but
          may have been applied, so the host keeps its pending marker).
      type: dict
      returned: on the leader
    unclaimed:
      description: The account's enabled users that no host of the call and no registry claims (name and limits).
      type: list
      elements: dict
      returned: on the leader
      sample: [{name: smtp94454398, total_limit: 10000, hourly_limit: 500}]
    disabled:
      description: The unclaimed users disabled in this run (O(disable_unclaimed=true)).
      type: list
      elements: str
      returned: on the leader
'''
