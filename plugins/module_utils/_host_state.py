# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's relay files and Postfix are now, read in one pass (private: no compatibility promise).

The smtp_relay role compares these with what it would write, on the controller, so that a converged host costs one
module run: no stat, template or postconf per file.
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.facts.system.distribution import DistributionFactCollector


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:  # an id without a name: compared as the number
        return str(number)


def file_state(module, path):
    """Whether ``path`` exists and, if so, its SHA-1, mode (as ``0644``), owner and group names."""
    try:
        status = os.stat(path)
    except OSError:
        return {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
    return {'exists': True, 'checksum': module.digest_from_file(path, 'sha1') if stat.S_ISREG(status.st_mode) else None,
            'mode': '%04o' % stat.S_IMODE(status.st_mode), 'owner': _name(pwd.getpwuid, status.st_uid),
            'group': _name(grp.getgrgid, status.st_gid)}


def postfix_state(module, postconf, config_dir, status):
    """Postfix's version and default map type (``postconf -d``); the ``inet_interfaces`` of ``config_dir`` when it
    has a main.cf; with ``status``, whether Postfix runs (``postfix status``). ``installed`` is False without postconf.
    """
    state = {'installed': os.path.exists(postconf), 'version': None, 'default_database_type': None,
             'inet_interfaces': None, 'running': None}
    if not state['installed']:
        return state
    defaults = _postconf(module, [postconf, '-d', '-h', 'mail_version', 'default_database_type'])
    state['version'], state['default_database_type'] = defaults
    if config_dir and os.path.exists(os.path.join(config_dir, 'main.cf')):
        state['inet_interfaces'] = _postconf(module, [postconf, '-c', config_dir, '-h', 'inet_interfaces'])[0]
    if status:
        postfix = os.path.join(os.path.dirname(postconf), 'postfix')
        rc, dummy, dummy = module.run_command([postfix] + (['-c', config_dir] if config_dir else []) + ['status'])
        state['running'] = rc == 0
    return state


def _postconf(module, argv):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(argv), rc, err.strip()))
    return out.splitlines()


def distribution_facts(module):
    """The facts of setup's ``distribution`` subset (``os_family``, ``distribution``, ...), gathered the same way."""
    return DistributionFactCollector().collect(module=module)
