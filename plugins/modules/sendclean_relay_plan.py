#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_plan
short_description: Internal to the smtp_relay role - plan a host's MTA relay configuration
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. It decides, for one host,
    what the role installs and writes for the host's MTA and how the MTA is run - the MTA the role's input check chose
    (O(sendclean.mta.smtp_relay#role:main:smtp_relay_mta)).
  - B(Postfix) - C(main.cf) (the whole file, or with O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf=keys) the
    settings that differ), C(/etc/mailname), the credentials file - and whether Postfix must be checked, reloaded or
    restarted.
  - B(nullmailer) - the relay's line in C(/etc/nullmailer/remotes), C(me), C(defaultdomain), C(adminaddr),
    C(/etc/mailname) and the trigger FIFO - and whether nullmailer must be started, stopped or restarted. The relay's
    line always has C(--starttls) (C(--ssl) on port 465) and C(--x509cafile), and never C(--auth-login) or
    C(--insecure) - nullmailer sends the password in clear without TLS, verifies no certificate without a CA file,
    and bounces mail the relay refuses at login (535) with C(--auth-login).
  - B(exim4) - through Debian's exim4-config - the smarthost and a config type that sends through it in
    C(/etc/exim4/update-exim4.conf.conf) (a host that delivers locally keeps it), the role's macros in the local macros
    file (TLS required towards the relay, the role's CA file, C(smtps) on port 465, the host name), C(/etc/mailname),
    the smarthost transport's C(hosts_require_auth) and C(hosts_nopass_tls)
    (M(sendclean.mta.sendclean_relay_exim4_transport)), and C(/etc/exim4/passwd.client) keyed by the relay's
    configured and canonical names - and whether to run C(update-exim4.conf), start or reload exim4, and flush its
    queue. Without the required TLS and AUTH exim sends
    the mail in clear and without AUTH when the relay's certificate does not verify or the relay refuses the login,
    and the relay's refusal of that mail is permanent (a bounce); with them the mail stays queued.
  - It reads the role's variables itself (C(smtp_relay_*)), and fails naming each wrong one, though the role checks
    them before it, in C(sendclean.mta.sendclean_relay_users).
  - Every file is compared with what the host has (O(host)), so a converged host has nothing to write, and the plan
    says so in RV(relay_plan.steps_needed).
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
    details: The plan is the same in check mode, except that without Postfix on the host its map type is V(hash)
      unless O(sendclean.mta.smtp_relay#role:main:smtp_relay_map_type) says otherwise, and a nullmailer the run would
      install is not there to start, and on a host without exim4 only its install is planned (its files come with
      it). The tasks that carry the plan out write nothing then.
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
      - The host's SMTP users after the SendClean step, by slot (V(default), or a sender with Postfix) - each a dict
        with C(name), C(state) and C(password_changed), as C(sendclean.mta.sendclean_relay_users) returns them.
    type: dict
    required: true
notes:
  - The plan holds no password; the credentials file is built on the host, from the host's record, by
    M(sendclean.mta.sendclean_relay_credentials).
  - "Postfix's C(main.cf) starts with C(# ansible_managed): the play's C(ansible_managed) variable, else
    V(Ansible managed)."
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_credentials
'''

EXAMPLES = r'''
- name: Plan the MTA configuration of this host (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_plan:
    host: "{{ relay_host.relay_facts }}"
    users: "{{ relay_users.smtp_relay_users }}"
  register: relay_plan

- name: Carry out the plan of the host's MTA when it has a step for the host
  ansible.builtin.include_tasks: "{{ relay_plan.relay_plan.mta }}.yml"
  when: relay_plan.relay_plan.steps_needed
'''

RETURN = r'''
relay_plan:
  description:
    - What to install, write and run on the host. Paths are on the host, under
      O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root).
    - The keys common to every MTA are returned always; the others only for the MTA they name.
  returned: always
  type: dict
  contains:
    mta:
      description: The MTA the plan configures - V(postfix), V(nullmailer) or V(exim4).
      type: str
      returned: always
      sample: postfix
    steps_needed:
      description: Whether the host needs any step after the plan - packages to install, problems to report, a file
        to change or remove, Postfix's checks to run, the MTA to start or stop, nullmailer's trigger FIFO to make.
        Without one the role skips them all at once.
      type: bool
      returned: always
    problems:
      description:
        - What keeps the host from taking the configuration. Postfix - an unknown map type,
          O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf=keys) without C(main.cf) or C(postconf), or a
          C(-o) in C(master.cf) that sets an SMTP client setting of the role otherwise for a service running the
          SMTP client (it would win over C(main.cf); none of these on a decommissioned host). nullmailer - something
          other than a FIFO where its trigger belongs. exim4 - a transport that sets C(hosts_require_auth) or
          C(hosts_nopass_tls) itself, or a hand-written C(/etc/exim4/exim4.conf) (exim reads it instead of what
          C(update-exim4.conf) builds).
        - Wrong input, such as an entry of O(sendclean.mta.smtp_relay#role:main:smtp_relay_main_cf_settings) that
          sets C(smtp_sasl_auth_soft_bounce) to anything but V(yes), is refused earlier, by the role's input check.
        - The task does not fail with them - before the MTA is installed some are expected; the role fails with
          those left after the install.
      type: list
      elements: str
      returned: always
    os_family:
      description: The host's OS family.
      type: str
      returned: with V(postfix)
      sample: Debian
    on_host:
      description: Whether the files go to the host's own C(/), where the MTA runs
        (O(sendclean.mta.smtp_relay#role:main:smtp_relay_config_root=/)); only there is the service managed (and
        nullmailer's CA file checked).
      type: bool
      returned: always
    config_dir:
      description: The Postfix configuration directory the files go to (C(-c) of C(postconf) and C(postfix)).
      type: str
      returned: with V(postfix)
      sample: /etc/postfix
    commands:
      description: The paths of C(postconf), C(postfix), C(postmap) and C(postqueue); for exim4 of
        C(update-exim4.conf) (C(update_exim4_conf)) and C(exim4) (C(exim)).
      type: dict
      returned: with V(postfix) or V(exim4)
      sample: {postconf: /usr/sbin/postconf, postfix: /usr/sbin/postfix, postmap: /usr/sbin/postmap,
               postqueue: /usr/sbin/postqueue}
    packages:
      description: The MTA's packages of the OS family the host lacks (empty when all are installed, or the role
        manages none) - for nullmailer C(nullmailer) and C(ca-certificates), for exim4 C(exim4-daemon-light) and
        C(ca-certificates), none on a decommissioned host.
      type: list
      elements: str
      returned: always
      sample: [postfix, libsasl2-modules]
    settings:
      description: The relay settings of C(main.cf), in both modes, by parameter, in the file's order.
      type: dict
      returned: with V(postfix)
      sample: {relayhost: "[us1-mta1.sendclean.net]:587", smtp_sasl_auth_enable: "yes"}
    main_cf:
      description: The C(main.cf) the role writes.
      type: dict
      returned: with V(postfix)
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
      returned: with V(postfix)
      sample: [{key: relayhost, value: "[us1-mta1.sendclean.net]:587"}]
    mailname:
      description: C(/etc/mailname), as RV(relay_plan.main_cf) - C(path), C(mode), C(owner), C(group), C(content) (null when the
        role writes none) and C(write).
      type: dict
      returned: with V(postfix) or V(exim4)
    credentials:
      description: The credentials file, the options of M(sendclean.mta.sendclean_relay_credentials) and whether to
        run it.
      type: dict
      returned: always
      contains:
        path:
          description: The credentials file (C(sasl_passwd), nullmailer's C(remotes), or exim4's C(passwd.client)).
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
          description: Each line's key and the slot whose user it names - for Postfix every sender, then
            C([relay]:port) for V(default); for nullmailer the relay's line without its credentials; for exim4 the
            relay's name and, when the host resolves it to another, its canonical name (exim looks the line up by
            that one).
          type: dict
          sample: {"orders@shop.example": "orders@shop.example", "[us1-mta1.sendclean.net]:587": default}
        format:
          description: The file's format - V(sasl_passwd), V(nullmailer_remotes) or V(exim4_passwd_client).
          type: str
        mode:
          description: The file's mode.
          type: str
          sample: '0600'
        map_type:
          description: With Postfix, the map type (O(sendclean.mta.smtp_relay#role:main:smtp_relay_map_type), else Postfix's
            default, else V(hash) in check mode); null when unknown (a problem).
          type: str
          sample: hash
        map_files:
          description: With Postfix, the map files postmap builds for that type, or every map file of any type (V(absent)).
          type: list
          elements: str
        postmap:
          description: With Postfix, the path of C(postmap).
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
      description: The credentials files of the MTA the host had before (Postfix's C(sasl_passwd) and its maps,
        nullmailer's C(remotes), exim4's C(passwd.client)) that are still there - the identity is the host's, not the MTA's, and only the MTA
        that relays keeps the password.
      type: list
      elements: str
      returned: always
    changes:
      description: Whether any file is to change or be removed (main.cf, a key, mailname, nullmailer's files, the
        credentials).
      type: bool
      returned: always
    mark_unchecked:
      description: Whether to mark the configuration unchecked before writing (changes, on the host's own Postfix,
        not in check mode).
      type: bool
      returned: with V(postfix)
    unchecked_path:
      description: The mark, present until Postfix's checks pass, so a run that failed them checks again.
      type: str
      returned: with V(postfix)
    checks_apply:
      description: Whether Postfix's checks apply at all - the role writes to V(/), Postfix is installed, not in check
        mode.
      type: bool
      returned: with V(postfix)
    reload_applies:
      description: Whether the role reloads Postfix after a change (it manages the service and Postfix is installed);
        for exim4, after C(update-exim4.conf) built a new configuration, when exim4 ran before the run.
      type: bool
      returned: with V(postfix) or V(exim4)
    flush_applies:
      description: Whether the role flushes Postfix's queue (C(postqueue -f)) after new credentials were written and
        Postfix reloaded, so that mail deferred while the relay refused the old password leaves at once - the host
        relays (V(present)), the role manages the service and writes to V(/), Postfix is installed, not in check mode.
        For exim4 the same with C(exim4 -qff), which also ignores exim's retry times.
      type: bool
      returned: with V(postfix) or V(exim4)
    start_needed:
      description: Whether to start the MTA and enable it at boot - the role manages the service and writes to V(/),
        the MTA is installed (or, for nullmailer, installed by this run), and it is stopped or not enabled.
      type: bool
      returned: always
    checks_needed:
      description: Whether to run Postfix's checks - on the host's own Postfix, not in check mode, when a file
        changes, the mark is there, or Postfix is stopped and the role starts it.
      type: bool
      returned: with V(postfix)
    ca_file:
      description: The CA file the relay is verified with, which must exist (for nullmailer, C(--x509cafile), also
        readable by the C(mail) user); null on a decommissioned host.
      type: str
      returned: always
      sample: /etc/ssl/certs/ca-certificates.crt
    restart_needed:
      description: Whether C(inet_interfaces) changes, which a reload does not apply.
      type: bool
      returned: with V(postfix)
    replaces:
      description: The MTAs the host has that installing nullmailer or exim4 removes.
      type: list
      elements: str
      returned: with V(nullmailer) or V(exim4)
      sample: [postfix]
    stop_replaced:
      description: The services of the MTAs the host has that installing its MTA removes, to stop before the
        install - the role manages the service and writes to V(/). Their package stops them only where
        C(invoke-rc.d) may; under a C(policy-rc.d) that forbids it (containers, chroots) the old daemon would go on
        running from its removed binary.
      type: list
      elements: str
      returned: always
      sample: [postfix]
    files:
      description: The one-line files to write because they differ - each C(path), C(content), C(mode), C(owner) and
        C(group). C(me) from O(sendclean.mta.smtp_relay#role:main:smtp_relay_myhostname), C(defaultdomain) and
        C(/etc/mailname) from O(sendclean.mta.smtp_relay#role:main:smtp_relay_mailname), C(adminaddr) from
        O(sendclean.mta.smtp_relay#role:main:smtp_relay_admin_address); an empty variable leaves the host's file.
      type: list
      elements: dict
      returned: with V(nullmailer)
    trigger:
      description: The trigger FIFO - C(path), C(owner), C(group), C(mode), and C(create) (it is missing; without
        systemd only the init script makes it, and nullmailer-send exits without it).
      type: dict
      returned: with V(nullmailer)
    service:
      description: nullmailer's or exim4's service.
      type: str
      returned: with V(nullmailer) or V(exim4)
      sample: nullmailer
    stop_needed:
      description: Whether nullmailer must be stopped and disabled - a decommissioned host, whose mail it then holds
        in the queue instead of sending it without credentials.
      type: bool
      returned: with V(nullmailer)
    restart_applies:
      description: Whether a change restarts nullmailer - the role manages the service, writes to C(/), and nullmailer
        runs (one that this run starts reads the new files anyway).
      type: bool
      returned: with V(nullmailer)
    configure:
      description: Whether exim4's configuration files are there to write - exim4 is installed, or the files go to
        a scratch root; false in check mode on a host without exim4.
      type: bool
      returned: with V(exim4)
    update_conf:
      description: C(/etc/exim4/update-exim4.conf.conf) - C(path), and C(settings), the C(dc_*) values that differ
        as [{key, value}] - C(dc_smarthost) (V(host::port)) and C(dc_eximconfig_configtype) (a host of V(satellite)
        stays one, any other becomes V(smarthost), which keeps local delivery); none on a decommissioned host.
      type: dict
      returned: with V(exim4)
      sample: {path: /etc/exim4/update-exim4.conf.conf, settings: [{key: dc_smarthost, value: "us1-mta1.sendclean.net::587"}]}
    macros:
      description: The role's block of macros in C(/etc/exim4/exim4.conf.localmacros), or in
        C(/etc/exim4/conf.d/main/000_localmacros) with the split configuration (which ignores the other) - C(path),
        C(lines), C(marker), C(owner), C(group), C(mode), C(state) (V(absent) on a decommissioned host) and C(write).
      type: dict
      returned: with V(exim4)
    transport:
      description: The smarthost transport - C(source) (the stock transport file, or the template), C(path) (its
        C(.rul), or the template itself), C(owner), C(group), C(mode) and C(write) (it lacks the role's options). A
        decommissioned host keeps them - without credentials exim then defers at AUTH, holding the mail.
      type: dict
      returned: with V(exim4)
    update_needed:
      description: Whether to run C(update-exim4.conf) - a configuration file changes, or what it built last is older
        than the role's files (a run whose C(update-exim4.conf) failed); on the host's own exim4, not in check mode.
      type: bool
      returned: with V(exim4)
msg:
  description: Said when the MTA replaces another one the host has, which the role does only when
    O(sendclean.mta.smtp_relay#role:main:smtp_relay_mta) names it.
  returned: when the MTA replaces another one
  type: str
  sample: postfix replaces exim4 on this host (smtp_relay_mta=postfix).
'''
