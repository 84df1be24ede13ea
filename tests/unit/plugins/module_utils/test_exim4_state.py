# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's exim4 configuration is, read from a root laid out as Debian 13's package leaves it (the files are
the package's own, from the fixtures), then as the role leaves it, in the unsplit and the split configuration."""

import os
import shutil

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils import _exim4_state
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_state import (
    canonical_name, exim4_state, generated_stale, macro_block, parse_update_conf,
)
from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import with_options

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'exim4-debian13')
# Debian 13's update-exim4.conf.conf as the package writes it on a fresh install (dc_ values only).
UPDATE_CONF = """# /etc/exim4/update-exim4.conf.conf
dc_eximconfig_configtype='local'
dc_other_hostnames='vm'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='%s'
dc_localdelivery='mail_spool'
"""
MACROS = ['.ifdef REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS', 'REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS == *', '.else',
          'REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *', '.endif']


@pytest.fixture
def root(tmp_path):
    """A root with Debian 13's exim4 files: the template, the split transport file, passwd.client."""
    transport_dir = tmp_path / 'etc/exim4/conf.d/transport'
    transport_dir.mkdir(parents=True)
    (tmp_path / 'etc/exim4/conf.d/main').mkdir()
    shutil.copy(os.path.join(FIXTURES, 'exim4.conf.template'), str(tmp_path / 'etc/exim4/exim4.conf.template'))
    shutil.copy(os.path.join(FIXTURES, '30_exim4-config_remote_smtp_smarthost'), str(transport_dir))
    return tmp_path


def write(path, text):
    path.write_text(text)


@pytest.mark.parametrize('split', ['false', 'true'])
def test_as_the_package_leaves_it(root, split):
    write(root / 'etc/exim4/update-exim4.conf.conf', UPDATE_CONF % split)
    state = exim4_state(str(root), None)
    assert state == {'split': split == 'true', 'macros': None, 'transport_current': False, 'foreign_options': [],
                     'relay_canonical_name': None, 'hand_config': False, 'generated_stale': True,
                     'update_conf': {'dc_eximconfig_configtype': 'local', 'dc_other_hostnames': 'vm',
                                     'dc_local_interfaces': '127.0.0.1 ; ::1', 'dc_smarthost': '',
                                     'dc_use_split_config': split, 'dc_localdelivery': 'mail_spool'}}


def test_unsplit_as_the_role_leaves_it(root):
    write(root / 'etc/exim4/update-exim4.conf.conf', UPDATE_CONF % 'false')
    template = root / 'etc/exim4/exim4.conf.template'
    write(template, with_options(template.read_text()))
    write(root / 'etc/exim4/exim4.conf.localmacros', '# the host\'s own\nMY_MACRO = 1\n'
          '# BEGIN sendclean.mta.smtp_relay\n%s\n# END sendclean.mta.smtp_relay\n' % '\n'.join(MACROS))
    state = exim4_state(str(root), None)
    assert (state['transport_current'], state['macros']) == (True, MACROS)


def test_split_as_the_role_leaves_it_and_after_an_upgrade_changed_the_stock_file(root):
    write(root / 'etc/exim4/update-exim4.conf.conf', UPDATE_CONF % 'true')
    stock = root / 'etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost'
    write(root / 'etc/exim4/conf.d/transport/30_exim4-config_remote_smtp_smarthost.rul', with_options(stock.read_text()))
    write(root / 'etc/exim4/conf.d/main/000_localmacros', '# BEGIN sendclean.mta.smtp_relay\n# END sendclean.mta.smtp_relay\n')
    state = exim4_state(str(root), None)
    assert (state['transport_current'], state['macros']) == (True, [])
    write(stock, stock.read_text().replace('  multi_domain\n', '  multi_domain\n  max_rcpt = 50\n'))
    assert exim4_state(str(root), None)['transport_current'] is False


def test_a_host_without_exim4_files(tmp_path):
    state = exim4_state(str(tmp_path), None)
    assert (state['split'], state['update_conf'], state['transport_current'], state['macros']) == (False, {}, False, None)


@pytest.mark.parametrize('text, expected', [
    ("dc_smarthost='relay.example::587'\n", {'dc_smarthost': 'relay.example::587'}),
    ('dc_smarthost="relay.example::587" # a comment\n', {'dc_smarthost': 'relay.example::587'}),
    ("dc_readhost=''\n#dc_smarthost='commented'\n", {'dc_readhost': ''}),
    ('', {}),
])
def test_parse_update_conf(text, expected):
    assert parse_update_conf(text) == expected


def test_a_macro_block_without_its_end_is_none():
    assert macro_block('# BEGIN sendclean.mta.smtp_relay\nX = 1\n') is None


def test_the_canonical_name_is_the_resolver_s(monkeypatch):
    answers = {'smtp.example.test': [(2, 1, 6, 'mta-a.example.test', ('192.0.2.1', 0))]}

    def getaddrinfo(name, *dummy):
        if name not in answers:
            raise _exim4_state.socket.gaierror('no such name')
        return answers[name]

    monkeypatch.setattr(_exim4_state.socket, 'getaddrinfo', getaddrinfo)
    assert canonical_name('smtp.example.test') == 'mta-a.example.test'
    assert canonical_name('unknown.example.test') == 'unknown.example.test'


def test_a_hand_written_exim4_conf_is_reported(root):
    write(root / 'etc/exim4/exim4.conf', '# the host\'s own\n')
    assert exim4_state(str(root), None)['hand_config'] is True


def test_the_generated_configuration_is_stale_when_older_than_a_file_the_role_writes(root):
    """update-exim4.conf failed (rc 1) after the role wrote its files: the old configuration stays in use, and the
    next run must build it again, not find the files converged."""
    write(root / 'etc/exim4/update-exim4.conf.conf', UPDATE_CONF % 'false')
    (root / 'var/lib/exim4').mkdir(parents=True)
    generated = root / 'var/lib/exim4/config.autogenerated'
    write(generated, '# built\n')
    sources = [str(root / 'etc/exim4/update-exim4.conf.conf'), str(root / 'etc/exim4/exim4.conf.localmacros')]
    os.utime(str(generated), (2000000000, 2000000000))
    assert generated_stale(str(generated), sources) is False  # a missing source (no local macros) counts for nothing
    assert exim4_state(str(root), None)['generated_stale'] is False
    os.utime(sources[0], (2000000100, 2000000100))
    assert generated_stale(str(generated), sources) is True
    assert exim4_state(str(root), None)['generated_stale'] is True
    assert generated_stale(str(root / 'missing'), []) is True


def test_a_mailname_written_after_the_last_build_makes_it_stale(root):
    """A run killed between writing /etc/mailname and update-exim4.conf: exim's qualify_domain comes from the build."""
    write(root / 'etc/exim4/update-exim4.conf.conf', UPDATE_CONF % 'false')
    (root / 'var/lib/exim4').mkdir(parents=True)
    generated = root / 'var/lib/exim4/config.autogenerated'
    write(generated, '# built\n')
    os.utime(str(root / 'etc/exim4/update-exim4.conf.conf'), (2000000000, 2000000000))
    os.utime(str(generated), (2000000000, 2000000000))
    assert exim4_state(str(root), None)['generated_stale'] is False
    write(root / 'etc/mailname', 'example.test\n')
    os.utime(str(root / 'etc/mailname'), (2000000100, 2000000100))
    assert exim4_state(str(root), None)['generated_stale'] is True
