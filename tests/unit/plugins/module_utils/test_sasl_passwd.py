# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix's SASL password file: parsed, rendered as the role has always written it, and written private."""

import os
import stat

import pytest

from ansible_collections.sendclean.mta.plugins.module_utils._sasl_passwd import lines_for, parse, read, render, write

RELAY = '[us1-mta1.sendclean.net]:587'


def test_parse_takes_each_line_with_user_and_password():
    text = ('# written by the role\n'
            'orders@shop.example smtp2:pw:with:colons\n'
            '\n'
            'malformed-line-without-credentials\n'
            '@news.example   smtp3:pw3  \n'
            '%s smtp1:pw1\n' % RELAY)
    assert parse(text) == {'orders@shop.example': ('smtp2', 'pw:with:colons'), '@news.example': ('smtp3', 'pw3'),
                           RELAY: ('smtp1', 'pw1')}


def test_render_writes_the_lines_in_order_as_the_role_did():
    # What templates/sasl_passwd.j2 of 0.3 gave: each sender's line, then the relay's.
    assert render([('orders@shop.example', 'smtp2', 'pw2'), ('@news.example', 'smtp3', 'pw3'), (RELAY, 'smtp1', 'pw1')]) == (
        'orders@shop.example smtp2:pw2\n@news.example smtp3:pw3\n[us1-mta1.sendclean.net]:587 smtp1:pw1\n')


def test_render_and_parse_agree():
    lines = [('orders@shop.example', 'smtp2', 'p:w2'), (RELAY, 'smtp1', 'pw1')]
    assert parse(render(lines)) == dict((key, (user, password)) for key, user, password in lines)


def test_lines_for_the_entries_from_the_record():
    entries = {'orders@shop.example': 'orders@shop.example', '@news.example': '@news.example', RELAY: 'default'}
    credentials = {'default': ('smtp1', 'pw1'), 'orders@shop.example': ('smtp2', 'pw2'), 'other': ('smtp9', 'pw9')}
    assert lines_for(entries, credentials) == ([('orders@shop.example', 'smtp2', 'pw2'), (RELAY, 'smtp1', 'pw1')],
                                               ['@news.example'])


def test_read_a_missing_file_is_none(tmp_path):
    assert read(str(tmp_path / 'missing')) is None
    (tmp_path / 'sasl_passwd').write_text('x')
    assert read(str(tmp_path / 'sasl_passwd')) == 'x'


def test_write_replaces_the_file_and_it_is_never_readable_by_others(tmp_path, monkeypatch):
    path = tmp_path / 'sasl_passwd'
    path.write_text('old\n')
    os.chmod(str(path), 0o644)
    modes_before_rename = []
    rename = os.rename

    def watched_rename(source, destination):
        modes_before_rename.append(stat.S_IMODE(os.stat(source).st_mode))
        rename(source, destination)

    monkeypatch.setattr(os, 'rename', watched_rename)
    old_umask = os.umask(0)
    try:
        write(str(path), '%s smtp1:pw1\n' % RELAY)
    finally:
        os.umask(old_umask)
    assert modes_before_rename == [0o600]
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert path.read_text() == '%s smtp1:pw1\n' % RELAY
    assert os.listdir(str(tmp_path)) == ['sasl_passwd']


def test_write_leaves_no_temporary_file_when_it_fails(tmp_path):
    path = tmp_path / 'sasl_passwd'
    path.mkdir()  # the rename over a directory fails
    (path / 'inside').write_text('x')
    with pytest.raises(OSError):
        write(str(path), '%s smtp1:pw1\n' % RELAY)
    assert sorted(os.listdir(str(tmp_path))) == ['sasl_passwd']
