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
  - The step of the P(sendclean.mta.smtp_relay#role) role that ensures each host's SendClean SMTP users. Every host
    of the play runs the task; the first host of the play batch whose request names the same connection (the
    leader) lists the account once (C(settings/listSmtp)) and makes only the writes needed for all of them. The
    others return at once with the name of their leader, and take their own results from it
    (C(hostvars[leader]) of the registered variable) in the next task.
  - A host may hold several SMTP users, one per slot - its default user (slot V(default)), and one per sender
    (the slot is the sender, an address such as V(orders@shop.example) or a domain such as V(@news.example)), so
    each application sends under its own limits and password. Each slot is decided and ensured alone; a slot that
    fails fails alone, and the call stays one C(listSmtp) however many slots there are.
  - No C(run_once) is involved, so a C(when) condition that is false for some hosts, a conditional C(include_role),
    C(--limit) and C(serial) all work; hosts that do not run the task are not part of the call.
  - Each host first describes its users in the fact named by O(request_fact) (see the role's C(tasks/smtp_user.yml)) -
    per slot a key or a pinned name, the state, the limits the inventory sets, and what the host itself holds (its
    recorded user, whether it has that user's password, a create it marked pending). Which user a slot gets, in
    order - the pinned one; the one the host holds for the slot; the one O(registry) records for the slot's key; the
    unclaimed user that carries the one-off limits of the slot's pending create (a create whose reply was lost); else
    a new one, created with those one-off limits and then set to its real ones. Slots are decided one after another,
    and a user a slot takes is claimed before the next is decided, so no two slots ever take the same user.
  - A password is asked of the API only on a create, on rotation, or for a host that holds no password for its user
    (then by a reset). The passwords C(listSmtp) may carry are never used.
  - The account's enabled users that no slot of a host of the call and no registry record claims are reported in
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
      - The name of the fact in which each host describes its users. Hosts without it, or whose request names another
        connection, are not part of this host's call.
      - "The request is a dict of two keys: C(connection) (an id of the account, such as a digest of the connection
        options; hosts with the same id share one call) and C(users), a list with one entry per slot of the host (the
        default slot first, by convention)."
      - "Each entry of C(users) is a dict: C(slot) (V(default), or the sender; unique within the host), C(key) (the
        slot's registry key) or C(name) (a pinned user), C(state) (V(present), or V(disabled) - for example for a
        sender removed from the host's list, whose user the host still records), C(total_limit) and C(hourly_limit)
        (enforced when set), C(new_user_limits) (a list of the two limits a new user gets), C(rotate),
        C(recreate_missing), and C(identity), what the host holds for the slot - C(name), C(has_password),
        C(pending) (the one-off C(total_limit) and C(hourly_limit) of a create marked pending) and C(busy) (why
        another run owns the slot's create, or null)."
      - The leader checks the shape of every request of its call before any request to the service, and fails the
        call naming the fact, the host and what is wrong (no C(users) list, an entry without C(slot), a slot twice,
        an unknown C(state), no C(identity), no C(new_user_limits) pair).
    type: str
    default: sendclean_smtp_request
  registry:
    description:
      - A registry file on the controller, as M(sendclean.mta.sendclean_smtp_user) writes it. It is read to find the
        user of a slot the host holds none for (a reimaged host), and updated with the user of each keyed slot; when it
        disagrees with a host, the host wins.
      - Optional. Without it a host's identity lives on the host alone.
    type: path
  disable_unclaimed:
    description:
      - Disable the account's enabled users that no slot of a host of the call and no registry record claims.
      - Refused, before any request, under C(--limit) and whenever some host of the play is not in the call
        (C(serial), a C(when) that is false for it, another account), since the play must see the whole fleet.
    type: bool
    default: false
notes:
  - The leader's registered result holds the new passwords of all slots of all hosts of the call. Register it under a private
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

- name: Take this host's own results, one per slot, from its leader
  ansible.builtin.set_fact:
    smtp_users: "{{ hostvars[smtp_fleet.fleet.leader].smtp_fleet.fleet.hosts[inventory_hostname] }}"
  no_log: true

- name: Fail the host whose default user could not be ensured
  ansible.builtin.fail:
    msg: "{{ smtp_users['default'].msg }}"
  when: smtp_users['default'].failed
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
        - The results by inventory hostname, then by slot (on the leader only) - for example
          C(fleet.hosts.web1.default) and C(fleet.hosts.web1["orders@shop.example"]). Each result has the fields
          below.
      type: dict
      returned: on the leader
      contains:
        changed:
          description: Whether the slot's user was created or changed.
          type: bool
          returned: always
        failed:
          description: Whether the slot's user could not be ensured. The other slots and hosts are not affected.
          type: bool
          returned: always
        msg:
          description: Why the slot failed.
          type: str
          returned: when the slot failed
        api_error:
          description:
            - The service's error when a request for the slot failed (C(call), C(error_type), C(http_status),
              C(message), and C(outcome_unknown) - whether the request may have been applied).
          type: dict
          returned: when a request for the slot failed
        origin:
          description:
            - Where the slot's user came from - V(pinned), V(host) (the user the host holds), V(registry),
              V(adopted) (the user of a create whose reply was lost) or V(new). Null when the slot has no user and
              needs none (a slot to disable that never had one) or failed before it was decided.
          type: str
          returned: always
        note:
          description: What the run found worth telling for the slot, such as a registry brought up to date; or null.
          type: str
          returned: always
        smtp_user:
          description:
            - The slot's user as M(sendclean.mta.sendclean_smtp_user) returns it (C(name), C(status), C(enabled),
              C(total_limit), C(hourly_limit); never a password), or null when the slot has none.
          type: dict
          returned: always
        smtp_password:
          description: The user's password when it was created or reset in this run; null otherwise.
          type: str
          returned: always
        password_changed:
          description: Whether the slot's user got a new password in this run.
          type: bool
          returned: always
        adopted:
          description: Whether a create whose reply was lost in this run was settled by adopting its user.
          type: bool
          returned: always
        operations:
          description: The writes made for the slot, in order (V(add), V(edit), V(reset)); predicted in check mode.
          type: list
          elements: str
          returned: always
        create_unsettled:
          description: A create failed but may have been applied, so the host keeps the slot's pending marker.
          type: bool
          returned: always
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
