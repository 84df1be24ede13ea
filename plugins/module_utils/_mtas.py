# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The MTAs the smtp_relay role relays through, and how a host shows that it has one (private: no compatibility
promise)."""

import os

# The program each MTA's package installs. A package removed but not purged keeps its configuration files but not its
# programs (Debian removes exim4-base with exim4 when postfix or nullmailer replaces it), so the program is what
# tells an MTA the host has; checking it costs a stat, no process.
PROGRAMS = (
    ('postfix', '/usr/sbin/postconf'),
    ('exim4', '/usr/sbin/exim4'),
    ('nullmailer', '/usr/sbin/nullmailer-send'),
)
MTAS = tuple(name for name, dummy in PROGRAMS)


def installed_mtas(programs=PROGRAMS):
    """The MTAs whose program is on this host, in the order of ``programs``."""
    return [name for name, program in programs if os.path.exists(program)]
