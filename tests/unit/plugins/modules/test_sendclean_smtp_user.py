# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_smtp_user module run against the simulator: what it says about limits that cannot both apply.

The reconcile and provisioning logic is tested without a module in tests/unit/plugins/module_utils/.
"""

import pytest

SWAPPED = ('hourly_limit 20000 is above total_limit 100: the user can never send more than 100 messages in all, so the '
           'hourly limit never applies; check that the two are not swapped')


@pytest.fixture
def run_user(run_module, simulator):
    """One check-mode run (nothing is written) against the simulator; returns the result and its warnings but the
    plain-http one every run against the simulator has."""
    def run(expect_failure=False, **args):
        result, warnings = run_module('sendclean_smtp_user', expect_failure, owner_id=simulator.owner_id,
                                      token=simulator.token, api_url=simulator.api_url, _ansible_check_mode=True, **args)
        return result, [warning for warning in warnings if 'plain http' not in warning]
    return run


@pytest.mark.parametrize('hourly_limit, warned', [(20000, True), (100, False), (10, False)])
def test_an_hourly_limit_above_the_total_limit_is_named_with_both(run_user, hourly_limit, warned):
    result, warnings = run_user(total_limit=100, hourly_limit=hourly_limit)
    assert result['operations'] == ['add'], 'a warning, not a refusal'
    assert warnings == ([SWAPPED] if warned else [])


def test_each_element_of_users_is_warned_about_alone(run_user, simulator, tmp_path):
    users = [{'key': 'web1', 'total_limit': 100, 'hourly_limit': 20000},
             {'key': 'web2', 'total_limit': 10000, 'hourly_limit': 500},
             {'key': 'web3', 'total_limit': 100, 'hourly_limit': 20000},
             {'key': 'web4', 'total_limit': 0, 'hourly_limit': 20000}]  # refused: its own message says why
    result, warnings = run_user(expect_failure=True, users=users, registry=str(tmp_path / 'registry.json'))
    assert warnings == ['users[0] (web1): ' + SWAPPED, 'users[2] (web3): ' + SWAPPED]
    assert 'users[3] (web4): total_limit must be a whole number of at least 1' in result['smtp_user_results']['web4']['msg']
    assert simulator.requests()['writes'] == 0
