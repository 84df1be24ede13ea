# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A private CA and the simulator served over HTTPS with its certificate, for the TLS and proxy tests."""

import datetime
import ipaddress
import os
import sys

import pytest

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


@pytest.fixture(scope='session')
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
