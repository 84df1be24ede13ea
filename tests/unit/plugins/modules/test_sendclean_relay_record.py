# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_relay_record module run on real files: mark, record, the first writer wins, the import from an
earlier version's sasl_passwd, check mode, and never a password in what it returns.

The record's logic without a module is in tests/unit/plugins/module_utils/test_host_record.py, and the module as the
role's SendClean step runs it in tests/unit/plugins/plugin_utils/test_relay_users.py.
"""

import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible.module_utils.ansible_release import __version__ as ansible_version

from ansible_collections.sendclean.mta.plugins.module_utils._host_record import MARKER_LIMITS
from ansible_collections.sendclean.mta.plugins.modules import sendclean_relay_record

ORDERS = 'orders@shop.example'
SECRETS = ('first-secret-pw', 'second-secret-pw', 'legacy-secret-pw')
# ansible-core 2.21 returns a module's invocation (where no_log masks the passwords) only when asked, as
# ANSIBLE_INJECT_INVOCATION does; earlier versions always return it and refuse the option.
INVOCATION = {'_ansible_inject_invocation': True} if tuple(map(int, ansible_version.split('.')[:2])) >= (2, 21) else {}


@pytest.fixture
def record(tmp_path):
    return str(tmp_path / 'root' / 'etc' / 'sendclean' / 'smtp_relay.json')


def run_module(capsys, record, check_mode=False, expect_failure=False, **args):
    """The module's result, with its invocation; neither it nor its output holds a password given to it."""
    module_args = dict({'path': record}, **dict(INVOCATION, **args))
    if check_mode:
        module_args['_ansible_check_mode'] = True
    with patch_module_args(module_args):
        with pytest.raises(SystemExit) as caught:
            sendclean_relay_record.main()
    output = capsys.readouterr().out
    result = json.loads(output)
    assert (caught.value.code == 1) is expect_failure, result
    assert not any(secret in output for secret in SECRETS), output
    return result


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def on_disk(record):
    with open(record) as handle:
        return json.load(handle)


def raw(record):
    with open(record, 'rb') as handle:
        return handle.read()


def recorded(name, password=None):
    return {'name': name, 'password': password}


def users_on_disk(record):
    """The users of the record on disk, without their issue times."""
    return dict((slot, recorded(user['name'], user['password'])) for slot, user in on_disk(record)['users'].items())


def test_mark_on_a_new_host_writes_a_private_record_in_a_private_directory(capsys, record):
    result = run_module(capsys, record, mark={'default': 300, ORDERS: 50})
    assert result['changed'] and result['conflicts'] == {}
    assert (mode(os.path.dirname(record)), mode(record)) == (0o700, 0o600)
    markers = result['markers']
    assert sorted(markers) == ['default', ORDERS]
    assert (markers['default']['hourly_limit'], markers[ORDERS]['hourly_limit']) == (300, 50)
    assert all(MARKER_LIMITS[0] <= marker['total_limit'] <= MARKER_LIMITS[1] for marker in markers.values())
    assert on_disk(record) == {'version': 2, 'users': {}, 'pending': markers}


def test_a_second_mark_keeps_the_marker_and_changes_nothing(capsys, record):
    first = run_module(capsys, record, mark={'default': 300})
    before = raw(record)
    again = run_module(capsys, record, mark={'default': 999}, expected={'default': None})
    assert (again['changed'], again['markers'], again['conflicts']) == (False, first['markers'], {})
    assert raw(record) == before


def test_recording_users_and_passwords_returns_and_logs_no_password(capsys, record):
    marked = run_module(capsys, record, mark={'default': 300})
    result = run_module(capsys, record, names={'default': 'smtp1', ORDERS: 'smtp2'},
                        passwords={'default': SECRETS[0], ORDERS: SECRETS[1]}, expected={'default': None})
    assert result['changed'] and result['conflicts'] == {} and result['markers'] == {}
    assert users_on_disk(record) == {'default': recorded('smtp1', SECRETS[0]), ORDERS: recorded('smtp2', SECRETS[1])}
    # The user keeps the limits it was created with until the role sets its own: the marker stays with it.
    assert on_disk(record)['users']['default']['marker'] == marked['markers']['default']
    assert on_disk(record)['users'][ORDERS]['marker'] is None and on_disk(record)['pending'] == {}
    assert result['invocation']['module_args']['passwords'] == {'default': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER',
                                                                ORDERS: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}
    assert result['invocation']['module_args']['names'] == {'default': 'smtp1', ORDERS: 'smtp2'}
    assert mode(record) == 0o600


def test_the_same_users_again_change_nothing(capsys, record):
    run_module(capsys, record, names={'default': 'smtp1'}, passwords={'default': SECRETS[0]})
    before = raw(record)
    again = run_module(capsys, record, names={'default': 'smtp1'}, expected={'default': 'smtp1'})
    assert again['changed'] is False and raw(record) == before


def test_a_slot_another_run_recorded_first_is_left_as_it_wrote_it(capsys, record):
    run_module(capsys, record, names={'default': 'smtp1'}, passwords={'default': SECRETS[0]})
    before = raw(record)
    for name in ('smtp2', 'smtp1'):  # its own user, or the same one given another password by the other run
        result = run_module(capsys, record, names={'default': name}, passwords={'default': SECRETS[1]},
                            expected={'default': None})
        assert (result['changed'], result['conflicts']) == (False, {'default': 'smtp1'})
        assert raw(record) == before


def test_a_slot_another_run_recorded_since_is_marked_and_its_create_loses(capsys, record):
    run_module(capsys, record, names={'default': 'smtp1'}, passwords={'default': SECRETS[0]})
    assert list(run_module(capsys, record, mark={'default': 300})['markers']) == ['default']
    lost = run_module(capsys, record, names={'default': 'smtp2'}, passwords={'default': SECRETS[1]},
                      expected={'default': None})
    assert lost['conflicts'] == {'default': 'smtp1'}
    assert users_on_disk(record) == {'default': recorded('smtp1', SECRETS[0])}


def test_a_host_configured_by_an_earlier_version_has_its_passwords_imported_once(capsys, record, tmp_path):
    os.makedirs(os.path.dirname(record), 0o700)
    with open(record, 'w') as handle:
        json.dump({'version': 1, 'users': {'default': 'smtp5'}}, handle)
    sasl_passwd = str(tmp_path / 'sasl_passwd')
    with open(sasl_passwd, 'w') as handle:
        handle.write('[relay.example.org]:587 smtp5:%s\n' % SECRETS[2])
    result = run_module(capsys, record, sasl_passwd=sasl_passwd, names={'default': 'smtp5'},
                        expected={'default': 'smtp5'})
    assert result['changed'] and result['conflicts'] == {}
    assert result.get('warnings', []) == []
    assert on_disk(record)['version'] == 2
    assert users_on_disk(record) == {'default': recorded('smtp5', SECRETS[2])}
    assert run_module(capsys, record, sasl_passwd=sasl_passwd, names={'default': 'smtp5'},
                      expected={'default': 'smtp5'})['changed'] is False


def test_forget_and_drop_passwords(capsys, record):
    run_module(capsys, record, names={'default': 'smtp1', ORDERS: 'smtp2'},
               passwords={'default': SECRETS[0], ORDERS: SECRETS[1]})
    result = run_module(capsys, record, forget=[ORDERS], drop_passwords=['default'])
    assert result['changed']
    assert users_on_disk(record) == {'default': recorded('smtp1')}


@pytest.mark.parametrize('args', [{'mark': {'default': 300}},
                                  {'names': {'default': 'smtp1'}, 'passwords': {'default': SECRETS[0]}}],
                         ids=['mark', 'names'])
def test_check_mode_on_a_new_host_reports_the_change_and_writes_nothing(capsys, record, args):
    result = run_module(capsys, record, check_mode=True, **args)
    assert result['changed'] is True
    assert not os.path.exists(os.path.dirname(record))


def test_check_mode_on_a_host_with_a_record_writes_nothing(capsys, record):
    run_module(capsys, record, mark={'default': 300})
    before, entries = raw(record), sorted(os.listdir(os.path.dirname(record)))
    result = run_module(capsys, record, check_mode=True, names={'default': 'smtp1'}, passwords={'default': SECRETS[0]},
                        expected={'default': None})
    assert result['changed'] is True
    assert raw(record) == before and sorted(os.listdir(os.path.dirname(record))) == entries


@pytest.mark.parametrize('content', ['{not json', '[]', '{"users": {"default": 7}}'])
def test_a_damaged_record_fails_the_module_naming_the_file_and_is_left_as_it_is(capsys, record, content):
    os.makedirs(os.path.dirname(record), 0o700)
    with open(record, 'w') as handle:
        handle.write(content)
    result = run_module(capsys, record, expect_failure=True, names={'default': 'smtp1'},
                        passwords={'default': SECRETS[0]})
    assert result['failed'] and record in result['msg'] and 'restore it from a backup' in result['msg']
    with open(record) as handle:
        assert handle.read() == content
