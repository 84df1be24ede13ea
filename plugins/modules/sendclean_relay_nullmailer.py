#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_nullmailer
short_description: Internal to the smtp_relay role - plan a host's nullmailer relay configuration
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. It decides, for one host
    whose MTA is nullmailer (O(sendclean.mta.smtp_relay#role:main:smtp_relay_mta)), what the role installs and writes -
    the relay's line in C(/etc/nullmailer/remotes), C(me), C(defaultdomain), C(adminaddr), C(/etc/mailname) and the
    trigger FIFO - and whether nullmailer must be started, stopped or restarted.
  - The relay's line always has C(--starttls) (C(--ssl) on port 465) and C(--x509cafile), and never C(--auth-login) or
    C(--insecure) - nullmailer sends the password in clear without TLS, verifies no certificate without a CA file,
    and bounces mail the relay refuses at login (535) with C(--auth-login).
  - It reads the role's variables itself (C(smtp_relay_*)), and fails naming each wrong one, though the role checks
    them before it, in C(sendclean.mta.sendclean_relay_users).
  - Every file is compared with what the host has (O(host)), so a converged host has nothing to write.
  - Runs on the controller; it needs no connection to the host and writes nothing.
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
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
    details: The plan is the same in check mode; the tasks that carry it out write nothing then.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  host:
    description:
      - What the host has now - RV(sendclean.mta.sendclean_relay_facts#module:relay_facts).
    type: dict
    required: true
  users:
    description:
      - The host's SMTP users after the SendClean step, by slot - each a dict with C(name), C(state) and
        C(password_changed), as C(sendclean.mta.sendclean_relay_users) returns them. nullmailer uses the V(default)
        slot's.
    type: dict
    required: true
notes:
  - The plan holds no password; C(remotes) is built on the host, from the host's record, by
    M(sendclean.mta.sendclean_relay_credentials).
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_credentials
  - module: sendclean.mta.sendclean_relay_postfix
'''

EXAMPLES = r'''
- name: Plan the nullmailer configuration of this host (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_nullmailer:
    host: "{{ relay_host.relay_facts }}"
    users: "{{ relay_users.smtp_relay_users }}"
  register: relay_nullmailer

- name: Write nullmailer's files that differ
  ansible.builtin.copy:
    content: "{{ item.content }}"
    dest: "{{ item.path }}"
    owner: "{{ item.owner }}"
    group: "{{ item.group }}"
    mode: "{{ item.mode }}"
  loop: "{{ relay_nullmailer.nullmailer_plan.files }}"
'''

RETURN = r'''
nullmailer_plan:
  description: What to install, write and run on the host. Paths are on the host, under
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root).
  returned: always
  type: dict
  contains:
    steps_needed:
      description: Whether the host needs any step after the plan - packages to install, problems to report, a file
        to change or remove, the trigger FIFO to make, nullmailer to start or stop. Without one the role skips them
        all at once.
      type: bool
      returned: always
    problems:
      description: What keeps the host from taking the configuration - something other than a FIFO where nullmailer's
        trigger belongs. The task does not fail with them; the role does.
      type: list
      elements: str
      returned: always
    on_host:
      description: Whether the files go to the host's own C(/), where nullmailer runs
        (O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root=/)); only there is the CA file checked and the
        service managed.
      type: bool
      returned: always
    replaces:
      description: The MTAs the host has that installing nullmailer removes.
      type: list
      elements: str
      returned: always
      sample: [postfix]
    packages:
      description: The packages to install - C(nullmailer) and C(ca-certificates), those missing. Empty on a
        decommissioned host or with O(sendclean.mta.smtp_relay#role:main:smtp_relay_manage_packages=false).
      type: list
      elements: str
      returned: always
    files:
      description: The one-line files to write because they differ - each C(path), C(content), C(mode), C(owner) and
        C(group). C(me) from O(sendclean.mta.smtp_relay#role:main:smtp_relay_myhostname), C(defaultdomain) and
        C(/etc/mailname) from O(sendclean.mta.smtp_relay#role:main:smtp_relay_mailname), C(adminaddr) from
        O(sendclean.mta.smtp_relay#role:main:smtp_relay_admin_address); an empty variable leaves the host's file.
      type: list
      elements: dict
      returned: always
    credentials:
      description: The arguments of M(sendclean.mta.sendclean_relay_credentials) for C(remotes) - C(path),
        C(record_path), C(format) (V(nullmailer_remotes)), C(owner), C(group), C(mode), C(state) (V(absent) on a
        decommissioned host), C(entries) (the relay's line without its credentials, to the slot V(default)),
        C(rotated), and C(write) (whether the host's file differs).
      type: dict
      returned: always
    retired:
      description: The credentials files of Postfix the host still has (C(sasl_passwd) and its maps) - the identity is
        the host's, not the MTA's, and only the MTA that relays keeps the password.
      type: list
      elements: str
      returned: always
    trigger:
      description: The trigger FIFO - C(path), C(owner), C(group), C(mode), and C(create) (it is missing; without
        systemd only the init script makes it, and nullmailer-send exits without it).
      type: dict
      returned: always
    ca_file:
      description: The CA file C(--x509cafile) names, which must exist and be readable by the C(mail) user; null on a
        decommissioned host.
      type: str
      returned: always
      sample: /etc/ssl/certs/ca-certificates.crt
    changes:
      description: Whether a file changes or is removed.
      type: bool
      returned: always
    service:
      description: nullmailer's service.
      type: str
      returned: always
      sample: nullmailer
    start_needed:
      description: Whether nullmailer must be started and enabled at boot.
      type: bool
      returned: always
    stop_needed:
      description: Whether nullmailer must be stopped and disabled - a decommissioned host, whose mail it then holds
        in the queue instead of sending it without credentials.
      type: bool
      returned: always
    restart_applies:
      description: Whether a change restarts nullmailer - the role manages the service, writes to C(/), and nullmailer
        runs (one that this run starts reads the new files anyway).
      type: bool
      returned: always
msg:
  description: Said when nullmailer replaces another MTA the host has, which the role does only when
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_mta) names nullmailer.
  returned: when nullmailer replaces another MTA
  type: str
  sample: nullmailer replaces postfix on this host (smtp_relay_mta=nullmailer).
'''
