# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The smarthost transport with the role's options, on the files Debian 12 and 13 ship: the split configuration's
transport file (what the role's .rul is derived from) and the unsplit template (which the role edits in place)."""

import os

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import (
    BEGIN, END, TransportNotFound, block, foreign_options, with_options, without_options,
)

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
SPLIT_FILES = ['exim4-debian12/30_exim4-config_remote_smtp_smarthost', 'exim4-debian13/30_exim4-config_remote_smtp_smarthost']
TEMPLATE = 'exim4-debian13/exim4.conf.template'


def shipped(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def transport_body(text, name):
    """The lines of transport ``name`` in ``text``, up to the next instance or section."""
    lines = text.splitlines()
    start = lines.index(name + ':')
    body = []
    for line in lines[start + 1:]:
        if line.startswith('begin ') or (line.endswith(':') and line[:-1].replace('_', '').isalnum()):
            break
        body.append(line)
    return body


@pytest.mark.parametrize('name', SPLIT_FILES + [TEMPLATE])
def test_the_block_follows_the_smarthost_driver_line(name):
    text = shipped(name)
    edited = with_options(text)
    body = transport_body(edited, 'remote_smtp_smarthost')
    driver = body.index('  driver = smtp')
    assert body[driver + 1:driver + 5] == [line.rstrip('\n') for line in block()]
    assert body[driver + 2:driver + 4] == ['  hosts_require_auth = *', '  hosts_nopass_tls = *']
    # Only lines were added, all of them the block's.
    assert len(edited.splitlines()) == len(text.splitlines()) + len(block())
    assert without_options(edited) == text


def test_only_the_smarthost_transport_changes_in_the_template():
    """The template has other smtp transports (remote_smtp): they keep Debian's text."""
    text = shipped(TEMPLATE)
    edited = with_options(text)
    assert transport_body(edited, 'remote_smtp') == transport_body(text, 'remote_smtp')
    assert edited.count(BEGIN) == 1 and edited.count(END) == 1


@pytest.mark.parametrize('name', SPLIT_FILES + [TEMPLATE])
def test_deriving_again_changes_nothing(name):
    once = with_options(shipped(name))
    assert with_options(once) == once


def test_a_block_left_elsewhere_is_moved_back_under_the_driver_line():
    text = shipped(SPLIT_FILES[0])
    stray = text + ''.join(block())
    assert with_options(stray) == with_options(text)


@pytest.mark.parametrize('name', SPLIT_FILES + [TEMPLATE])
def test_the_shipped_transport_sets_neither_option(name):
    assert foreign_options(shipped(name)) == []
    assert foreign_options(with_options(shipped(name))) == []


def test_an_option_the_host_set_itself_is_reported():
    text = shipped(SPLIT_FILES[0]).replace('  multi_domain\n', '  multi_domain\n  hosts_nopass_tls = relay.example\n')
    assert foreign_options(text) == ['hosts_nopass_tls']


@pytest.mark.parametrize('text', [
    '',
    'remote_smtp:\n  driver = smtp\n',  # no smarthost transport
    'remote_smtp_smarthost:\n  driver = lmtp\n',  # not the smtp driver
    'remote_smtp_smarthost:\n  debug_print = "x"\nother:\n  driver = smtp\n',  # the driver line is another's
])
def test_a_configuration_debian_does_not_ship_is_refused(text):
    with pytest.raises(TransportNotFound):
        with_options(text)
