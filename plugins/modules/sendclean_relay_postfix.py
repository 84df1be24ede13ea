#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_postfix
short_description: Internal to the smtp_relay role - plan a host's Postfix relay configuration
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. It decides, for one host,
    what the role writes for Postfix - C(main.cf) (the whole file, or with
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf=keys) the settings that differ), C(/etc/mailname), the
    credentials file - and whether Postfix must be checked and restarted.
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
    details: Without Postfix on the host, the map type is V(hash) unless
      O(sendclean.mta.smtp_relay#role:main:smtp_relay_map_type) says otherwise.
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
      - The host's SMTP users after the SendClean step, by slot (V(default), or a sender) - each a dict with C(name),
        C(state) and C(password_changed), as C(sendclean.mta.sendclean_relay_users) returns them.
    type: dict
    required: true
notes:
  - The plan holds no password; the credentials file is built on the host, from the host's record, by
    M(sendclean.mta.sendclean_relay_credentials).
  - "C(main.cf) starts with C(# ansible_managed): the play's C(ansible_managed) variable, else V(Ansible managed)."
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_credentials
'''

EXAMPLES = r'''
- name: Plan the Postfix configuration of this host (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_postfix:
    host: "{{ relay_host.relay_facts }}"
    users: "{{ relay_users.smtp_relay_users }}"
  register: relay_postfix

- name: Write main.cf when it differs
  ansible.builtin.copy:
    content: "{{ relay_postfix.postfix_plan.main_cf.content }}"
    dest: "{{ relay_postfix.postfix_plan.main_cf.path }}"
    owner: "{{ relay_postfix.postfix_plan.main_cf.owner }}"
    group: "{{ relay_postfix.postfix_plan.main_cf.group }}"
    mode: "{{ relay_postfix.postfix_plan.main_cf.mode }}"
  when: relay_postfix.postfix_plan.main_cf.write
'''

RETURN = r'''
postfix_plan:
  description: What to write on the host, and what Postfix needs. Paths are on the host, under
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root).
  returned: always
  type: dict
  contains:
    steps_needed:
      description: Whether the host needs any step after the plan - packages to install, problems to report, a file
        to change, checks to run or Postfix to start. Without one the role skips them all at once.
      type: bool
      returned: always
    problems:
      description:
        - What keeps the host from taking the configuration - an unknown map type,
          O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf=keys) without C(main.cf) or C(postconf), or a
          C(-o) in C(master.cf) that sets an SMTP client setting of the role otherwise for a service running the
          SMTP client (it would win over C(main.cf); none of these on a decommissioned host). Wrong input, such as an entry of
          O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf_settings) that sets C(smtp_sasl_auth_soft_bounce)
          to anything but V(yes), is refused earlier, by the role's input check. The task does not fail with
          them - before Postfix is installed some are expected; the role fails with those left after the install.
      type: list
      elements: str
      returned: always
    os_family:
      description: The host's OS family.
      type: str
      returned: always
      sample: Debian
    on_host:
      description: Whether the files go to the host's own C(/), where Postfix runs
        (O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root=/)).
      type: bool
      returned: always
    config_dir:
      description: The Postfix configuration directory the files go to (C(-c) of C(postconf) and C(postfix)).
      type: str
      returned: always
      sample: /etc/postfix
    commands:
      description: The paths of C(postconf), C(postfix), C(postmap) and C(postqueue).
      type: dict
      returned: always
      sample: {postconf: /usr/sbin/postconf, postfix: /usr/sbin/postfix, postmap: /usr/sbin/postmap,
               postqueue: /usr/sbin/postqueue}
    packages:
      description: The packages of the OS family the host lacks (empty when all are installed, or the role manages none).
      type: list
      elements: str
      returned: always
      sample: [postfix, libsasl2-modules]
    settings:
      description: The relay settings of C(main.cf), in both modes, by parameter, in the file's order.
      type: dict
      returned: always
      sample: {relayhost: "[us1-mta1.sendclean.net]:587", smtp_sasl_auth_enable: "yes"}
    main_cf:
      description: The C(main.cf) the role writes.
      type: dict
      returned: always
      contains:
        path:
          description: Its path.
          type: str
          sample: /etc/postfix/main.cf
        mode:
          description: Its mode.
          type: str
          sample: '0644'
        owner:
          description: Its owner (O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_owner)).
          type: str
        group:
          description: Its group (O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_group)).
          type: str
        content:
          description: The whole file in template mode; null in keys mode.
          type: str
        write:
          description: Whether the host's file differs (content, mode, owner, group), so that the role writes it.
          type: bool
    main_cf_keys:
      description: In keys mode, the settings whose value in the host's C(main.cf) differs, to set with C(postconf -e).
      type: list
      elements: dict
      returned: always
      sample: [{key: relayhost, value: "[us1-mta1.sendclean.net]:587"}]
    mailname:
      description: C(/etc/mailname), as RV(postfix_plan.main_cf) - C(path), C(mode), C(owner), C(group), C(content) (null when the
        role writes none) and C(write).
      type: dict
      returned: always
    credentials:
      description: The credentials file, the options of M(sendclean.mta.sendclean_relay_credentials) and whether to run it.
      type: dict
      returned: always
      contains:
        path:
          description: The credentials file (C(sasl_passwd)).
          type: str
          sample: /etc/postfix/sasl_passwd
        record_path:
          description: The host's record of its SMTP users, whose passwords the file is built from.
          type: str
          sample: /etc/sendclean/smtp_relay.json
        state:
          description: V(present), or V(absent) on a decommissioned host (the file and its maps are removed).
          type: str
        entries:
          description: Each line's lookup key and the slot whose user it names - every sender, then C([relay]:port)
            for V(default).
          type: dict
          sample: {"orders@shop.example": "orders@shop.example", "[us1-mta1.sendclean.net]:587": default}
        map_type:
          description: The map type (O(sendclean.mta.smtp_relay#role:main:smtp_relay_map_type), else Postfix's
            default, else V(hash) in check mode); null when unknown (a problem).
          type: str
          sample: hash
        map_files:
          description: The map files postmap builds for that type, or every map file of any type (V(absent)).
          type: list
          elements: str
        postmap:
          description: The path of C(postmap).
          type: str
        rotated:
          description: The slots whose user got a new password in this run.
          type: list
          elements: str
        owner:
          description: The file's owner.
          type: str
        group:
          description: The file's group.
          type: str
        write:
          description: Whether the file or a map is to change (an entry names another user or not the record's
            password, a slot got a new password, a map or the file is missing, or its mode, owner or group differs;
            with V(absent), whether one of them exists).
          type: bool
    retired:
      description: The credentials files of the MTA the host had before (nullmailer's C(remotes)) that are still there -
        the identity is the host's, not the MTA's, and only the MTA that relays keeps the password.
      type: list
      elements: str
      returned: always
    changes:
      description: Whether any file is to change (main.cf, a key, mailname, the credentials).
      type: bool
      returned: always
    mark_unchecked:
      description: Whether to mark the configuration unchecked before writing (changes, on the host's own Postfix,
        not in check mode).
      type: bool
      returned: always
    unchecked_path:
      description: The mark, present until Postfix's checks pass, so a run that failed them checks again.
      type: str
      returned: always
    checks_apply:
      description: Whether Postfix's checks apply at all - the role writes to V(/), Postfix is installed, not in check
        mode.
      type: bool
      returned: always
    reload_applies:
      description: Whether the role reloads Postfix after a change (it manages the service and Postfix is installed).
      type: bool
      returned: always
    flush_applies:
      description: Whether the role flushes Postfix's queue (C(postqueue -f)) after new credentials were written and
        Postfix reloaded, so that mail deferred while the relay refused the old password leaves at once - the host
        relays (V(present)), the role manages the service and writes to V(/), Postfix is installed, not in check mode.
      type: bool
      returned: always
    start_needed:
      description: Whether to start Postfix and enable it at boot - the role manages the service, Postfix is installed,
        and it is stopped or not enabled.
      type: bool
      returned: always
    checks_needed:
      description: Whether to run Postfix's checks - on the host's own Postfix, not in check mode, when a file
        changes, the mark is there, or Postfix is stopped and the role starts it.
      type: bool
      returned: always
    ca_file:
      description: The CA file the relay is verified with, which must exist; null on a decommissioned host.
      type: str
      returned: always
      sample: /etc/ssl/certs/ca-certificates.crt
    restart_needed:
      description: Whether C(inet_interfaces) changes, which a reload does not apply.
      type: bool
      returned: always
msg:
  description: Said when Postfix replaces another MTA the host has, which the role does only when
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_mta) names Postfix.
  returned: when Postfix replaces another MTA
  type: str
  sample: postfix replaces exim4 on this host (smtp_relay_mta=postfix).
'''
