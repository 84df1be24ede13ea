#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_credentials
short_description: Internal to the smtp_relay role - build an MTA's credentials file from the host's record
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. It writes the credentials
    file of the host's MTA (O(format)) from the host's record of its SendClean SMTP users (O(record_path)), which
    holds their passwords - Postfix's SASL password file (C(sasl_passwd)), whose map it builds with C(postmap),
    nullmailer's C(remotes), or exim4's C(passwd.client). The passwords thus go from the record to this file on the host, and never through a
    task's arguments or result.
  - The file is written only when its content differs, atomically, and with mode V(0600) from its creation - the
    passwords are never readable by others, not even for a moment - then given O(mode). C(postmap) runs when the
    file was written or a map file is missing.
  - O(state=absent) removes the file, and for C(sasl_passwd) every map file of any map type (a decommissioned
    host).
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written or removed. The file is reported changed when it would be, and for the slots of O(rotated),
        whose new password is not on the host yet.
      - A slot whose password the record lacks (a user this run would create) is reported changed instead of failing.
  diff_mode:
    support: none
    details: The file holds passwords; RV(credentials.entries) says which user each line names.
  platform:
    platforms: posix
options:
  record_path:
    description: The host's record of its SMTP users, for example V(/etc/sendclean/smtp_relay.json).
    type: path
    required: true
  path:
    description: The credentials file, for example V(/etc/postfix/sasl_passwd). Its directory must exist.
    type: path
    required: true
  format:
    description:
      - V(sasl_passwd) - Postfix's, one C(key user:password) line per entry.
      - V(nullmailer_remotes) - nullmailer's C(remotes), one C(key --user=... --pass=...) line per entry, each value
        quoted so that nullmailer reads it back exactly. A password or user with a C(:), a blank or a backslash is
        refused - Debian's nullmailer package rewrites C(remotes) at every upgrade and reconfigure, splitting it at
        each C(:) - naming the user; a new password (the role's C(smtp_relay_rotate_password)) has none.
      - V(exim4_passwd_client) - exim4's C(passwd.client), one C(host:login:password) line per entry, the key being a
        host name as exim looks it up (the relay's name after resolution). A password may hold C(:); a login with a
        C(:), a line break or surrounding blanks, and a password with a line break or ending with a blank, are
        refused, naming the user.
    type: str
    choices: [sasl_passwd, nullmailer_remotes, exim4_passwd_client]
    default: sasl_passwd
  entries:
    description:
      - The file's lines, in order, as lookup key to slot - the key (for C(sasl_passwd) the key Postfix looks the
        credentials up by, V([host]:port) for the relay or an envelope sender such as V(orders@shop.example) or
        V(@news.example); for C(remotes) the relay's line without its credentials; for C(passwd.client) the relay's
        host name), and the slot of the record whose
        user and password the line holds (V(default), or the sender).
      - Required with O(state=present).
    type: dict
  map_type:
    description: The map type of C(sasl_passwd), as C(main.cf) names it; V(texthash) needs no C(postmap). Required with
      O(format=sasl_passwd) and O(state=present).
    type: str
    choices: [texthash, hash, btree, lmdb, cdb, dbm, sdbm]
  postmap:
    description: The host's C(postmap).
    type: path
    default: /usr/sbin/postmap
  state:
    description: V(present) writes the file and its map; V(absent) removes the file and every map file.
    type: str
    choices: [present, absent]
    default: present
  rotated:
    description: The slots whose password this run changes; in check mode they are reported changed, since the record
      on the host still holds the old password.
    type: list
    elements: str
    default: []
  mode:
    description: The file's mode once written, for example V(0640) for a file the MTA reads through its group.
    type: str
    default: '0600'
  owner:
    description: The file's owner (a name or a number); unset, the owner of a new file is the one the module runs as.
    type: str
  group:
    description: The file's group (a name or a number); unset, as O(owner).
    type: str
notes:
  - A line whose slot has no password in the record fails the task, naming the slot and its user, unless in check mode;
    run the role with C(smtp_relay_rotate_password=true) to give the user a new one.
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_plan
'''

EXAMPLES = r'''
- name: Write the credentials of the relay and of one sender (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_credentials:
    record_path: /etc/sendclean/smtp_relay.json
    path: /etc/postfix/sasl_passwd
    entries:
      orders@shop.example: orders@shop.example
      "[us1-mta1.sendclean.net]:587": default
    map_type: hash
    owner: root
    group: root

- name: Write nullmailer's remotes, owned by the mail user as the package has it (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_credentials:
    record_path: /etc/sendclean/smtp_relay.json
    path: /etc/nullmailer/remotes
    format: nullmailer_remotes
    entries:
      "us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt": default
    owner: mail
    group: mail

- name: Write exim4's passwd.client, readable by exim's group as the package has it (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_credentials:
    record_path: /etc/sendclean/smtp_relay.json
    path: /etc/exim4/passwd.client
    format: exim4_passwd_client
    entries:
      us1-mta1.sendclean.net: default
      mta-a.sendclean.net: default
    owner: root
    group: Debian-exim
    mode: '0640'

- name: Remove the credentials of a decommissioned host
  sendclean.mta.sendclean_relay_credentials:
    record_path: /etc/sendclean/smtp_relay.json
    path: /etc/postfix/sasl_passwd
    state: absent
'''

RETURN = r'''
credentials:
  description: What the module did. No password.
  returned: always
  type: dict
  contains:
    path:
      description: The credentials file.
      type: str
      sample: /etc/postfix/sasl_passwd
    state:
      description: O(state).
      type: str
      sample: present
    entries:
      description: Each line's lookup key and the user it names (null for a slot the record has no password for,
        in check mode).
      type: dict
      sample: {"[us1-mta1.sendclean.net]:587": smtp94454398}
    written:
      description: Whether the file was written (or, in check mode, would be).
      type: bool
    map_built:
      description: Whether C(postmap) ran (or, in check mode, would run); always V(false) for C(remotes) and
        C(passwd.client).
      type: bool
    removed:
      description: The files removed (or, in check mode, that would be), with O(state=absent).
      type: list
      elements: str
'''

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_passwd_client as exim4_passwd_client
from ansible_collections.sendclean.mta.plugins.module_utils import _nullmailer_remotes as nullmailer_remotes
from ansible_collections.sendclean.mta.plugins.module_utils import _sasl_passwd as sasl_passwd
from ansible_collections.sendclean.mta.plugins.module_utils._failure import TaskFailure
from ansible_collections.sendclean.mta.plugins.module_utils._host_record import HostRecord, credentials_of
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import MAP_TYPES, POSTMAP, map_suffixes
from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import lines_for, read, write

# Each format's module - render(lines), bad_keys(keys), refused(lines) - and the MTA whose file it is.
FORMATS = {'sasl_passwd': sasl_passwd, 'nullmailer_remotes': nullmailer_remotes,
           'exim4_passwd_client': exim4_passwd_client}
MTA_OF = {'sasl_passwd': 'Postfix', 'nullmailer_remotes': 'nullmailer', 'exim4_passwd_client': 'exim4'}


def owner_ids(module, owner, group):
    """(uid, gid) of ``owner`` and ``group`` (names or numbers); -1 for one not given."""
    def resolve(name, lookup, what):
        if name is None:
            return -1
        if name.isdigit():
            return int(name)
        try:
            return lookup(name)[2]
        except KeyError:
            module.fail_json(msg='the %s %s of the credentials file does not exist on the host' % (what, name))
    return resolve(owner, pwd.getpwnam, 'owner'), resolve(group, grp.getgrnam, 'group')


def remove(module, path, with_maps):
    """Remove the file and, ``with_maps``, every map file; returns the paths that were there."""
    maps = ['%s.%s' % (path, suffix) for suffix in map_suffixes()] if with_maps else []
    removed = [candidate for candidate in [path] + maps if os.path.lexists(candidate)]
    if not module.check_mode:
        for candidate in removed:
            os.remove(candidate)
    return removed


def ensure(module, params):
    """Write the file when its content differs, set its mode, owner and group, and build its map when needed.
    Returns the result's ``credentials`` and whether anything changed."""
    path = params['path']
    try:
        record = HostRecord(params['record_path']).read()
    except TaskFailure as exc:
        module.fail_json(msg=str(exc))
    held = credentials_of(record)
    module.no_log_values.update(password for dummy, password in held.values())
    lines, missing = lines_for(params['entries'], held)
    suffixes = map_suffixes(params['map_type']) if params['map_type'] else []
    facts = {'path': path, 'state': 'present', 'removed': [], 'map_built': False,
             'entries': dict((key, held[slot][0] if slot in held else None) for key, slot in params['entries'].items())}
    if module.check_mode and (missing or not os.path.isdir(os.path.dirname(path))):
        # A user this run creates, or the MTA this run installs: the real run has them.
        facts.update(written=True, map_built=bool(suffixes))
        return facts, True
    if missing:
        named = ', '.join('%s (%s)' % (slot, (record.users.get(slot) or {}).get('name') or 'no user') for slot in missing)
        reason = ('The host\'s record %s holds no password for the SMTP user(s) of %s, so %s cannot name them: run the '
                  'role once with smtp_relay_rotate_password=true to set new ones.') % (params['record_path'], named, path)
        module.fail_json(msg=reason, credentials=facts)
    if not os.path.isdir(os.path.dirname(path)):
        module.fail_json(msg='The directory of %s is missing: install %s first.' % (path, MTA_OF[params['format']]),
                         credentials=facts)
    file_format = FORMATS[params['format']]
    refused = file_format.refused(lines)
    if refused:
        module.fail_json(msg='%s cannot hold %s: run the role with smtp_relay_rotate_password=true to give the user a new '
                         'password.' % (path, '; '.join(refused)), credentials=facts)
    content = file_format.render(lines)
    rotated = set(params['rotated']) & set(params['entries'].values())
    facts['written'] = read(path) != content or (module.check_mode and bool(rotated))
    uid, gid = owner_ids(module, params['owner'], params['group'])
    if facts['written'] and not module.check_mode:
        write(path, content, uid, gid)
    changed = facts['written']
    if os.path.exists(path):
        changed = module.set_mode_if_different(path, params['mode'], changed)
        changed = module.set_owner_if_different(path, params['owner'], changed)
        changed = module.set_group_if_different(path, params['group'], changed)
    maps_there = all(os.path.exists('%s.%s' % (path, suffix)) for suffix in suffixes)
    facts['map_built'] = bool(suffixes) and (facts['written'] or not maps_there)
    if facts['map_built'] and not module.check_mode:
        argv = [params['postmap'], '-c', os.path.dirname(path), '%s:%s' % (params['map_type'], path)]
        rc, dummy, err = module.run_command(argv)
        if rc != 0:
            module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(argv), rc, err.strip()), credentials=facts)
    return facts, changed or facts['map_built']


def main():
    module = AnsibleModule(
        argument_spec={
            'record_path': {'type': 'path', 'required': True},
            'path': {'type': 'path', 'required': True},
            'format': {'type': 'str', 'default': 'sasl_passwd', 'choices': sorted(FORMATS)},
            'entries': {'type': 'dict'},
            'map_type': {'type': 'str', 'choices': list(MAP_TYPES)},
            'postmap': {'type': 'path', 'default': POSTMAP},
            'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
            'rotated': {'type': 'list', 'elements': 'str', 'default': []},
            'mode': {'type': 'str', 'default': '0600'},
            'owner': {'type': 'str'},
            'group': {'type': 'str'},
        },
        required_if=[('state', 'present', ('entries',))],
        supports_check_mode=True,
    )
    params = module.params
    with_maps = params['format'] == 'sasl_passwd'
    if with_maps and params['state'] == 'present' and not params['map_type']:
        module.fail_json(msg='map_type is required with format sasl_passwd and state present')
    bad_keys = FORMATS[params['format']].bad_keys(params['entries'] or {})
    if bad_keys:
        module.fail_json(msg=bad_keys)
    try:
        if params['state'] == 'absent':
            removed = remove(module, params['path'], with_maps)
            module.exit_json(changed=bool(removed), credentials={'path': params['path'], 'state': 'absent', 'entries': {},
                                                                 'written': False, 'map_built': False, 'removed': removed})
        facts, changed = ensure(module, params)
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot %s the credentials file %s: %s'
                         % ('remove' if params['state'] == 'absent' else 'write', params['path'], exc.strerror or exc))
    module.exit_json(changed=changed, credentials=facts)


if __name__ == '__main__':
    main()
