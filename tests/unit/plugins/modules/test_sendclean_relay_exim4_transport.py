# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sendclean_relay_exim4_transport on the files Debian 12 and 13 ship: the .rul of the split configuration derived
from the stock file, the unsplit template edited in place, written only when it differs, nothing in check mode, and
the diff of what changes."""

import json
import os
import shutil
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils._exim4_transport import BEGIN, with_options
from ansible_collections.sendclean.mta.plugins.modules import sendclean_relay_exim4_transport

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures')
STOCK = '30_exim4-config_remote_smtp_smarthost'


def run_module(capsys, expect_failure=False, check_mode=False, diff=False, **args):
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises(SystemExit) as caught:
            sendclean_relay_exim4_transport.main()
    result = json.loads(capsys.readouterr().out)
    assert (caught.value.code == 1) is expect_failure, result
    return result


@pytest.fixture(params=['exim4-debian12', 'exim4-debian13'])
def split(request, tmp_path):
    """The arguments for the split configuration's stock transport file of a release, copied to a scratch conf.d."""
    shutil.copy(os.path.join(FIXTURES, request.param, STOCK), str(tmp_path / STOCK))
    return {'source': str(tmp_path / STOCK), 'path': str(tmp_path / (STOCK + '.rul'))}


@pytest.fixture
def template(tmp_path):
    """The arguments for Debian 13's unsplit template, copied to a scratch directory: edited in place."""
    shutil.copy(os.path.join(FIXTURES, 'exim4-debian13', 'exim4.conf.template'), str(tmp_path / 'exim4.conf.template'))
    return {'source': str(tmp_path / 'exim4.conf.template'), 'path': str(tmp_path / 'exim4.conf.template')}


def text_of(path):
    with open(path) as handle:
        return handle.read()


def test_the_rul_is_the_stock_file_with_the_options_and_the_stock_file_stays(capsys, split):
    stock = text_of(split['source'])
    result = run_module(capsys, **split)
    assert result['changed'] is True
    assert result['transport'] == {'path': split['path'], 'state': 'present', 'written': True, 'removed': False}
    assert text_of(split['path']) == with_options(stock)
    assert text_of(split['source']) == stock  # the conffile as the package ships it
    assert stat.S_IMODE(os.stat(split['path']).st_mode) == 0o644
    assert run_module(capsys, **split)['changed'] is False


def test_an_upgrade_that_changes_the_stock_file_reaches_the_rul(capsys, split):
    run_module(capsys, **split)
    stock = text_of(split['source']).replace('  multi_domain\n', '  multi_domain\n  max_rcpt = 50\n')
    with open(split['source'], 'w') as handle:
        handle.write(stock)
    assert run_module(capsys, **split)['changed'] is True
    assert text_of(split['path']) == with_options(stock)


def test_the_template_is_edited_in_place_once(capsys, template):
    shipped = text_of(template['source'])
    assert run_module(capsys, **template)['changed'] is True
    edited = text_of(template['path'])
    assert edited == with_options(shipped) and edited.count(BEGIN) == 1
    assert run_module(capsys, **template)['changed'] is False
    assert text_of(template['path']) == edited


def test_check_mode_writes_nothing_and_the_diff_shows_the_block(capsys, template):
    shipped = text_of(template['source'])
    result = run_module(capsys, check_mode=True, diff=True, **template)
    assert (result['changed'], result['transport']['written']) == (True, True)
    assert text_of(template['path']) == shipped
    assert (result['diff']['before'], result['diff']['after']) == (shipped, with_options(shipped))


def test_absent_removes_the_rul_and_takes_the_block_out_of_the_template(capsys, split, template):
    run_module(capsys, **split)
    assert run_module(capsys, state='absent', **split)['transport']['removed'] is True
    assert not os.path.exists(split['path'])
    shipped = text_of(template['source'])
    run_module(capsys, **template)
    assert run_module(capsys, state='absent', **template)['changed'] is True
    assert text_of(template['path']) == shipped
    assert run_module(capsys, state='absent', **template)['changed'] is False


def test_a_missing_source_says_to_install_exim4(capsys, tmp_path):
    result = run_module(capsys, expect_failure=True, source=str(tmp_path / STOCK), path=str(tmp_path / 'x.rul'))
    assert result['msg'] == '%s is missing: install exim4 (its configuration comes with exim4-config) first.' % (
        tmp_path / STOCK)


def test_a_transport_that_sets_an_option_itself_is_refused_writing_nothing(capsys, split):
    with open(split['source']) as handle:
        stock = handle.read()
    with open(split['source'], 'w') as handle:
        handle.write(stock.replace('  driver = smtp\n', '  driver = smtp\n  hosts_nopass_tls = *\n'))
    result = run_module(capsys, expect_failure=True, **split)
    assert 'already sets hosts_nopass_tls itself' in result['msg']
    assert not os.path.exists(split['path'])


def test_a_source_without_the_smarthost_transport_is_refused(capsys, tmp_path):
    (tmp_path / 'exim4.conf.template').write_text('begin transports\n\nremote_smtp:\n  driver = smtp\n')
    args = {'source': str(tmp_path / 'exim4.conf.template'), 'path': str(tmp_path / 'exim4.conf.template')}
    result = run_module(capsys, expect_failure=True, **args)
    assert 'is not the exim4 configuration Debian ships' in result['msg']
