# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sendclean_relay_plan action as a task of the role runs it: a real Task, Templar and local connection, the
role's variables from its defaults; the plan of the MTA the input check chose."""

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar, trust_as_template

from ansible_collections.sendclean.mta.plugins.action.sendclean_relay_plan import ActionModule
from ansible_collections.sendclean.mta.plugins.module_utils._postfix_layout import MAIN_CF, SASL_PASSWD

MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}
USERS = {'default': {'name': 'smtp10000001', 'state': 'present', 'password_changed': True, 'changes': ['created']}}
NULLMAILER_LINE = 'us1-mta1.sendclean.net smtp --port=587 --starttls --x509cafile=/etc/ssl/certs/ca-certificates.crt'


def relay_facts(installed=True, os_family=None):
    """What sendclean_relay_facts reports of a host without the role's files."""
    return {
        'files': {MAIN_CF: MISSING, SASL_PASSWD: MISSING},
        'credentials': {},
        'postfix': {'installed': installed, 'version': '3.7.11' if installed else None,
                    'default_database_type': 'hash' if installed else None, 'inet_interfaces': None, 'running': None,
                    'enabled': None, 'settings': None},
        'packages': {'postfix': installed},
        'os_family': os_family,
    }


def nullmailer_facts(mtas=('nullmailer',)):
    """What sendclean_relay_facts reports of a nullmailer host without the role's files."""
    return {'files': {'etc/nullmailer/remotes': MISSING}, 'mtas': list(mtas), 'packages': {'ca-certificates': True},
            'nullmailer': {'installed': 'nullmailer' in mtas, 'remotes': {}, 'remote_lines': 0, 'trigger': 'fifo',
                           'running': True, 'enabled': True}}


@pytest.fixture
def run_action(relay_task_vars):
    """``run_action(args, check_mode=False, **variables)``: the action's result for host web1 (Debian unless the
    variables say otherwise)."""
    def run(args, check_mode=False, **variables):
        task_vars = relay_task_vars(**dict({'ansible_facts': {'os_family': 'Debian'}}, **variables))
        task = Task.load({'action': 'sendclean.mta.sendclean_relay_plan', 'args': args})
        task.check_mode = check_mode
        loader = DataLoader()
        play_context = PlayContext()
        action = ActionModule(task=task, connection=connection_loader.get('local', play_context), play_context=play_context,
                              loader=loader, templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
        return action.run(task_vars=task_vars)
    return run


def test_the_plan_of_a_new_host(run_action):
    result = run_action({'host': relay_facts(), 'users': USERS})
    planned = result['relay_plan']
    assert (result['changed'], result.get('failed', False)) == (False, False)
    assert (planned['mta'], planned['steps_needed']) == ('postfix', True)
    assert planned['main_cf']['write'] is True
    assert planned['main_cf']['content'].startswith('# Ansible managed\n#\n# Postfix null client')
    assert 'relayhost = [us1-mta1.sendclean.net]:587' in planned['main_cf']['content'].splitlines()
    assert planned['credentials']['entries'] == {'[us1-mta1.sendclean.net]:587': 'default'}
    assert planned['credentials']['rotated'] == ['default']
    assert planned['packages'] == ['libsasl2-modules', 'ca-certificates']


def test_the_role_variables_are_templated_and_the_play_names_the_managed_line(run_action):
    result = run_action({'host': relay_facts(), 'users': USERS}, smtp_relay_port='{{ 400 + 65 }}',
                        ansible_managed=trust_as_template('Managed by {{ "Ansible" }} for {{ inventory_hostname }}'))
    content = result['relay_plan']['main_cf']['content'].splitlines()
    assert content[0] == '# Managed by Ansible for web1'
    assert 'smtp_tls_wrappermode = yes' in content


def test_check_mode_without_postfix_plans_a_hash_map(run_action):
    result = run_action({'host': relay_facts(installed=False), 'users': USERS}, check_mode=True)
    assert result['relay_plan']['credentials']['map_type'] == 'hash'
    assert result.get('failed', False) is False


def test_a_host_problem_is_in_the_plan_for_the_role_to_report(run_action):
    """Before an install a host without Postfix has a problem the install settles: the task does not fail."""
    result = run_action({'host': relay_facts(installed=False), 'users': USERS})
    assert result.get('failed', False) is False
    [problem] = result['relay_plan']['problems']
    assert problem.startswith('The map type of the credentials is unknown: set smtp_relay_map_type')


def test_wrong_role_input_fails_naming_each_variable(run_action):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action({'host': relay_facts(), 'users': USERS}, smtp_relay_hourly_limit=-1, smtp_relay_port='abc')
    assert caught.value.message.startswith('smtp_relay_hourly_limit must be a whole number of at least 1, not -1')
    assert 'smtp_relay_port must be a whole number from 1 to 65535, not "abc"' in caught.value.message


def test_the_os_family_comes_from_the_host_facts_when_the_play_gathered_none(run_action):
    result = run_action({'host': relay_facts(os_family='RedHat'), 'users': USERS}, ansible_facts={})
    assert result['relay_plan']['os_family'] == 'RedHat'
    assert result['relay_plan']['ca_file'] == '/etc/pki/tls/certs/ca-bundle.crt'


def test_both_options_are_required(run_action):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action({'host': relay_facts()})
    assert 'users' in caught.value.message


def test_replacing_another_mta_is_said(run_action):
    result = run_action({'host': dict(relay_facts(installed=False), mtas=['nullmailer']), 'users': USERS},
                        smtp_relay_mta='postfix')
    assert result['msg'] == 'postfix replaces nullmailer on this host (smtp_relay_mta=postfix).'
    assert result['_ansible_verbose_always'] is True


def test_keeping_the_host_s_postfix_says_nothing(run_action):
    result = run_action({'host': dict(relay_facts(), mtas=['postfix']), 'users': USERS})
    assert 'msg' not in result
    assert result['relay_plan']['stop_replaced'] == []


@pytest.mark.parametrize('mta, facts, variables, stopped', [
    ('postfix', dict(relay_facts(installed=False), mtas=['exim4']), {}, ['exim4']),
    ('nullmailer', nullmailer_facts(mtas=['postfix']), {}, ['postfix']),
    ('nullmailer', nullmailer_facts(mtas=['postfix']), {'smtp_relay_manage_service': False}, []),
    ('nullmailer', nullmailer_facts(mtas=['postfix']), {'smtp_relay_config_root': '/srv/image'}, []),
])
def test_the_mta_an_install_removes_is_stopped_first(run_action, mta, facts, variables, stopped):
    """Under a policy-rc.d that forbids invoke-rc.d, removing Postfix left its master running (and exim4's daemon,
    the other way round, on 127.0.0.1:25), measured in Debian 12 and 13 roots: the role stops it first, where it
    manages the service on the host."""
    result = run_action({'host': facts, 'users': USERS}, smtp_relay_mta=mta, **variables)
    assert result['relay_plan']['stop_replaced'] == stopped


def test_the_plan_of_a_nullmailer_host(run_action):
    result = run_action({'host': nullmailer_facts(), 'users': USERS})
    planned = result['relay_plan']
    assert (result['changed'], result.get('failed', False), 'msg' in result) == (False, False, False)
    assert (planned['mta'], planned['steps_needed']) == ('nullmailer', True)
    assert planned['credentials']['entries'] == {NULLMAILER_LINE: 'default'}
    assert planned['credentials']['write'] is True and planned['credentials']['rotated'] == ['default']
    assert planned['restart_applies'] is True


def test_the_role_variables_are_templated_for_nullmailer(run_action):
    result = run_action({'host': nullmailer_facts(), 'users': USERS}, smtp_relay_port='{{ 400 + 65 }}')
    assert list(result['relay_plan']['credentials']['entries']) == [
        'us1-mta1.sendclean.net smtp --port=465 --ssl --x509cafile=/etc/ssl/certs/ca-certificates.crt']


def test_nullmailer_replacing_postfix_is_said(run_action):
    result = run_action({'host': nullmailer_facts(mtas=['postfix']), 'users': USERS}, smtp_relay_mta='nullmailer')
    assert result['msg'] == 'nullmailer replaces postfix on this host (smtp_relay_mta=nullmailer).'
    assert result['relay_plan']['packages'] == ['nullmailer']


def test_senders_are_refused_for_nullmailer(run_action):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action({'host': nullmailer_facts(), 'users': USERS}, smtp_relay_senders=[{'sender': 'orders@shop.example'}])
    assert caught.value.message.startswith('smtp_relay_senders is refused with nullmailer (smtp_relay_mta=auto)')


def exim4_facts(mtas=('exim4',), canonical='us1-mta1.sendclean.net'):
    """What sendclean_relay_facts reports of an exim4 host as Debian's package leaves it (local delivery only)."""
    return {'files': {'etc/exim4/passwd.client': MISSING}, 'mtas': list(mtas), 'packages': {'ca-certificates': True},
            'exim4': {'split': False, 'update_conf': {'dc_eximconfig_configtype': 'local', 'dc_smarthost': ''},
                      'macros': None, 'transport_current': False, 'foreign_options': [], 'hand_config': False,
                      'generated_stale': False, 'relay_canonical_name': canonical, 'passwd_client': {},
                      'running': True, 'enabled': True} if 'exim4' in mtas else None}


def test_the_plan_of_an_exim4_host(run_action):
    result = run_action({'host': exim4_facts(canonical='mta-a.sendclean.net'), 'users': USERS})
    planned = result['relay_plan']
    assert (result['changed'], result.get('failed', False), 'msg' in result) == (False, False, False)
    assert (planned['mta'], planned['steps_needed'], planned['update_needed']) == ('exim4', True, True)
    assert planned['update_conf']['settings'] == [{'key': 'dc_eximconfig_configtype', 'value': 'smarthost'},
                                                  {'key': 'dc_smarthost', 'value': 'us1-mta1.sendclean.net::587'}]
    assert planned['credentials']['entries'] == {'us1-mta1.sendclean.net': 'default', 'mta-a.sendclean.net': 'default'}
    assert planned['credentials']['format'] == 'exim4_passwd_client'
    assert planned['transport']['write'] is True and planned['reload_applies'] is True


def test_exim4_replacing_postfix_is_said(run_action):
    result = run_action({'host': exim4_facts(mtas=['postfix']), 'users': USERS}, smtp_relay_mta='exim4')
    assert result['msg'] == 'exim4 replaces postfix on this host (smtp_relay_mta=exim4).'
    assert result['relay_plan']['packages'] == ['exim4-daemon-light']


def test_senders_are_refused_for_exim4(run_action):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action({'host': exim4_facts(), 'users': USERS}, smtp_relay_senders=[{'sender': 'orders@shop.example'}])
    assert caught.value.message.startswith('smtp_relay_senders is refused with exim4 (smtp_relay_mta=auto)')
