#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: sendclean_relay_exim4_transport
short_description: Internal to the smtp_relay role - give exim4's smarthost transport the options the relay needs
version_added: 0.3.0
description:
  - A step of the P(sendclean.mta.smtp_relay#role) role, not meant for plays of their own. It writes Debian's exim4
    smarthost transport (C(remote_smtp_smarthost)) with two options Debian has no macro for - C(hosts_require_auth = *)
    (a refused login defers the mail instead of sending it without AUTH into the relay's permanent refusal) and
    C(hosts_nopass_tls = *) (no authenticated TLS connection is handed on to another message) - in a marked block
    right after the transport's C(driver = smtp).
  - The text is derived from O(source) on the host at every run - with Debian's split configuration the stock file
    C(conf.d/transport/30_exim4-config_remote_smtp_smarthost), written to its C(.rul) (O(path)), which
    C(update-exim4.conf) reads instead; with the unsplit configuration the template C(exim4.conf.template), edited in
    place (O(path) = O(source)). A package upgrade that changes the stock text thus reaches the written file at the
    next run.
  - The file is written, atomically, only when its text differs. It does not run C(update-exim4.conf).
author:
  - SendClean MTA collection maintainers (@sendclean)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing is written or removed; the result says whether it would be.
  diff_mode:
    support: full
    details: The transport's text holds no secret.
  platform:
    platforms: posix
options:
  source:
    description: The text Debian ships the transport in - the split configuration's stock transport file, or the
      template.
    type: path
    required: true
  path:
    description: The file to write - the C(.rul) beside the stock transport file, or the template itself (the same
      path as O(source)).
    type: path
    required: true
  state:
    description:
      - V(present) writes O(source) with the role's block.
      - V(absent) takes the block out again - the template is written without it, a C(.rul) is removed.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: The mode of the written file.
    type: str
    default: '0644'
  owner:
    description: The owner of the written file (a name or a number); unset, a new file's is the one the module runs
      as, an existing file's is kept.
    type: str
  group:
    description: The group of the written file; unset, as O(owner).
    type: str
notes:
  - The task fails, writing nothing, when O(source) is missing, holds no C(remote_smtp_smarthost) transport with
    C(driver = smtp), or sets one of the two options itself (exim refuses an option set twice).
seealso:
  - module: sendclean.mta.sendclean_relay_facts
  - module: sendclean.mta.sendclean_relay_credentials
'''

EXAMPLES = r'''
- name: Give the split configuration's smarthost transport the relay's options (inside the smtp_relay role)
  sendclean.mta.sendclean_relay_exim4_transport:
    source: /etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost
    path: /etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost.rul
    owner: root
    group: root

- name: The same in the unsplit configuration's template
  sendclean.mta.sendclean_relay_exim4_transport:
    source: /etc/exim4/exim4.conf.template
    path: /etc/exim4/exim4.conf.template
'''

RETURN = r'''
transport:
  description: What the module did.
  returned: always
  type: dict
  contains:
    path:
      description: O(path).
      type: str
      sample: /etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost.rul
    state:
      description: O(state).
      type: str
      sample: present
    written:
      description: Whether the file was written (or, in check mode, would be).
      type: bool
    removed:
      description: Whether the C(.rul) was removed (or, in check mode, would be).
      type: bool
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import (
    TransportNotFound, foreign_options, with_options, without_options,
)


def read_text(path):
    """The file's text, or None when there is none."""
    if not os.path.lexists(path):
        return None
    with open(path) as handle:
        return handle.read()


def wanted_text(module, source_text, source, present):
    """The transport text to write, or fail the module naming ``source``."""
    try:
        if present:
            foreign = foreign_options(source_text)
            if foreign:
                module.fail_json(msg='The remote_smtp_smarthost transport of %s already sets %s itself, which the role '
                                     'sets to * (exim refuses an option set twice): remove the host\'s own setting.'
                                 % (source, ', '.join(foreign)))
            return with_options(source_text)
        return without_options(source_text)
    except TransportNotFound as exc:
        module.fail_json(msg='%s is not the exim4 configuration Debian ships (%s): the role adds its options to Debian\'s '
                             'remote_smtp_smarthost transport only.' % (source, exc))


def write(module, path, text):
    """Write ``text`` to ``path`` atomically (a new file in the same directory, then moved over it)."""
    handle, temporary = tempfile.mkstemp(prefix='.sendclean-', dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(text)
        module.atomic_move(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def main():
    module = AnsibleModule(
        argument_spec={
            'source': {'type': 'path', 'required': True},
            'path': {'type': 'path', 'required': True},
            'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
            'mode': {'type': 'str', 'default': '0644'},
            'owner': {'type': 'str'},
            'group': {'type': 'str'},
        },
        supports_check_mode=True,
    )
    params = module.params
    source, path, present = params['source'], params['path'], params['state'] == 'present'
    in_place = os.path.realpath(source) == os.path.realpath(path)
    result = {'path': path, 'state': params['state'], 'written': False, 'removed': False}
    try:
        source_text, current = read_text(source), read_text(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read %s: %s' % (exc.filename, exc.strerror), transport=result)
    if source_text is None:
        if present:
            module.fail_json(msg='%s is missing: install exim4 (its configuration comes with exim4-config) first.'
                             % source, transport=result)
        module.exit_json(changed=False, transport=result)
    if not present and not in_place:
        result['removed'] = current is not None
        if result['removed'] and not module.check_mode:
            os.remove(path)
        module.exit_json(changed=result['removed'], transport=result,
                         diff={'before': current or '', 'after': '', 'before_header': path, 'after_header': path})
    text = wanted_text(module, source_text, source, present)
    result['written'] = current != text
    if result['written'] and not module.check_mode:
        if not os.path.isdir(os.path.dirname(path)):
            module.fail_json(msg='The directory of %s is missing: install exim4 first.' % path, transport=result)
        try:
            write(module, path, text)
        except (IOError, OSError) as exc:
            module.fail_json(msg='cannot write %s: %s' % (path, exc.strerror), transport=result)
    changed = result['written']
    if os.path.exists(path):
        changed = module.set_mode_if_different(path, params['mode'], changed)
        changed = module.set_owner_if_different(path, params['owner'], changed)
        changed = module.set_group_if_different(path, params['group'], changed)
    module.exit_json(changed=changed, transport=result,
                     diff={'before': current or '', 'after': text, 'before_header': path, 'after_header': path})


if __name__ == '__main__':
    main()
