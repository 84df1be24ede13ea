# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where nullmailer's files are on a Debian host, and who owns them (private: no compatibility promise).

Paths are relative to the configuration root, as in _postfix_layout.
"""

CONFIG_DIR = 'etc/nullmailer'
# The relay, its options and the credentials: the package's postinst makes it mail:mail 0600 (umask 077).
REMOTES = CONFIG_DIR + '/remotes'
REMOTES_OWNER, REMOTES_GROUP, REMOTES_MODE = 'mail', 'mail', '0600'
ME = CONFIG_DIR + '/me'
DEFAULTDOMAIN = CONFIG_DIR + '/defaultdomain'
ADMINADDR = CONFIG_DIR + '/adminaddr'
# nullmailer-send waits on this FIFO and exits at once without it; only systemd-tmpfiles or the init script's start
# make it, so a host without systemd where nothing ran the init script has none.
TRIGGER = 'var/spool/nullmailer/trigger'
TRIGGER_OWNER, TRIGGER_GROUP, TRIGGER_MODE = 'mail', 'root', '0622'
# Where the init script's start-stop-daemon keeps nullmailer-send's pid.
PID_FILES = ('/run/nullmailer.pid', '/var/run/nullmailer.pid')
SERVICE = 'nullmailer'
# ca-certificates is no dependency of nullmailer, and without a CA file nullmailer verifies no certificate at all.
PACKAGES = ('nullmailer', 'ca-certificates')
