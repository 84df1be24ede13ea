# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the smtp_relay role's files are on a host, and what each OS family it supports needs (private: no
compatibility promise).

Paths are relative to the configuration root (``smtp_relay_config_root``: ``/``, or an image or scratch tree), so the
controller's plan and the host modules name the same files. main.cf names the paths Postfix reads at run time:
those under /, whatever the root.
"""

CONFIG_DIR = 'etc/postfix'
MAIN_CF = CONFIG_DIR + '/main.cf'
MASTER_CF = CONFIG_DIR + '/master.cf'
SASL_PASSWD = CONFIG_DIR + '/sasl_passwd'
# Present from the moment the role changes the configuration until Postfix's checks pass, so that a run that failed
# a check leaves it and the next run checks again.
UNCHECKED = CONFIG_DIR + '/sendclean_relay.unchecked'
MAILNAME = 'etc/mailname'
# The host's record of its SMTP users (names, passwords, pending creates).
RECORD = 'etc/sendclean/smtp_relay.json'

# The host's own Postfix, wherever the files go.
POSTCONF = '/usr/sbin/postconf'
POSTFIX = '/usr/sbin/postfix'
POSTMAP = '/usr/sbin/postmap'
POSTQUEUE = '/usr/sbin/postqueue'
# A relay refusing AUTH (535, as SendClean does from the moment resetSmtpPassword ends the old password until the host
# has reloaded the new one) must defer the mail, never bounce it, whatever a distribution's default: the role sets
# this in main.cf in both smtp_relay_main_cf modes, and its input check refuses smtp_relay_main_cf_settings that
# would set it to anything else.
SOFT_BOUNCE_KEY = 'smtp_sasl_auth_soft_bounce'

# Map types Postfix reads from files that postmap builds beside the text file, with their suffixes; texthash needs
# no postmap (Postfix reads the text file itself, on start and reload).
MAP_TYPES = ('texthash', 'hash', 'btree', 'lmdb', 'cdb', 'dbm', 'sdbm')
MAP_SUFFIXES = {'texthash': (), 'hash': ('db',), 'btree': ('db',), 'lmdb': ('lmdb',), 'cdb': ('cdb',),
                'dbm': ('dir', 'pag'), 'sdbm': ('dir', 'pag')}

# The main.cf parameters the role sets, in either smtp_relay_main_cf mode; the host's facts report their values.
RELAY_KEYS = (
    'relayhost', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'smtp_sasl_security_options',
    'smtp_sasl_tls_security_options', 'smtp_sasl_auth_soft_bounce', 'smtp_tls_security_level', 'smtp_tls_CAfile', 'smtp_tls_secure_cert_match',
    'smtp_tls_verify_cert_match', 'smtp_tls_wrappermode', 'smtp_tls_mandatory_protocols', 'defer_transports',
    'soft_bounce', 'myorigin', 'sender_canonical_maps', 'tls_required_enable', 'smtp_sender_dependent_authentication',
    'compatibility_level', 'myhostname', 'inet_interfaces', 'mydestination', 'local_transport', 'alias_maps',
    'alias_database',
)

# The packages and CA bundle of each supported OS family. Debian and Ubuntu: the SASL client modules (PLAIN, LOGIN)
# are in libsasl2-modules; without them Postfix finds "no mechanism available" and defers the mail. EL (RHEL,
# CentOS Stream, Rocky, Alma, Fedora): cyrus-sasl-plain.
OS_FAMILIES = {
    'Debian': {'packages': ('postfix', 'libsasl2-modules', 'ca-certificates'),
               'ca_bundle': '/etc/ssl/certs/ca-certificates.crt'},
    'RedHat': {'packages': ('postfix', 'cyrus-sasl-plain', 'ca-certificates'),
               'ca_bundle': '/etc/pki/tls/certs/ca-bundle.crt'},
}


# What the host's facts report on: the packages of every family, since the family may not be known before the read.
ALL_PACKAGES = ['postfix', 'libsasl2-modules', 'cyrus-sasl-plain', 'ca-certificates']


def under(root, relative):
    """The path of ``relative`` (a path of this layout) under the configuration root ``root``."""
    return root.rstrip('/') + '/' + relative


def map_suffixes(map_type=None):
    """The suffixes of the map files postmap builds for ``map_type``, or for every map type (None)."""
    suffixes = MAP_SUFFIXES[map_type] if map_type else [suffix for name in MAP_TYPES for suffix in MAP_SUFFIXES[name]]
    return [suffix for index, suffix in enumerate(suffixes) if suffix not in suffixes[:index]]


def map_files(map_type=None):
    """The map files of sasl_passwd for ``map_type``, or for every map type (None), as paths of this layout."""
    return [SASL_PASSWD + '.' + suffix for suffix in map_suffixes(map_type)]
