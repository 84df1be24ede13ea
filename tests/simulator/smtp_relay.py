"""Local stand-in for the SendClean SMTP relay, for tests of the smtp_relay role with a real Postfix.

It behaves like the relay the role points Postfix at: STARTTLS is required before anything else, AUTH
(PLAIN or LOGIN) is offered only over TLS and required before MAIL, and each login is checked against
the SendClean simulator (POST <admin>/smtp-auth: the user exists, the password matches, the user is
enabled). Each message is counted against the user's limits (POST <admin>/smtp-send) and refused when
over them (hourly limit: 451, temporary; total limit: 554, permanent). Every login attempt and every
message is appended to a JSON Lines log, so a test can assert "delivered, authenticated as X, over TLS".
Passwords are never logged.

It also makes the test PKI: a CA and a server certificate for a DNS name, with the cryptography package.

    python smtp_relay.py ca --out-dir DIR --dns-name relay.sendclean.test
        writes DIR/ca.crt, DIR/server.crt and DIR/server.key (0600); the CA key is not kept
    python smtp_relay.py serve --cert DIR/server.crt --key DIR/server.key --admin-url URL --log FILE.jsonl
                               [--port 0] [--port-file F] [--pid-file F] [--background] [--server-log F]
        with --background, returns once the relay listens (the port is in --port-file)
    python smtp_relay.py stop --pid-file F
        stops the relay that wrote F (SIGTERM to that one process id)
    python smtp_relay.py probe --port P --cafile DIR/ca.crt --user NAME --password-file FILE
        logs in over STARTTLS as a client would and prints {"auth": "accepted"|"refused", "code": ..., "reply": ...}
        (the password comes from a file, so it never shows in a process list, a command line or an environment)

Needs aiosmtpd (serve) and cryptography (ca); runs on Python 3.8+.
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import ipaddress
import json
import os
import signal
import smtplib
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
import warnings

LISTEN_HOST = "127.0.0.1"
DEFAULT_DNS_NAME = "relay.sendclean.test"
START_TIMEOUT_SECONDS = 15
STOP_TIMEOUT_SECONDS = 10
POLL_SECONDS = 0.05
ADMIN_TIMEOUT_SECONDS = 10
CERT_DAYS = 30
# How a refusal of /_sim/smtp-send becomes an SMTP reply.
SEND_REFUSALS = {
    "hourly limit reached": "451 4.7.1 Hourly sending limit reached, try again later",
    "total limit reached": "554 5.7.1 Total sending limit of this SMTP user reached",
}
TEMPORARY_REFUSAL = "451 4.3.0 %s"
AUTH_UNAVAILABLE = "454 4.7.0 Temporary authentication failure"


def write_private(path, data):
    """Write bytes to path atomically, mode 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# --- test PKI ---

def make_ca(out_dir, dns_name, ip_addresses=()):
    """Write ca.crt, server.crt and server.key for dns_name (and optional IP SANs) into out_dir."""
    # Imported here so that `serve` does not need cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    os.makedirs(out_dir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=CERT_DAYS)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sendclean.mta test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(dns_name)] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(out_dir, name) for name in ("ca.crt", "server.crt", "server.key")}
    with open(paths["ca.crt"], "wb") as stream:
        stream.write(ca_cert.public_bytes(pem))
    with open(paths["server.crt"], "wb") as stream:
        stream.write(server_cert.public_bytes(pem))
    write_private(paths["server.key"], server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


# --- the relay ---

class SimulatorAdmin:
    """The two admin calls of the SendClean simulator the relay needs."""

    def __init__(self, admin_url):
        self.admin_url = admin_url if admin_url.endswith("/") else admin_url + "/"
        # The simulator is local: never route its traffic through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(self, endpoint, body):
        request = urllib.request.Request(self.admin_url + endpoint, data=json.dumps(body).encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=ADMIN_TIMEOUT_SECONDS) as response:
            return json.load(response)

    def smtp_auth(self, username, password):
        return self.post("smtp-auth", {"username": username, "password": password})

    def smtp_send(self, username):
        return self.post("smtp-send", {"username": username})


class EventLog:
    """Appends one JSON object per line; safe to call from several threads."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()

    def write(self, event, **fields):
        record = dict(event=event, time=time.time(), **fields)
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as stream:
                stream.write(line)
                stream.flush()


def tls_details(session):
    """(tls on?, protocol version) of an aiosmtpd session."""
    ssl_info = getattr(session, "ssl", None)
    if not ssl_info:
        return False, None
    ssl_object = ssl_info.get("ssl_object") if isinstance(ssl_info, dict) else None
    return True, ssl_object.version() if ssl_object is not None else None


def decode_login(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class RelayHandler:
    """aiosmtpd handler and authenticator: checks logins and counts messages with the simulator."""

    def __init__(self, admin, log):
        self.admin = admin
        self.log = log

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        # Imported here so that the module (and `ca`) load without aiosmtpd.
        from aiosmtpd.smtp import AuthResult, LoginPassword

        tls_on, dummy = tls_details(session)
        if not isinstance(auth_data, LoginPassword):
            self.log.write("auth", user=None, mechanism=mechanism, ok=False, reason="unsupported mechanism", tls=tls_on)
            return AuthResult(success=False, handled=False)
        username, password = decode_login(auth_data.login), decode_login(auth_data.password)
        try:
            verdict = self.admin.smtp_auth(username, password)
        except (OSError, ValueError) as error:  # URLError is an OSError; a bad JSON reply a ValueError
            self.log.write("auth", user=username, mechanism=mechanism, ok=False, reason="simulator: %s" % error, tls=tls_on)
            return AuthResult(success=False, handled=False, message=AUTH_UNAVAILABLE)
        ok = bool(verdict.get("ok"))
        self.log.write("auth", user=username, mechanism=mechanism, ok=ok, reason=verdict.get("reason"), tls=tls_on)
        return AuthResult(success=ok, handled=False, auth_data=username if ok else None)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # pylint: disable=invalid-name
        """Logs every EHLO (before and after STARTTLS): a client that gives up at the TLS handshake, as one that
        cannot verify the relay's certificate does, shows as an EHLO without TLS followed by no AUTH."""
        tls_on, dummy = tls_details(session)
        session.host_name = hostname  # what aiosmtpd does itself without this hook
        self.log.write("ehlo", name=hostname, tls=tls_on, peer=list(session.peer or ()))
        return responses

    async def handle_DATA(self, server, session, envelope):  # pylint: disable=invalid-name  # aiosmtpd's hook name
        username = session.auth_data if session.authenticated else None
        tls_on, tls_version = tls_details(session)
        content = envelope.original_content or envelope.content or b""
        message = email.message_from_bytes(content if isinstance(content, bytes) else content.encode("utf-8"),
                                           policy=email.policy.compat32)
        record = dict(user=username, tls=tls_on, tls_version=tls_version, peer=list(session.peer or ()),
                      mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), subject=message.get("Subject"),
                      message_id=message.get("Message-ID"), size=len(content))
        if username is None:  # aiosmtpd refuses MAIL before AUTH already; this is a second line of defence
            reply = "530 5.7.0 Authentication required"
        else:
            loop = asyncio.get_running_loop()
            try:
                verdict = await loop.run_in_executor(None, self.admin.smtp_send, username)
            except (OSError, ValueError) as error:
                verdict = {"ok": False, "reason": "simulator: %s" % error}
            if verdict.get("ok"):
                reply = "250 2.0.0 Message accepted for delivery"
            else:
                reason = verdict.get("reason") or "refused"
                reply = SEND_REFUSALS.get(reason, TEMPORARY_REFUSAL % reason)
        self.log.write("message", accepted=reply.startswith("250"), reply=reply, **record)
        return reply


def server_tls_context(cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


async def run_relay(args, ready):
    from aiosmtpd.smtp import SMTP  # pylint: disable=import-error  # only `serve` needs aiosmtpd

    handler = RelayHandler(SimulatorAdmin(args.admin_url), EventLog(args.log))
    context = server_tls_context(args.cert, args.key)
    loop = asyncio.get_running_loop()

    def protocol():
        return SMTP(handler, hostname=args.hostname, tls_context=context, require_starttls=True, auth_required=True,
                    auth_require_tls=True, authenticator=handler.authenticate, loop=loop)

    server = await loop.create_server(protocol, host=args.host, port=args.port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    ready(server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()
    await server.wait_closed()


def announce(args, port):
    """Write the pid and port files (port last: its presence means the relay listens)."""
    if args.pid_file:
        write_private(args.pid_file, ("%d\n" % os.getpid()).encode("ascii"))
    if args.port_file:
        write_private(args.port_file, ("%d\n" % port).encode("ascii"))
    sys.stdout.write("smtp relay listening on %s:%d\n" % (args.host, port))
    sys.stdout.flush()


def serve(args):
    # aiosmtpd 1.4 warns about its own use of a deprecated session attribute on every login.
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
    if not os.path.isabs(args.log):
        args.log = os.path.abspath(args.log)
    if args.background:
        return serve_in_background(args)
    asyncio.run(run_relay(args, lambda port: announce(args, port)))
    return 0


def serve_in_background(args):
    """Fork a detached relay; return 0 once it listens, 1 if it died first."""
    if args.port_file is None or args.pid_file is None:
        raise SystemExit("serve --background needs --port-file and --pid-file")
    for path in (args.port_file, args.pid_file):
        if os.path.exists(path):
            os.unlink(path)  # stale files would point at a dead relay
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)  # pylint: disable=protected-access  # the usual double fork: leave no zombie behind
        log_path = args.server_log or os.devnull
        with open(os.devnull, "rb") as null_in, open(log_path, "ab") as log:
            os.dup2(null_in.fileno(), 0)
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        try:
            asyncio.run(run_relay(args, lambda port: announce(args, port)))
        finally:
            os._exit(0)  # pylint: disable=protected-access
    os.waitpid(child, 0)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if os.path.exists(args.port_file):
            with open(args.port_file, encoding="ascii") as stream:
                sys.stdout.write("smtp relay listening on %s:%s\n" % (args.host, stream.read().strip()))
            return 0
        time.sleep(POLL_SECONDS)
    sys.stderr.write("the relay did not start within %d s; see %s\n" % (START_TIMEOUT_SECONDS, args.server_log or "(no --server-log)"))
    return 1


def stop(args):
    """SIGTERM the process id in --pid-file and wait until it is gone."""
    try:
        with open(args.pid_file, encoding="ascii") as stream:
            pid = int(stream.read().strip())
    except FileNotFoundError:
        sys.stdout.write("no pid file %s: nothing to stop\n" % args.pid_file)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        sys.stdout.write("relay %d was not running\n" % pid)
    else:
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(POLL_SECONDS)
        else:
            sys.stderr.write("relay %d did not stop within %d s\n" % (pid, STOP_TIMEOUT_SECONDS))
            return 1
        sys.stdout.write("relay %d stopped\n" % pid)
    os.unlink(args.pid_file)
    return 0


def probe(args):
    """Log in to a relay over STARTTLS, verifying its certificate, and report whether the login was accepted."""
    with open(args.password_file, encoding="utf-8") as stream:
        password = stream.read().rstrip("\n")
    context = ssl.create_default_context(cafile=args.cafile)
    with smtplib.SMTP(args.host, args.port, timeout=ADMIN_TIMEOUT_SECONDS) as client:
        client.ehlo("probe.sendclean.test")
        # starttls() checks the certificate against the connected host name; the relay listens on an IP address
        # but its certificate names a DNS name, as for Postfix (smtp_tls_secure_cert_match).
        client._host = args.server_name  # pylint: disable=protected-access
        client.starttls(context=context)
        client.ehlo("probe.sendclean.test")
        try:
            code, reply = client.login(args.user, password)
            verdict = "accepted"
        except smtplib.SMTPAuthenticationError as error:
            code, reply, verdict = error.smtp_code, error.smtp_error, "refused"
    sys.stdout.write(json.dumps({"auth": verdict, "code": code, "reply": reply.decode("utf-8", "replace")}) + "\n")
    return 0


def make_ca_command(args):
    paths = make_ca(args.out_dir, args.dns_name, args.ip)
    sys.stdout.write(json.dumps(paths, sort_keys=True) + "\n")
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description="A local SMTP relay (STARTTLS + AUTH) backed by the SendClean simulator.")
    commands = parser.add_subparsers(dest="command", required=True)

    ca = commands.add_parser("ca", help="make a test CA and a server certificate")
    ca.set_defaults(handler=make_ca_command)
    ca.add_argument("--out-dir", required=True, help="where to write ca.crt, server.crt and server.key")
    ca.add_argument("--dns-name", default=DEFAULT_DNS_NAME, help="the server certificate's DNS name")
    ca.add_argument("--ip", action="append", default=[], help="an IP address SAN to add (repeatable)")

    run = commands.add_parser("serve", help="run the relay")
    run.set_defaults(handler=serve)
    run.add_argument("--cert", required=True, help="PEM server certificate presented after STARTTLS")
    run.add_argument("--key", required=True, help="PEM private key of --cert")
    run.add_argument("--admin-url", default=os.environ.get("SENDCLEAN_SIM_ADMIN_URL"),
                     help="the simulator's admin URL (.../_sim/); default $SENDCLEAN_SIM_ADMIN_URL")
    run.add_argument("--log", required=True, help="JSON Lines file of logins and messages (appended)")
    run.add_argument("--host", default=LISTEN_HOST, help="address to listen on")
    run.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    run.add_argument("--hostname", default=DEFAULT_DNS_NAME, help="the name in the greeting and EHLO reply")
    run.add_argument("--port-file", help="write the port here once listening")
    run.add_argument("--pid-file", help="write the relay's process id here")
    run.add_argument("--background", action="store_true", help="detach, and return once listening")
    run.add_argument("--server-log", help="with --background: the relay's own stdout/stderr")

    halt = commands.add_parser("stop", help="stop a relay started with --pid-file")
    halt.set_defaults(handler=stop)
    halt.add_argument("--pid-file", required=True)

    check = commands.add_parser("probe", help="log in to a relay as a client would")
    check.set_defaults(handler=probe)
    check.add_argument("--host", default=LISTEN_HOST)
    check.add_argument("--port", type=int, required=True)
    check.add_argument("--cafile", required=True, help="the CA that signed the relay's certificate")
    check.add_argument("--server-name", default=DEFAULT_DNS_NAME, help="the name the certificate must match")
    check.add_argument("--user", required=True)
    check.add_argument("--password-file", required=True, help="a file holding the password (one line)")

    args = parser.parse_args(argv)
    if args.command == "serve" and not args.admin_url:
        parser.error("serve: give --admin-url or set SENDCLEAN_SIM_ADMIN_URL")
    return args


def main(argv=None):
    args = parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
