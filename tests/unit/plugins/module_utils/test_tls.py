# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS against the simulator served over HTTPS with certificates from a CA made here.

validate_certs (default true) refuses an untrusted or expired certificate with a clear message and no request
reaching the API; ca_path (or SENDCLEAN_CA_PATH) trusts a private CA; validate_certs=false works and warns.
"""

import datetime
import ipaddress
import json
import os
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sendclean.mta.plugins.module_utils._client import SendCleanClient, SendCleanError
from ansible_collections.sendclean.mta.plugins.modules import sendclean_smtp_info

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'simulator'))

from harness import Simulator  # noqa: E402  pylint: disable=wrong-import-position

x509 = pytest.importorskip('cryptography.x509')
hashes = pytest.importorskip('cryptography.hazmat.primitives.hashes')
serialization = pytest.importorskip('cryptography.hazmat.primitives.serialization')
ec = pytest.importorskip('cryptography.hazmat.primitives.asymmetric.ec')
NameOID = x509.oid.NameOID

ONE_DAY = datetime.timedelta(days=1)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pem(path, data):
    with open(path, 'wb') as handle:
        handle.write(data)
    return str(path)


def make_ca(directory, common_name):
    """A self-signed CA; returns (key, certificate, path of its PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - ONE_DAY).not_valid_after(now + ONE_DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            # Python 3.13's default context is strict (VERIFY_X509_STRICT) and wants both key identifiers.
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert, _write_pem(directory / (common_name + '.pem'), cert.public_bytes(serialization.Encoding.PEM))


def make_server_cert(directory, ca_key, ca_cert, expired=False):
    """A certificate for 127.0.0.1 signed by the CA; returns (certificate path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    validity = (now - 3 * ONE_DAY, now - ONE_DAY) if expired else (now - ONE_DAY, now + ONE_DAY)
    cert = (x509.CertificateBuilder().subject_name(_name('127.0.0.1')).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(validity[0]).not_valid_after(validity[1])
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    stem = 'server-expired' if expired else 'server'
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return (_write_pem(directory / (stem + '.crt'), cert.public_bytes(serialization.Encoding.PEM)),
            _write_pem(directory / (stem + '.key'), key_pem))


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp('pki')
    ca_key, ca_cert, ca_path = make_ca(directory, 'private-ca')
    dummy_key, dummy_cert, other_ca_path = make_ca(directory, 'other-ca')
    cert, key = make_server_cert(directory, ca_key, ca_cert)
    expired_cert, expired_key = make_server_cert(directory, ca_key, ca_cert, expired=True)
    return {'ca': ca_path, 'other_ca': other_ca_path, 'cert': cert, 'key': key,
            'expired_cert': expired_cert, 'expired_key': expired_key}


@pytest.fixture(scope='module')
def https_sim(pki, tmp_path_factory):
    """The simulator over HTTPS with a certificate of the private CA."""
    with Simulator().start(str(tmp_path_factory.mktemp('https-sim')), tls_cert=pki['cert'], tls_key=pki['key'],
                           cafile=pki['ca']) as sim:
        yield sim


@pytest.fixture(scope='module')
def expired_sim(pki, tmp_path_factory):
    """The simulator over HTTPS with an expired certificate of the private CA (admin calls skip verification)."""
    sim = Simulator()
    sim.start(str(tmp_path_factory.mktemp('expired-sim')), tls_cert=pki['expired_cert'], tls_key=pki['expired_key'],
              cafile=pki['ca'])
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def clean(https_sim, monkeypatch):
    """An empty account; no CA bundle from the environment (OpenSSL reads these two, see the last tests)."""
    https_sim.reset()
    for variable in ('SSL_CERT_FILE', 'SSL_CERT_DIR', 'SENDCLEAN_CA_PATH'):
        monkeypatch.delenv(variable, raising=False)


def client(sim, **options):
    return SendCleanClient(sim.owner_id, sim.token, sim.api_url, timeout=5, retries=2, sleep=lambda seconds: None, **options)


def run_info(sim, capsys, **args):
    """Run sendclean_smtp_info in-process; returns its JSON result."""
    module_args = dict({'owner_id': sim.owner_id, 'token': sim.token, 'api_url': sim.api_url}, **args)
    with patch_module_args(module_args):
        with pytest.raises(SystemExit):
            sendclean_smtp_info.main()
    return json.loads(capsys.readouterr().out)


def test_the_simulator_serves_https(https_sim):
    assert https_sim.api_url.startswith('https://127.0.0.1:')


def test_untrusted_certificate_is_refused_by_default_with_a_clear_message(https_sim):
    with pytest.raises(SendCleanError) as caught:
        client(https_sim).list_users()
    message = str(caught.value)
    assert 'TLS certificate of %s is not trusted' % https_sim.api_url in message
    assert 'ca_path' in message
    assert https_sim.token not in message
    # Refused at the handshake: never retried, and no API request reached the service.
    assert https_sim.requests()['total'] == 0


def test_a_certificate_of_another_ca_is_refused(https_sim, pki):
    with pytest.raises(SendCleanError, match='is not trusted'):
        client(https_sim, ca_path=pki['other_ca']).list_users()
    assert https_sim.requests()['total'] == 0


def test_ca_path_trusts_the_private_ca(https_sim, pki):
    https_sim.add_users(2, 10, 1)
    assert len(client(https_sim, ca_path=pki['ca']).list_users()) == 2
    assert https_sim.requests()['counts']['listSmtp'] == 1


def test_validate_certs_false_works(https_sim):
    assert client(https_sim, validate_certs=False).list_users() == []


def test_module_refuses_an_untrusted_certificate(https_sim, capsys):
    result = run_info(https_sim, capsys)
    assert result['failed']
    assert 'is not trusted; set ca_path' in result['msg']
    assert https_sim.token not in json.dumps(result)


def test_module_ca_path_option(https_sim, pki, capsys):
    https_sim.add_users(1, 10, 1)
    result = run_info(https_sim, capsys, ca_path=pki['ca'])
    assert not result.get('failed') and len(result['smtp_users']) == 1
    assert not result.get('warnings')


def test_module_ca_path_from_the_environment(https_sim, pki, capsys, monkeypatch):
    monkeypatch.setenv('SENDCLEAN_CA_PATH', pki['ca'])
    result = run_info(https_sim, capsys)
    assert not result.get('failed') and result['smtp_users'] == []


def test_module_validate_certs_false_works_and_warns(https_sim, capsys):
    result = run_info(https_sim, capsys, validate_certs=False)
    assert not result.get('failed')
    # ansible-core 2.19 may report a warning as a dict carrying the message: look for the text in either form.
    assert any('validate_certs=false' in str(warning) for warning in result['warnings'])


def test_expired_certificate_is_refused(expired_sim, pki):
    with pytest.raises(SendCleanError) as caught:
        client(expired_sim, ca_path=pki['ca']).list_users()
    assert 'TLS certificate of %s' % expired_sim.api_url in str(caught.value)


def test_expired_certificate_message_says_expired(expired_sim, pki):
    with pytest.raises(SendCleanError) as caught:
        client(expired_sim, ca_path=pki['ca']).list_users()
    message = str(caught.value)
    assert 'expired' in message and 'set ca_path' not in message


# OpenSSL reads SSL_CERT_FILE / SSL_CERT_DIR for its default CAs, and such variables are common on corporate machines
# and CI runners: ca_path must be the only trust anchor when given, and validate_certs=false must not verify at all.
def test_ca_path_wins_over_a_ca_bundle_from_the_environment(https_sim, pki, monkeypatch):
    monkeypatch.setenv('SSL_CERT_FILE', pki['other_ca'])
    assert client(https_sim, ca_path=pki['ca']).list_users() == []


def test_a_ca_bundle_from_the_environment_is_not_trusted_beside_ca_path(https_sim, pki, monkeypatch):
    monkeypatch.setenv('SSL_CERT_FILE', pki['ca'])
    with pytest.raises(SendCleanError, match='is not trusted'):
        client(https_sim, ca_path=pki['other_ca']).list_users()


def test_validate_certs_false_wins_over_a_ca_bundle_from_the_environment(https_sim, pki, monkeypatch):
    monkeypatch.setenv('SSL_CERT_FILE', pki['other_ca'])
    assert client(https_sim, validate_certs=False).list_users() == []
