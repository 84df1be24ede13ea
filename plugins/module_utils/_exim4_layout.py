# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where exim4's files are on a Debian host, and who owns them (private: no compatibility promise).

Paths are relative to the configuration root, as in _postfix_layout. Measured on Debian 12 (exim 4.96) and 13
(4.98): the same paths, owners and transport text.
"""

CONFIG_DIR = 'etc/exim4'
# Debian's debconf answers as shell assignments (dc_smarthost='host::port'); not a conffile, and kept as edited by
# dpkg-reconfigure and reinstalls.
UPDATE_CONF = CONFIG_DIR + '/update-exim4.conf.conf'
# The relay's credentials: shipped root:Debian-exim 0640, and exim delivers as Debian-exim.
PASSWD_CLIENT = CONFIG_DIR + '/passwd.client'
PASSWD_CLIENT_OWNER, PASSWD_CLIENT_GROUP, PASSWD_CLIENT_MODE = 'root', 'Debian-exim', '0640'
# Macros: the unsplit configuration prepends exim4.conf.localmacros to the template; the split one ignores that
# file and reads conf.d/main/000_localmacros instead. Neither is a conffile.
LOCALMACROS = {False: CONFIG_DIR + '/exim4.conf.localmacros', True: CONFIG_DIR + '/conf.d/main/000_localmacros'}
# The smarthost transport: the split configuration's stock file (a conffile), and the .rul update-exim4.conf reads
# instead of it when it exists; the unsplit configuration's template (a conffile) holds the same transport.
TRANSPORT_FILE = CONFIG_DIR + '/conf.d/transport/30_exim4-config_remote_smtp_smarthost'
TRANSPORT_RUL = TRANSPORT_FILE + '.rul'
TEMPLATE = CONFIG_DIR + '/exim4.conf.template'
# The debconf config types that send through a smarthost: satellite has no local delivery, smarthost keeps it.
SMARTHOST_TYPES = ('satellite', 'smarthost')
SERVICE = 'exim4'
UPDATE_EXIM4_CONF = '/usr/sbin/update-exim4.conf'
EXIM = '/usr/sbin/exim4'
# exim4-config only recommends ca-certificates, and exim verifies the relay against the system bundle.
PACKAGES = ('exim4-daemon-light', 'ca-certificates')
# The marker of the role's block in the local macros file (ansible.builtin.blockinfile's marker, {mark} BEGIN/END).
MACROS_MARKER = '# {mark} sendclean.mta.smtp_relay'
# Where the init script's exim4 daemon keeps its pid.
PID_FILES = ('/run/exim4/exim.pid',)
