# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_relay_nullmailer action as a task of the role runs it: a real Task, Templar and local connection,
the role's variables from its defaults."""

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_nullmailer import ActionModule

MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
USERS = {'default': {'name': 'smtp10000001', 'state': 'present', 'password_changed': True, 'changes': ['created']}}
RELAY_LINE = 'us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'


def relay_facts(mtas=('nullmailer',)):
    """What sendclean_relay_facts reports of a host without the role's files."""
    return {'files': {'etc/nullmailer/remotes': MISSING}, 'mtas': list(mtas), 'packages': {'ca-certificates': True},
            'nullmailer': {'installed': 'nullmailer' in mtas, 'remotes': {}, 'remote_lines': 0, 'trigger': 'fifo',
                           'running': True, 'enabled': True}}


@pytest.fixture
def run_action(relay_task_vars):
    """``run_action(args, **variables)``: the action's result for host web1 of Debian."""
    def run(args, **variables):
        task_vars = relay_task_vars(**dict({'ansible_facts': {'os_family': 'Debian'}}, **variables))
        task = Task.load({'action': 'sendclean.mta.sendclean_relay_nullmailer', 'args': args})
        loader = DataLoader()
        play_context = PlayContext()
        action = ActionModule(task=task, connection=connection_loader.get('local', play_context), play_context=play_context,
                              loader=loader, templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
        return action.run(task_vars=task_vars)
    return run


def test_the_plan_of_a_nullmailer_host(run_action):
    result = run_action({'host': relay_facts(), 'users': USERS})
    planned = result['nullmailer_plan']
    assert (result['changed'], result.get('failed', False), 'msg' in result) == (False, False, False)
    assert planned['credentials']['entries'] == {RELAY_LINE: 'default'}
    assert planned['credentials']['write'] is True and planned['credentials']['rotated'] == ['default']
    assert planned['restart_applies'] is True


def test_the_role_variables_are_templated(run_action):
    result = run_action({'host': relay_facts(), 'users': USERS}, smtp_relay_port='{{ 400 + 65 }}')
    assert list(result['nullmailer_plan']['credentials']['entries']) == [
        'us1-mta1.sendclean.net smtp --port=465 --ssl --x509cafile=/etc/ssl/certs/ca-certificates.crt']


def test_replacing_postfix_is_said(run_action):
    result = run_action({'host': relay_facts(mtas=['postfix']), 'users': USERS}, smtp_relay_mta='nullmailer')
    assert result['msg'] == 'nullmailer replaces postfix on this host (smtp_relay_mta=nullmailer).'
    assert result['nullmailer_plan']['packages'] == ['nullmailer']


def test_senders_are_refused_for_nullmailer(run_action):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action({'host': relay_facts(), 'users': USERS}, smtp_relay_senders=[{'sender': 'orders@shop.example'}])
    assert caught.value.message.startswith('smtp_relay_senders is refused with nullmailer (smtp_relay_mta=auto)')
