#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_facts
short_description: Internal to the smtp_relay role - read a host's SMTP users, relay files and MTAs
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. In one run it reads all
    the role compares before it writes anything - the host's record of its SendClean SMTP users, the relay's files,
    the entries of the credentials files of Postfix, nullmailer and exim4, which MTAs the host has, Postfix itself,
    exim4's configuration, the packages the role installs, and the OS family when the play gathered no facts - so that a converged host costs
    one module run.
  - It changes nothing, and returns no password - of each credentials entry only the user and whether its password
    is the one the host's record holds.
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: It only reads, in check mode as in a real run.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  config_root:
    description:
      - The directory the role writes under - V(/), or an image or scratch tree. The files are read under it; Postfix
        (O(postconf)) is the host's own, asked about the configuration directory under it.
    type: path
    default: /
  postconf:
    description: The host's C(postconf); C(postfix) is beside it. Without it, RV(relay_facts.postfix.installed) is
      V(false).
    type: path
    default: /usr/sbin/postconf
  packages:
    description: The packages to report installed or not, with one C(dpkg-query) or C(rpm) run. The default is what
      the role installs on any OS family it supports.
    type: list
    elements: str
    default: [postfix, libsasl2-modules, cyrus-sasl-plain, ca-certificates]
  service_status:
    description: Whether to report if each installed MTA runs (for Postfix C(postfix status), for nullmailer and
      exim4 systemd or the init script's pid file) and starts at boot (systemd, or a System V runlevel link).
    type: bool
    default: false
  relay_host:
    description:
      - The relay's host name as the role configures it (C(smtp_relay_host)). With exim4 installed, the host's
        resolver is asked for its canonical name (RV(relay_facts.exim4.relay_canonical_name)) - exim looks the
        credentials up in C(passwd.client) by that name, not by the configured one.
      - Unset or empty, nothing is resolved.
    type: str
  gather_os_family:
    description:
      - Whether to report the host's OS family as C(ansible.builtin.setup) names it (C(os_family)), for a play
        that gathered no facts. It is read from C(/etc/os-release) (its C(ID) and C(ID_LIKE)) for the families the
        role supports.
    type: bool
    default: false
seealso:
  - module: sendclean.mta.sendclean_relay_plan
  - module: sendclean.mta.sendclean_relay_credentials
'''

EXAMPLES = r'''
- name: Read what this host holds and has (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_facts:
    packages: [postfix, libsasl2-modules, cyrus-sasl-plain, ca-certificates]
    service_status: true
    relay_host: us1-mta1.sendclean.net
    gather_os_family: "{{ ansible_facts['os_family'] is not defined }}"
  register: relay_host

- name: Say which relay files exist
  ansible.builtin.debug:
    msg: "{{ relay_host.relay_facts.files | dict2items | selectattr('value.exists') | map(attribute='key') }}"
'''

RETURN = r'''
relay_facts:
  description: What the host holds and has. No password.
  returned: always
  type: dict
  contains:
    identity:
      description: The host's record of its SMTP users (C(etc/sendclean/smtp_relay.json) under O(config_root)).
      type: dict
      contains:
        path:
          description: The record's path.
          type: str
          sample: /etc/sendclean/smtp_relay.json
        users:
          description:
            - By slot (V(default), or a sender) - C(name), C(has_password), C(issued) (when the password was issued,
              seconds since the epoch; null if unknown), C(rotation_unsettled) (a rotation was begun and its new password
              never recorded), C(pending) (a create marked pending, with its one-off limits; or null) and C(marker) (the
              one-off limits the user was created with, until the wanted ones are set).
          type: dict
          sample: {default: {name: smtp94454398, has_password: true, issued: 1796425200, rotation_unsettled: false,
                             pending: null, marker: null}}
    files:
      description:
        - Each file of the relay, by its path relative to O(config_root) - C(etc/postfix/main.cf),
          C(etc/postfix/sasl_passwd) and each map file postmap may build from it (C(.db), C(.lmdb), C(.cdb), C(.dir),
          C(.pag)), C(etc/mailname), the unchecked mark C(etc/postfix/sendclean_relay.unchecked), and nullmailer's
          C(etc/nullmailer/remotes), C(etc/nullmailer/me), C(etc/nullmailer/defaultdomain) and
          C(etc/nullmailer/adminaddr), and exim4's C(etc/exim4/passwd.client).
        - Each is C(exists), C(checksum) (SHA-1), C(mode) (as V(0644)), C(owner) and C(group); all but C(exists) null
          for a missing file.
      type: dict
      sample: {etc/mailname: {exists: false, checksum: null, mode: null, owner: null, group: null}}
    credentials:
      description: Each line of the credentials file (C(sasl_passwd)) by its lookup key - C(user), and C(current)
        (whether its password is the one the record holds for that user).
      type: dict
      sample: {"[us1-mta1.sendclean.net]:587": {user: smtp94454398, current: true}}
    postfix:
      description: The host's Postfix.
      type: dict
      contains:
        installed:
          description: Whether C(postconf) is there.
          type: bool
        version:
          description: Postfix's version (C(mail_version)), or null.
          type: str
          sample: 3.7.11
        default_database_type:
          description: The map type Postfix uses by default, or null.
          type: str
          sample: hash
        inet_interfaces:
          description: The C(inet_interfaces) of the configuration under O(config_root), or null without a C(main.cf).
          type: str
          sample: loopback-only
        running:
          description: Whether Postfix runs; null without O(service_status).
          type: bool
        enabled:
          description: Whether Postfix starts at boot; null without O(service_status).
          type: bool
        settings:
          description: The value of each relay setting the role manages (C(main.cf)'s, else Postfix's default) and of
            every parameter C(main.cf) sets, by parameter; null without a C(main.cf).
          type: dict
          sample: {relayhost: "[us1-mta1.sendclean.net]:587", soft_bounce: "no"}
        explicit:
          description: The relay settings the role manages that C(main.cf) sets itself (the others are Postfix's
            defaults, which a package may change); null without a C(main.cf).
          type: list
          elements: str
          sample: [relayhost, smtp_sasl_auth_soft_bounce]
        client_overrides:
          description: The SMTP client settings (C(smtp_*)) that C(master.cf) sets with C(-o) on a service running
            Postfix's SMTP client (command C(smtp)), which win over C(main.cf) for that service's mail; empty
            without them or without C(master.cf).
          type: list
          elements: dict
          sample: [{service: smtp/unix, name: smtp_sasl_auth_soft_bounce, value: "no"}]
    mtas:
      description:
        - The MTAs the host has - V(postfix), V(exim4), V(nullmailer) - by the program each package installs
          (C(/usr/sbin/postconf), C(/usr/sbin/exim4), C(/usr/sbin/nullmailer-send)). A package removed but not purged
          is not counted.
      type: list
      elements: str
      sample: [nullmailer]
    nullmailer:
      description: The host's nullmailer.
      type: dict
      contains:
        installed:
          description: Whether C(nullmailer-send) is there.
          type: bool
        remotes:
          description: Each line of C(etc/nullmailer/remotes) by its key (the line without its C(--user) and
            C(--pass)) - C(user), and C(current) (whether its password is the one the record holds for that user).
          type: dict
          sample: {"relay.example.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt":
                   {user: smtp94454398, current: true}}
        remote_lines:
          description: How many relay lines C(remotes) has (two lines with one key count twice).
          type: int
        trigger:
          description: What C(var/spool/nullmailer/trigger) is - V(fifo), V(missing), or V(other).
          type: str
        running:
          description: Whether nullmailer-send runs; null without O(service_status) or nullmailer.
          type: bool
        enabled:
          description: Whether nullmailer starts at boot; null without O(service_status) or nullmailer.
          type: bool
    exim4:
      description: The host's exim4 configuration, as Debian's exim4-config lays it out; null when exim4 is not
        installed (RV(relay_facts.mtas)).
      type: dict
      contains:
        split:
          description: Whether the host uses Debian's split configuration (C(dc_use_split_config)).
          type: bool
        update_conf:
          description: The C(dc_*) values of C(etc/exim4/update-exim4.conf.conf).
          type: dict
          sample: {dc_eximconfig_configtype: smarthost, dc_smarthost: "us1-mta1.sendclean.net::587"}
        macros:
          description: The lines of the role's block in the local macros file (C(etc/exim4/exim4.conf.localmacros),
            or C(etc/exim4/conf.d/main/000_localmacros) when split); null without the block.
          type: list
          elements: str
          sample: [".ifdef REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS", "REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS == *", ".else",
                   "REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *", ".endif"]
        transport_current:
          description: Whether the smarthost transport has the role's options (C(hosts_require_auth),
            C(hosts_nopass_tls)) on the text Debian ships now - the C(.rul) of the split configuration, or the
            template.
          type: bool
        foreign_options:
          description: Those of the role's transport options that the host's transport sets itself.
          type: list
          elements: str
        hand_config:
          description: Whether C(etc/exim4/exim4.conf) exists - exim reads it instead of what C(update-exim4.conf)
            builds.
          type: bool
        generated_stale:
          description: Whether C(var/lib/exim4/config.autogenerated) is missing or older than one of the files the
            role writes for it (C(/etc/mailname) included).
          type: bool
        relay_canonical_name:
          description: The canonical name of O(relay_host) as the host resolves it (itself when it does not
            resolve); null without O(relay_host).
          type: str
          sample: mta-a.sendclean.net
        passwd_client:
          description: Each line of C(etc/exim4/passwd.client) by its host key - C(user), and C(current) (whether its
            password is the one the record holds for that user).
          type: dict
          sample: {us1-mta1.sendclean.net: {user: smtp94454398, current: true}}
        running:
          description: Whether exim4 runs; null without O(service_status).
          type: bool
        enabled:
          description: Whether exim4 starts at boot; null without O(service_status).
          type: bool
    packages:
      description: Each package of O(packages) and whether it is installed.
      type: dict
      sample: {postfix: true, libsasl2-modules: false}
    os_family:
      description: With O(gather_os_family), the OS family as setup names it - V(Debian) (Debian, Ubuntu, ...) or
        V(RedHat) (RHEL, CentOS Stream, Rocky, Alma, Fedora, ...) - or, for another, the distribution's name; else
        null.
      type: str
      sample: Debian
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_layout as exim4_layout
from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_passwd_client as exim4_passwd_client
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_state import exim4_state
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord, credentials_of, identity_facts
from ansible_collections.sendclean.mta.plugins.module_utils._host_state import (
    file_state, nullmailer_state, os_family, package_state, postfix_state, service_enabled, service_running,
)
from ansible_collections.sendclean.mta.plugins.module_utils._mtas import installed_mtas
from ansible_collections.sendclean.mta.plugins.module_utils import _nullmailer_layout as nullmailer_layout
from ansible_collections.sendclean.mta.plugins.module_utils import _nullmailer_remotes as nullmailer_remotes
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import (
    ALL_PACKAGES, CONFIG_DIR, MAIN_CF, MAILNAME, POSTCONF, RECORD, RELAY_KEYS, SASL_PASSWD, UNCHECKED, map_files, under,
)
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import parse, read

WATCHED_FILES = [MAIN_CF, SASL_PASSWD, MAILNAME, UNCHECKED] + map_files() + [
    nullmailer_layout.REMOTES, nullmailer_layout.ME, nullmailer_layout.DEFAULTDOMAIN, nullmailer_layout.ADMINADDR,
    exim4_layout.PASSWD_CLIENT]


def credential_facts(entries, record_credentials):
    """{lookup key: {user, current}} of the credentials file's ``entries`` ({key: (user, password)}), current when the
    password is the one the record holds for that user (``record_credentials``: {slot: (name, password)})."""
    passwords = dict(record_credentials.values())
    return dict((key, {'user': user, 'current': user in passwords and passwords[user] == password})
                for key, (user, password) in entries.items())


def read_credentials(module, path):
    """The text of the credentials file at ``path`` ('' when there is none), failing the module naming the file."""
    try:
        return read(path) or ''
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read the credentials file %s: %s' % (path, exc.strerror))


def main():
    module = AnsibleModule(
        argument_spec={
            'config_root': {'type': 'path', 'default': '/'},
            'postconf': {'type': 'path', 'default': POSTCONF},
            'packages': {'type': 'list', 'elements': 'str', 'default': ALL_PACKAGES},
            'service_status': {'type': 'bool', 'default': False},
            'relay_host': {'type': 'str'},
            'gather_os_family': {'type': 'bool', 'default': False},
        },
        supports_check_mode=True,
    )
    root = module.params['config_root']
    record_path, sasl_passwd, remotes = under(root, RECORD), under(root, SASL_PASSWD), under(root, nullmailer_layout.REMOTES)
    mtas = installed_mtas()
    try:
        record_credentials = credentials_of(HostRecord(record_path).read())
        entries = parse(read_credentials(module, sasl_passwd))
        remote_lines = nullmailer_remotes.parse_lines(read_credentials(module, remotes))
        # Read while exim4 is installed; a removed exim4's file is only watched (the plan of another MTA retires it).
        passwd_client = exim4_passwd_client.parse(read_credentials(module, under(root, exim4_layout.PASSWD_CLIENT))
                                                  if 'exim4' in mtas else '')
        identity = identity_facts(record_path, sasl_passwd)
    except TaskFailure as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read the credentials file %s: %s' % (sasl_passwd, exc.strerror))
    remote_entries = dict((key, (user, password)) for key, user, password in remote_lines)
    # Masked by Ansible should one ever reach the result.
    read_credentials_pairs = [record_credentials, entries, remote_entries, passwd_client]
    module.no_log_values.update(password for pairs in read_credentials_pairs for dummy, password in pairs.values() if password)
    nullmailer = nullmailer_state(module, 'nullmailer' in mtas, under(root, nullmailer_layout.TRIGGER),
                                  module.params['service_status'])
    nullmailer.update(remotes=credential_facts(remote_entries, record_credentials), remote_lines=len(remote_lines))
    exim4 = None
    if 'exim4' in mtas:
        exim4 = exim4_state(root, module.params['relay_host'] or None)
        exim4.update(passwd_client=credential_facts(passwd_client, record_credentials), running=None, enabled=None)
        if module.params['service_status']:
            exim4.update(running=service_running(module, exim4_layout.SERVICE, exim4_layout.PID_FILES),
                         enabled=service_enabled(module, exim4_layout.SERVICE))
    relay_facts = {
        'identity': identity,
        'files': dict((path, file_state(module, under(root, path))) for path in WATCHED_FILES),
        'credentials': credential_facts(entries, record_credentials),
        'postfix': postfix_state(module, module.params['postconf'], under(root, CONFIG_DIR), module.params['service_status'],
                                 RELAY_KEYS),
        'mtas': mtas,
        'nullmailer': nullmailer,
        'exim4': exim4,
        'packages': package_state(module, module.params['packages']),
        'os_family': os_family() if module.params['gather_os_family'] else None,
    }
    module.exit_json(changed=False, relay_facts=relay_facts)


if __name__ == '__main__':
    main()
