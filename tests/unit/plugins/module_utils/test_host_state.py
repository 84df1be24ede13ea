# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's files, Postfix and packages are now: file_state, postfix_state (with a stand-in postconf script, and
the real one where Postfix is installed), service_enabled, package_state and os_family, on their own and
through the sendclean_host_identity module."""

import glob
import grp
import hashlib
import json
import os
import pwd
import subprocess

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils import _host_state
from ansible_collections.sendclean.mta.plugins.module_utils._host_state import (
    file_state, master_overrides, os_family, package_state, postfix_state, service_enabled, service_running,
)
from ansible_collections.sendclean.mta.plugins.modules import sendclean_relay_facts

MISSING = {'exists': False, 'checksum': None, 'mode': None, 'owner': None, 'group': None}


def module_for_test():
    with patch_module_args({}):
        return AnsibleModule(argument_spec={})


@pytest.fixture
def module():
    return module_for_test()


def write(path, text, mode=None):
    with open(str(path), 'w') as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(str(path), mode)
    return str(path)


def run_module(capsys, tmp_path, expect_failure=False, **args):
    """sendclean_relay_facts over the configuration root ``tmp_path/root`` (the stand-in Postfix's, see below)."""
    with patch_module_args(dict({'config_root': str(tmp_path / 'root'), 'packages': []}, **args)):
        with pytest.raises(SystemExit) as caught:
            sendclean_relay_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert (caught.value.code == 1) is expect_failure, result
    return result


def expected(path, text, mode):
    return {'exists': True, 'checksum': hashlib.sha1(text.encode('utf-8')).hexdigest(), 'mode': mode,
            'owner': pwd.getpwuid(os.getuid()).pw_name, 'group': grp.getgrgid(os.getgid()).gr_name}


# --- file_state ---

@pytest.mark.parametrize('file_mode, shown', [(0o640, '0640'), (0o600, '0600'), (0o4755, '4755')])
def test_file_state_of_a_real_file(module, tmp_path, file_mode, shown):
    text = 'relayhost = [relay.example.org]:587\n'
    path = write(tmp_path / 'main.cf', text, file_mode)
    assert file_state(module, path) == expected(path, text, shown)


def test_file_state_of_a_directory_has_no_checksum(module, tmp_path):
    os.chmod(str(tmp_path), 0o750)
    state = file_state(module, str(tmp_path))
    assert (state['exists'], state['checksum'], state['mode']) == (True, None, '0750')


def test_file_state_of_a_missing_path(module, tmp_path):
    assert file_state(module, str(tmp_path / 'missing')) == MISSING
    assert file_state(module, str(tmp_path / 'missing' / 'below')) == MISSING


# --- postfix_state ---

# A stand-in postconf: Postfix 3.7.11's defaults of a few parameters (an unknown one warns, as postconf does), and
# main.cf's settings as "name = value" lines.
POSTCONF = '''#!/bin/sh
if [ "$1" = -d ]; then
  shift
  for name in "$@"; do
    case $name in
      mail_version) echo "mail_version = 3.7.11" ;;
      default_database_type) echo "default_database_type = hash" ;;
      inet_interfaces) echo "inet_interfaces = all" ;;
      relayhost) echo "relayhost =" ;;
      soft_bounce) echo "soft_bounce = no" ;;
      *) echo "postconf: warning: $name: unknown parameter" >&2 ;;
    esac
  done
elif [ "$*" = "-c %(config_dir)s -n" ]; then
  sed -n 's/^\\([a-z_]*\\) *= */\\1 = /p' %(config_dir)s/main.cf
else
  echo "unexpected arguments: $*" >&2; exit 2
fi
'''
POSTFIX = '''#!/bin/sh
case "$*" in
  "status"|"-c %(config_dir)s status") exit %(status_rc)d ;;
  *) echo "unexpected arguments: $*" >&2; exit 2 ;;
esac
'''
NOT_RUN = {'running': None, 'enabled': None}


@pytest.fixture
def postfix(tmp_path):
    """A stand-in Postfix: ``bin/postconf`` and ``bin/postfix`` scripts and a configuration directory ``etc``."""
    bin_dir, config_dir = tmp_path / 'bin', tmp_path / 'root' / 'etc' / 'postfix'
    bin_dir.mkdir()
    config_dir.mkdir(parents=True)

    def install(status_rc=0, postconf=POSTCONF):
        values = {'config_dir': str(config_dir), 'status_rc': status_rc}
        write(bin_dir / 'postfix', POSTFIX % values, 0o755)
        return write(bin_dir / 'postconf', postconf % values, 0o755)
    return {'install': install, 'config_dir': str(config_dir), 'main_cf': str(config_dir / 'main.cf')}


def test_postfix_state_without_postconf(module, tmp_path):
    assert postfix_state(module, str(tmp_path / 'no' / 'postconf'), str(tmp_path), True) == dict(
        NOT_RUN, installed=False, version=None, default_database_type=None, inet_interfaces=None, settings=None,
        explicit=None, client_overrides=[])


def test_postfix_state_gives_version_and_map_type_without_a_main_cf_or_status(module, postfix):
    assert postfix_state(module, postfix['install'](), postfix['config_dir'], False, ['relayhost']) == dict(
        NOT_RUN, installed=True, version='3.7.11', default_database_type='hash', inet_interfaces=None, settings=None,
        explicit=None, client_overrides=[])


def test_postfix_state_gives_the_settings_of_main_cf_else_the_defaults(module, postfix):
    write(postfix['main_cf'], '# relay\nrelayhost = [relay.example.test]:587\nmaillog_file=/var/log/postfix.log\n')
    state = postfix_state(module, postfix['install'](), postfix['config_dir'], False,
                          ['relayhost', 'soft_bounce', 'tls_required_enable'])
    assert state['settings'] == {'relayhost': '[relay.example.test]:587', 'soft_bounce': 'no',
                                 'maillog_file': '/var/log/postfix.log'}
    assert state['explicit'] == ['relayhost']  # of the keys asked about; soft_bounce is Postfix's default
    assert state['inet_interfaces'] == 'all'  # Postfix's default: main.cf does not set it


@pytest.mark.parametrize('status_rc, running', [(0, True), (1, False)])
def test_postfix_state_gives_inet_interfaces_of_the_main_cf_and_whether_postfix_runs(module, postfix, status_rc, running):
    write(postfix['main_cf'], 'inet_interfaces = loopback-only\n')
    state = postfix_state(module, postfix['install'](status_rc), postfix['config_dir'], True)
    assert (state['inet_interfaces'], state['running'], state['settings']) == (
        'loopback-only', running, {'inet_interfaces': 'loopback-only'})
    assert state['enabled'] is service_enabled(module, 'postfix')


def test_postfix_state_asks_status_without_a_config_dir(module, postfix):
    state = postfix_state(module, postfix['install'](), None, True)
    assert (state['inet_interfaces'], state['running']) == (None, True)


@pytest.mark.skipif(not os.path.exists('/usr/sbin/postconf'), reason='needs Postfix installed')
def test_postfix_state_of_the_real_postconf(module, tmp_path):
    write(tmp_path / 'main.cf', 'relayhost = [relay.example.test]:587\nsoft_bounce=yes\n')
    state = postfix_state(module, '/usr/sbin/postconf', str(tmp_path), False, ['relayhost', 'soft_bounce', 'defer_transports'])
    assert state['version'] and state['default_database_type']
    assert {'relayhost': '[relay.example.test]:587', 'soft_bounce': 'yes',
            'defer_transports': ''}.items() <= state['settings'].items()


def test_the_module_reports_postfix(capsys, tmp_path, postfix):
    write(postfix['main_cf'], 'inet_interfaces = loopback-only\n')
    result = run_module(capsys, tmp_path, postconf=postfix['install'](), service_status=True)
    assert result['relay_facts']['postfix'] == {
        'installed': True, 'version': '3.7.11', 'default_database_type': 'hash', 'inet_interfaces': 'loopback-only',
        'running': True, 'enabled': service_enabled(module_for_test(), 'postfix'),
        # main.cf's relay keys, else Postfix's defaults (of those the stand-in knows)
        'settings': {'inet_interfaces': 'loopback-only', 'relayhost': '', 'soft_bounce': 'no'},
        'explicit': ['inet_interfaces'], 'client_overrides': []}
    missing = run_module(capsys, tmp_path, postconf=str(tmp_path / 'no-postconf'))
    assert missing['relay_facts']['postfix']['installed'] is False


def test_a_failing_postconf_fails_the_module_naming_the_command(capsys, tmp_path, postfix):
    postconf = postfix['install'](postconf='#!/bin/sh\necho "postconf: fatal: broken" >&2\nexit 1\n')
    result = run_module(capsys, tmp_path, expect_failure=True, postconf=postconf)
    assert result['failed']
    assert '%s -d mail_version default_database_type inet_interfaces' % postconf in result['msg']
    assert 'rc 1' in result['msg'] and 'postconf: fatal: broken' in result['msg']


# --- master.cf's -o settings of the SMTP client ---

# Debian 12's master.cf, the lines that matter: services, comments, continuation lines.
DEBIAN_MASTER_CF = '''\
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd
#submission inet n       -       y       -       -       smtpd
#  -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       y       60      1       pickup
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
#       -o smtp_helo_timeout=5 -o smtp_connect_timeout=5
bsmtp     unix  -       n       n       -       -       pipe
  flags=Fq. user=bsmtp argv=/usr/lib/bsmtp/bsmtp -t$nexthop -f$sender $recipient
'''


def test_master_cf_as_debian_ships_it_overrides_no_client_setting(tmp_path):
    write(tmp_path / 'master.cf', DEBIAN_MASTER_CF)
    assert master_overrides(str(tmp_path / 'master.cf'), 'smtp_') == []
    assert master_overrides(str(tmp_path / 'missing.cf'), 'smtp_') == []


@pytest.mark.parametrize('lines, found', [
    ('smtp      unix  -       -       y       -       -       smtp\n  -o smtp_sasl_auth_soft_bounce=no\n',
     [('smtp/unix', 'smtp_sasl_auth_soft_bounce', 'no')]),
    ('relay unix - - y - - smtp -o smtp_tls_security_level=none -o syslog_name=x\n',
     [('relay/unix', 'smtp_tls_security_level', 'none')]),
    ('relay unix - - y - - smtp\n  -o { smtp_tls_CAfile = /etc/ssl/my ca.pem }\n  -o smtp_tls_wrappermode=yes\n',
     [('relay/unix', 'smtp_tls_CAfile', '/etc/ssl/my ca.pem'), ('relay/unix', 'smtp_tls_wrappermode', 'yes')]),
    ('out unix - - y - - smtp -osmtp_sasl_auth_enable=no\n', [('out/unix', 'smtp_sasl_auth_enable', 'no')]),
    # Not the SMTP client, a comment, not an smtp_ setting:
    ('submission inet n - y - - smtpd\n  -o smtp_sasl_auth_soft_bounce=no\n', []),
    ('smtp unix - - y - - smtp\n#  -o smtp_sasl_auth_soft_bounce=no\n', []),
    ('smtp unix - - y - - smtp -o soft_bounce=no\n', []),
])
def test_master_overrides_of_the_smtp_client(tmp_path, lines, found):
    write(tmp_path / 'master.cf', DEBIAN_MASTER_CF + lines)
    assert [(item['service'], item['name'], item['value'])
            for item in master_overrides(str(tmp_path / 'master.cf'), 'smtp_')] == found


def test_postfix_state_reports_the_client_overrides_of_master_cf(module, postfix):
    write(os.path.join(postfix['config_dir'], 'master.cf'), 'smtp unix - - y - - smtp -o smtp_sasl_auth_soft_bounce=no\n')
    assert postfix_state(module, postfix['install'](), postfix['config_dir'], False)['client_overrides'] == [
        {'service': 'smtp/unix', 'name': 'smtp_sasl_auth_soft_bounce', 'value': 'no'}]


# --- whether Postfix starts at boot ---

def test_service_enabled_as_systemd_or_the_runlevel_links_say(module):
    if os.path.isdir('/run/systemd/system'):
        expected = subprocess.run(['systemctl', 'is-enabled', 'postfix'], capture_output=True, check=False).returncode == 0
    else:
        expected = bool(glob.glob('/etc/rc[2-5].d/S[0-9][0-9]postfix'))
    assert service_enabled(module, 'postfix') is expected
    assert service_enabled(module, 'no-such-service-sendclean') is False


# --- packages ---

def test_package_state_reports_each_package_from_the_package_database(module):
    if module.get_bin_path('dpkg-query'):
        listed = subprocess.run(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Status}\n', 'coreutils'],
                                capture_output=True, text=True, check=False).stdout
    elif module.get_bin_path('rpm'):
        listed = 'coreutils installed' if subprocess.run(['rpm', '-q', 'coreutils'], check=False).returncode == 0 else ''
    else:
        pytest.skip('needs dpkg-query or rpm')
    assert package_state(module, ['coreutils', 'no-such-package-sendclean']) == {
        'coreutils': listed.strip() == 'coreutils installed', 'no-such-package-sendclean': False}
    assert package_state(module, []) == {}


PACKAGE_TOOL = '''#!/bin/sh
echo "$*" > %(log)s
%(output)s
exit %(rc)d
'''


@pytest.mark.parametrize('tool, output, rc', [
    ('dpkg-query', 'printf "postfix installed\\nlibsasl2-modules config-files\\n"', 1),
    ('rpm', 'printf "postfix installed\\npackage libsasl2-modules is not installed\\n"', 1),
])
def test_package_state_with_one_run_of_the_package_tool(tmp_path, monkeypatch, tool, output, rc):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    write(bin_dir / tool, PACKAGE_TOOL % {'log': tmp_path / 'argv', 'output': output, 'rc': rc}, 0o755)
    monkeypatch.setenv('PATH', str(bin_dir))
    with patch_module_args({}):
        module = AnsibleModule(argument_spec={})
    assert package_state(module, ['postfix', 'libsasl2-modules', 'ca-certificates']) == {
        'postfix': True, 'libsasl2-modules': False, 'ca-certificates': False}
    argv = (tmp_path / 'argv').read_text()
    assert argv.endswith(' postfix libsasl2-modules ca-certificates\n')
    assert ('${Package} ${db:Status-Status}' in argv) is (tool == 'dpkg-query')


# --- the OS family ---

def test_gather_os_family_names_this_host_s_family_as_setup_does(capsys, tmp_path, module):
    gathered = DistributionFactCollector().collect(module=module)['os_family']
    assert gathered and run_module(capsys, tmp_path, gather_os_family=True)['relay_facts']['os_family'] == gathered


def test_without_gather_os_family_there_is_none(capsys, tmp_path):
    assert run_module(capsys, tmp_path)['relay_facts']['os_family'] is None


class OsRelease(object):
    """The distro library's view of an /etc/os-release with these ID, ID_LIKE and NAME."""

    def __init__(self, os_id, like, name):
        self.id, self.like, self.name = (lambda: os_id), (lambda: like), (lambda: name)


@pytest.mark.parametrize('os_id, like, name, family', [
    ('debian', '', 'Debian GNU/Linux', 'Debian'),
    ('ubuntu', 'debian', 'Ubuntu', 'Debian'),
    ('rocky', 'rhel centos fedora', 'Rocky Linux', 'RedHat'),
    ('fedora', '', 'Fedora Linux', 'RedHat'),
    ('amzn', 'fedora', 'Amazon Linux', 'RedHat'),
    ('alpine', '', 'Alpine Linux', 'Alpine Linux'),
    ('', '', '', 'unknown'),
])
def test_the_os_family_of_an_os_release(monkeypatch, os_id, like, name, family):
    monkeypatch.setattr(_host_state, 'distro', OsRelease(os_id, like, name))
    assert os_family() == family


# --- whether a service runs without systemd: its init script's pid file ---

@pytest.mark.skipif(os.path.isdir('/run/systemd/system'), reason='systemd answers on this host')
def test_service_running_by_the_pid_file(module, tmp_path):
    alive, dead, empty = tmp_path / 'alive.pid', tmp_path / 'dead.pid', tmp_path / 'empty.pid'
    write(alive, '%d\n' % os.getpid())
    write(dead, '%d\n' % (2 ** 22 + 1))  # above the kernel's largest pid_max: no such process
    write(empty, '')
    assert service_running(module, 'nullmailer', [str(tmp_path / 'missing.pid'), str(alive)]) is True
    assert service_running(module, 'nullmailer', [str(dead), str(empty), str(tmp_path / 'missing.pid')]) is False
