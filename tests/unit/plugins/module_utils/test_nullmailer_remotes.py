# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nullmailer's remotes lines: read as nullmailer's own parser reads them, written so that it reads back every
value exactly, and what Debian's postinst would break refused."""

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._nullmailer_remotes import (
    bad_keys, key_of, parse, parse_lines, quote, refused, render, split, unsafe,
)

KEY = 'relay.example.test smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'


@pytest.mark.parametrize('line, arguments', [
    ('relay smtp --port=587', ['relay', 'smtp', '--port=587']),
    ("  relay   --pass='a b'  ", ['relay', '--pass=a b']),
    ('relay --pass="a\\"b"', ['relay', '--pass=a"b']),
    ('relay --pass=a\\ b', ['relay', '--pass=a b']),
    # nullmailer's quirk: the character after an escape is taken unexamined, so the shell's '\'' goes wrong there.
    ("relay --pass='a'\\''b'", ['relay', "--pass=a''b"]),
    ("relay --pass='unterminated", ['relay', '--pass=unterminated']),
])
def test_split_reads_as_nullmailer_does(line, arguments):
    assert split(line) == arguments


@pytest.mark.parametrize('value', ['Abc123xyz0', "it's", 'say "hi"', 'back\\slash', "'", "''", '"', '\\', '',
                                   "a'\"\\'b", 'two  blanks', 'tab\there', '#hash', 's3cret:with:colons'])
def test_a_quoted_value_reads_back_exactly(value):
    assert split('relay smtp --pass=' + quote(value)) == ['relay', 'smtp', '--pass=' + value]


def test_plain_values_are_written_as_they_are():
    assert quote('smtp94454398') == 'smtp94454398'
    assert quote('/etc/ssl/certs/ca-certificates.crt') == '/etc/ssl/certs/ca-certificates.crt'


def test_render_then_parse_gives_the_same_lines():
    lines = [(KEY, 'smtp1', "it's \"quoted\""), ('backup.example.test smtp --port=465 --ssl', 'smtp2', 'Pw2')]
    assert parse_lines(render(lines)) == lines


def test_parse_takes_the_credentials_out_of_the_key_in_any_order_and_either_spelling():
    text = ('# a comment\n\nrelay.example.test smtp pass=Pw1 --port=587 --user=smtp1 --starttls\n'
            'other.example.test smtp\n')
    assert parse(text) == {'relay.example.test smtp --port=587 --starttls': ('smtp1', 'Pw1'),
                           'other.example.test smtp': (None, None)}


def test_the_key_is_canonical():
    assert key_of(split("relay  smtp  '--port=587'")) == 'relay smtp --port=587'


@pytest.mark.parametrize('value', ['s3cret:with:colons', 'two  blanks', 'one blank', 'tab\there', 'back\\slash',
                                   'nul\x00', 'new\nline'])
def test_what_debian_s_postinst_would_break_is_unsafe(value):
    assert unsafe(value).startswith("which Debian's nullmailer package breaks apart")


@pytest.mark.parametrize('value', ['Abc123xyz0', "it's", '/etc/ssl/certs/ca-certificates.crt', 'a"b'])
def test_the_rest_is_safe(value):
    assert unsafe(value) is None


def test_refused_names_the_user_and_what_without_the_password():
    found = refused([(KEY, 'smtp1', 'Pw:1'), (KEY, 'smtp2', 'Fine2'), (KEY, 'bad name', 'Fine3')])
    assert found == [
        'the password of smtp1 (it holds a ":", a blank or a backslash, which Debian\'s nullmailer package breaks apart '
        'when it rewrites remotes at its next upgrade or reconfigure)',
        'the name of bad name (it holds a ":", a blank or a backslash, which Debian\'s nullmailer package breaks apart '
        'when it rewrites remotes at its next upgrade or reconfigure)']
    assert not any('Pw:1' in text for text in found)


@pytest.mark.parametrize('key', ['', '# comment', 'relay  smtp', "relay '--port=587'", 'relay --user=smtp1',
                                 'relay pass=x'])
def test_keys_nullmailer_would_not_read_back_as_given_are_bad(key):
    assert bad_keys([KEY, key]).startswith('entries has relay lines nullmailer would not read back as given')


def test_a_key_as_the_role_writes_it_is_good():
    assert bad_keys([KEY]) is None
