# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's relay files and MTAs are now, read in one pass (private: no compatibility promise).

The smtp_relay role compares these with what it would write, on the controller, so that a converged host costs one
module run: no stat, template or postconf per file.
"""

import glob
import grp
import os
import pwd
import re
import stat

from ansible.module_utils import distro

from ansible_collections.sendclean.mta.plugins.module_utils import _nullmailer_layout as nullmailer_layout

# setup's os_family of the families the role supports, by the os-release ID, or an ID_LIKE entry, that marks them
# (Ubuntu has ID_LIKE=debian; Rocky and Alma ID_LIKE="rhel centos fedora"; Amazon Linux ID_LIKE=fedora).
OS_FAMILY_OF_ID = {'debian': 'Debian', 'rhel': 'RedHat', 'centos': 'RedHat', 'fedora': 'RedHat'}

# The SMTP client's parameters (smtp_*): a master.cf -o that sets one of the role's differently overrides main.cf for
# the mail the role relays (smtp_sasl_auth_soft_bounce = no would bounce mail on a refused login).
CLIENT_PREFIX = 'smtp_'

# A line of postconf's output: "name = value", or "name =" for an empty value.
POSTCONF_LINE = re.compile(r'^(\S+) =\s?(.*)$')


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


def master_overrides(path, prefix):
    """The ``-o name=value`` settings of master.cf (``path``) whose name starts with ``prefix``, on the services that
    run Postfix's SMTP client (command ``smtp``), as [{service, name, value}] (service as ``name/type``); [] without
    the file. master(5): a line starting with blanks continues the one before; a line whose first non-blank is ``#``
    is a comment; ``-o { name = value }`` (Postfix 3.0) may hold blanks."""
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError):
        return []
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if line[0].isspace() and entries:
            entries[-1] += ' ' + line.strip()
        else:
            entries.append(line.strip())
    overrides = []
    for entry in entries:
        fields = entry.split()
        if len(fields) < 8 or fields[7] != 'smtp':
            continue
        arguments, index = fields[8:], 0
        while index < len(arguments):
            setting, index = _option_setting(arguments, index)
            if setting and setting[0].startswith(prefix):
                overrides.append({'service': '%s/%s' % (fields[0], fields[1]), 'name': setting[0], 'value': setting[1]})
    return overrides


def _option_setting(arguments, index):
    """(the (name, value) of the ``-o`` option at ``arguments[index]``, or None for another argument; the index
    after it)."""
    argument = arguments[index]
    if argument == '-o' and index + 1 < len(arguments):
        index += 1
        if arguments[index] == '{':  # -o { name = value }
            end = arguments.index('}', index) if '}' in arguments[index:] else len(arguments)
            text, index = ' '.join(arguments[index + 1:end]), end + 1
        else:
            text, index = arguments[index], index + 1
    elif argument.startswith('-o') and len(argument) > 2:
        text, index = argument[2:], index + 1
    else:
        return None, index + 1
    name, equals, value = text.partition('=')
    return ((name.strip(), value.strip()) if equals else None), index


def postfix_state(module, postconf, config_dir, status, keys=()):
    """Postfix's version and default map type (``postconf -d``); when ``config_dir`` has a main.cf, its
    ``inet_interfaces`` and ``settings``: the value of each of ``keys`` (main.cf's, else Postfix's default) and of
    every parameter main.cf sets (``postconf -n``), and ``explicit``: which of ``keys`` main.cf sets itself;
    ``client_overrides``: the SMTP client settings master.cf's -o options set (master_overrides); with ``status``,
    whether Postfix runs (``postfix status``) and starts at boot. ``installed`` is False without postconf.
    """
    state = {'installed': os.path.exists(postconf), 'version': None, 'default_database_type': None,
             'inet_interfaces': None, 'running': None, 'enabled': None, 'settings': None, 'explicit': None,
             'client_overrides': master_overrides(os.path.join(config_dir, 'master.cf'), CLIENT_PREFIX) if config_dir else []}
    if not state['installed']:
        return state
    # One run for the version and the defaults: a key this Postfix does not know is left out, with a warning.
    defaults = _postconf(module, [postconf, '-d', 'mail_version', 'default_database_type', 'inet_interfaces'] + list(keys))
    state['version'], state['default_database_type'] = defaults.get('mail_version'), defaults.get('default_database_type')
    if config_dir and os.path.exists(os.path.join(config_dir, 'main.cf')):
        explicit = _postconf(module, [postconf, '-c', config_dir, '-n'])
        state['settings'] = dict((key, explicit.get(key, defaults.get(key))) for key in keys
                                 if key in explicit or key in defaults)
        state['settings'].update(explicit)
        state['explicit'] = [key for key in keys if key in explicit]
        state['inet_interfaces'] = explicit.get('inet_interfaces', defaults.get('inet_interfaces'))
    if status:
        postfix = os.path.join(os.path.dirname(postconf), 'postfix')
        rc, dummy, dummy = module.run_command([postfix] + (['-c', config_dir] if config_dir else []) + ['status'])
        state['running'] = rc == 0
        state['enabled'] = service_enabled(module, 'postfix')
    return state


def _postconf(module, argv):
    """{parameter: value} of what postconf prints (``name = value`` lines, as main.cf has them)."""
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(argv), rc, err.strip()))
    return dict(match.groups() for match in map(POSTCONF_LINE.match, out.splitlines()) if match)


def service_enabled(module, name):
    """Whether service ``name`` starts at boot: systemd's answer when systemd runs, else whether a System V
    runlevel starts it (an S link in /etc/rc?.d)."""
    systemctl = module.get_bin_path('systemctl')
    if systemctl and os.path.isdir('/run/systemd/system'):
        return module.run_command([systemctl, 'is-enabled', name])[0] == 0
    return bool(glob.glob('/etc/rc[2-5].d/S[0-9][0-9]%s' % name))


def service_running(module, name, pid_files):
    """Whether service ``name`` runs: systemd's answer when systemd runs, else whether a process has the pid of one
    of ``pid_files`` (where its init script keeps it)."""
    systemctl = module.get_bin_path('systemctl')
    if systemctl and os.path.isdir('/run/systemd/system'):
        return module.run_command([systemctl, 'is-active', '--quiet', name])[0] == 0
    for pid_file in pid_files:
        try:
            with open(pid_file) as handle:
                os.kill(int(handle.read().strip()), 0)
            return True
        except (IOError, OSError, ValueError):
            continue
    return False


def fifo_state(path):
    """``fifo``, ``missing``, or ``other`` (something else is at ``path``)."""
    try:
        return 'fifo' if stat.S_ISFIFO(os.lstat(path).st_mode) else 'other'
    except OSError:
        return 'missing'


def nullmailer_state(module, installed, trigger, status):
    """Whether nullmailer is ``installed``, what its ``trigger`` FIFO is (fifo_state), and with ``status`` whether
    nullmailer-send runs and starts at boot (else None). The remotes entries are the caller's to add."""
    state = {'installed': installed, 'trigger': fifo_state(trigger), 'running': None, 'enabled': None}
    if status and installed:
        state['running'] = service_running(module, nullmailer_layout.SERVICE, nullmailer_layout.PID_FILES)
        state['enabled'] = service_enabled(module, nullmailer_layout.SERVICE)
    return state


def package_state(module, names):
    """{name: installed} of the packages ``names``, from one dpkg-query (Debian, Ubuntu) or rpm (EL, Fedora) run;
    all False without either."""
    installed = set()
    dpkg_query, rpm = module.get_bin_path('dpkg-query'), module.get_bin_path('rpm')
    if names and (dpkg_query or rpm):
        # Each prints "name installed" for a package that is; dpkg-query exits 1, and rpm with the number missing,
        # when one is not: only the output counts.
        argv = [dpkg_query, '-W', '-f', '${Package} ${db:Status-Status}\n'] if dpkg_query else [rpm, '-q', '--qf', '%{NAME} installed\n']
        dummy, out, dummy = module.run_command(argv + list(names), expand_user_and_vars=False)
        installed = set(fields[0] for fields in map(str.split, out.splitlines()) if fields[1:] == ['installed'])
    return dict((name, name in installed) for name in names)


def os_family():
    """The host's OS family as setup names it (``Debian``, ``RedHat``) for the families the role supports, from
    /etc/os-release; else the distribution's name, which the role's input check refuses by name. Read with the distro
    library AnsibleModule has loaded already: setup's collector would import every fact collector first."""
    ids = [distro.id()] + distro.like().split()
    return next((OS_FAMILY_OF_ID[name] for name in ids if name in OS_FAMILY_OF_ID), distro.name() or 'unknown')
