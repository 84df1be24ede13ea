# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""exim4's passwd.client: read as exim's lsearch and Debian's authenticators read it, written so that every
login and password reads back exactly, and what a line cannot hold refused."""

import os

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_passwd_client import (
    bad_keys, parse, refused, render,
)

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def test_the_file_debian_ships_holds_no_credentials():
    with open(os.path.join(FIXTURES, 'exim4-debian13', 'passwd.client')) as handle:
        assert parse(handle.read()) == {}


@pytest.mark.parametrize('password', ['3HZAPdVWkn', 's3cret:with:colons', 'a b', '^caret$dollar', '#hash'])
def test_every_login_and_password_reads_back(password):
    lines = [('relay.example.test', 'smtp43425006', password), ('canon.example.test', 'smtp43425006', password)]
    assert parse(render(lines)) == {'relay.example.test': ('smtp43425006', password),
                                    'canon.example.test': ('smtp43425006', password)}
    assert refused(lines) == []


@pytest.mark.parametrize('line, expected', [
    ('relay.example.test:smtp1:pw', {'relay.example.test': ('smtp1', 'pw')}),
    ('relay.example.test: smtp1:pw  ', {'relay.example.test': ('smtp1', 'pw')}),  # lsearch drops the blanks
    ('*.example.test:smtp1:pw', {'*.example.test': ('smtp1', 'pw')}),
    ('### target.mail.server.example:login:password', {}),
    ('relay.example.test:no-password', {}),
    ('', {}),
])
def test_a_line_as_exim_reads_it(line, expected):
    assert parse(line + '\n') == expected


def test_keys_exim_cannot_look_up_are_refused():
    assert bad_keys(['relay.example.test', 'canon.example.test']) is None
    message = bad_keys(['', 'relay example', 'host:587', '#relay', '"relay"'])
    for key in ('relay example', 'host:587', '#relay', '"relay"'):
        assert repr(key) in message


def test_what_a_line_cannot_hold_is_refused_without_the_password():
    problems = refused([('relay', 'smtp:1', 'pw'), ('relay', 'smtp2', 'line\nbreak'), ('relay', 'smtp3', 'ends ')])
    assert problems == ['the name of smtp:1 (it holds a colon, a line break or surrounding blanks)',
                        'the password of smtp2 (it holds a line break or ends with a blank)',
                        'the password of smtp3 (it holds a line break or ends with a blank)']
