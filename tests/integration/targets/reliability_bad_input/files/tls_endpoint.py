# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SendClean MTA collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Endpoints that misbehave below HTTP, for the bad-input target.

Two TLS listeners, one with a self-signed (untrusted) certificate, one with an expired certificate of a CA written
beside it: each only completes (or fails) the handshake and hangs up, so a client that validates certificates never
gets as far as an HTTP request. And a silent listener that accepts connections but never answers (a hung service).

Usage: python tls_endpoint.py WORKDIR -- writes WORKDIR/ports.json ({"untrusted": port, "expired": port, "silent": port}) and
WORKDIR/ca.pem, then serves until WORKDIR/stop exists or 300 seconds have passed.
"""

import datetime
import ipaddress
import json
import os
import socket
import ssl
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LIFETIME_SECONDS = 300
DAY = datetime.timedelta(days=1)


def certificate(subject, issuer_name, signing_key, public_key, not_before, not_after, is_ca):
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               # Python 3.13's default context is strict (VERIFY_X509_STRICT) and wants both key identifiers.
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False))
    if is_ca:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if not is_ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                                        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def write_pair(workdir, stem, cert, key):
    paths = (os.path.join(workdir, stem + '.crt'), os.path.join(workdir, stem + '.key'))
    with open(paths[0], 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


def listener(cert_path, key_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    sock.settimeout(0.5)

    def serve():
        while True:
            try:
                conn, dummy = sock.accept()
            except socket.timeout:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(2)
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]


def silent_listener():
    """A socket that lets clients connect (the kernel completes the handshake) and never reads or answers."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(64)
    return sock


def main(workdir):
    os.makedirs(workdir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, self_key, expired_key = (ec.generate_private_key(ec.SECP256R1()) for dummy in range(3))
    ca_cert = certificate('bad-input-ca', 'bad-input-ca', ca_key, ca_key.public_key(), now - DAY, now + DAY, True)
    with open(os.path.join(workdir, 'ca.pem'), 'wb') as handle:
        handle.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    self_signed = certificate('127.0.0.1', '127.0.0.1', self_key, self_key.public_key(), now - DAY, now + DAY, False)
    expired = certificate('127.0.0.1', 'bad-input-ca', ca_key, expired_key.public_key(), now - 3 * DAY, now - DAY, False)
    ports = {'untrusted': listener(*write_pair(workdir, 'self-signed', self_signed, self_key)),
             'expired': listener(*write_pair(workdir, 'expired', expired, expired_key))}
    silent = silent_listener()
    ports['silent'] = silent.getsockname()[1]
    temp_path = os.path.join(workdir, '.ports.json')
    with open(temp_path, 'w') as handle:
        json.dump(ports, handle)
    os.rename(temp_path, os.path.join(workdir, 'ports.json'))
    deadline = time.monotonic() + LIFETIME_SECONDS
    while time.monotonic() < deadline and not os.path.exists(os.path.join(workdir, 'stop')):
        time.sleep(0.2)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
