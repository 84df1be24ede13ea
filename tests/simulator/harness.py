"""Run the SendClean simulator for tests: start and stop it as a subprocess, and talk to its admin API.

As a library (with this directory on sys.path):

    with Simulator().start(workdir) as sim:
        sim.configure(fault_rate=0.5)
        ... POST to sim.api_url + "settings/addSmtp" ...
        assert sim.requests()["counts"]["addSmtp"] == 1

As a command line tool:

    python tests/simulator/harness.py run --workdir DIR [--config-out FILE] [--env-out FILE] -- COMMAND ARGS...
        start the simulator, run COMMAND with SENDCLEAN_API_URL, SENDCLEAN_OWNER_ID, SENDCLEAN_TOKEN and
        SENDCLEAN_SIM_ADMIN_URL in its environment, stop the simulator and exit with COMMAND's exit code;
        --config-out writes an ansible-test integration config (YAML), --env-out a shell file of exports.
    python tests/simulator/harness.py serve --workdir DIR
        start the simulator, print its URLs and credentials, and serve until Ctrl-C.

Standard library only; runs on Python 3.8+.
"""

import argparse
import json
import os
import shlex
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

from sendclean_simulator import write_file_atomically

SIMULATOR_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sendclean_simulator.py")
DEFAULT_OWNER_ID = "28779705"
DEFAULT_TOKEN = "SimulatorToken0123456789"
LISTEN_HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 10
POLL_SECONDS = 0.05
ADMIN_TIMEOUT_SECONDS = 60  # bulk creation of many users persists a large state file
LOG_TAIL_CHARS = 2000


class SimulatorError(RuntimeError):
    """The simulator did not start, or refused an admin request."""


class Simulator:
    """One simulator subprocess: start() it (it returns self, usable in a with block), stop() it."""

    def __init__(self):
        self.process = None
        self.port = None
        self.owner_id = None
        self.token = None
        self.log_path = None
        self._scheme = "http"
        self._start_args = None
        self._log = None
        self._opener = None

    def start(self, workdir, owner_id=DEFAULT_OWNER_ID, token=DEFAULT_TOKEN, seed=0, state_file=None,
              tls_cert=None, tls_key=None, config=None, cafile=None, verbose=False, port=0):
        """Start the simulator and wait until it listens.

        state_file defaults to WORKDIR/state.json; config is the initial runtime config (a dict, see /_sim/config);
        cafile verifies an HTTPS simulator's certificate for admin calls (default: tls_cert, fine when self-signed);
        port 0 picks a free port. The log goes to WORKDIR/simulator.log.
        """
        if self.process is not None:
            raise SimulatorError("the simulator is already running")
        os.makedirs(workdir, exist_ok=True)
        state_file = state_file or os.path.join(workdir, "state.json")
        self._start_args = dict(workdir=workdir, owner_id=owner_id, token=token, seed=seed, state_file=state_file,
                                tls_cert=tls_cert, tls_key=tls_key, config=config, cafile=cafile, verbose=verbose)
        self.owner_id, self.token = owner_id, token
        self._scheme = "https" if tls_cert else "http"
        self._opener = admin_opener(ssl.create_default_context(cafile=cafile or tls_cert) if tls_cert else None)
        port_file = os.path.join(workdir, "simulator.port")
        if os.path.exists(port_file):
            os.unlink(port_file)  # a stale file would point at a dead server
        command = [sys.executable, SIMULATOR_SCRIPT, "--host", LISTEN_HOST, "--port", str(port), "--port-file", port_file,
                   "--state", state_file, "--owner-id", owner_id, "--token", token, "--seed", str(seed), "--exit-with-parent"]
        if tls_cert:
            command += ["--tls-cert", tls_cert, "--tls-key", tls_key]
        if config:
            command += ["--config", json.dumps(config)]
        if verbose:
            command.append("--verbose")
        self.log_path = os.path.join(workdir, "simulator.log")
        self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with  # open until stop()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port(port_file)
        return self

    def _wait_for_port(self, port_file):
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if os.path.exists(port_file):  # written atomically, so present means complete
                with open(port_file, encoding="utf-8") as stream:
                    return int(stream.read())
            time.sleep(POLL_SECONDS)
        self.stop()
        with open(self.log_path, encoding="utf-8", errors="replace") as stream:
            log_tail = stream.read()[-LOG_TAIL_CHARS:]
        raise SimulatorError("the simulator did not start; end of %s:\n%s" % (self.log_path, log_tail))

    def stop(self):
        """Stop the simulator (SIGTERM, then SIGKILL if it hangs); return its exit code, or None if it was not running."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        exit_code = self.process.returncode
        self.process = None
        self._log.close()
        return exit_code

    def restart(self):
        """Stop and start again on the same port with the same state file and start() arguments.

        Users survive (they are in the state file); counters and runtime config changes do not, as in a real restart.
        """
        port = self.port
        self.stop()
        return self.start(port=port, **self._start_args)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        return "%s://%s:%d/" % (self._scheme, LISTEN_HOST, self.port)

    @property
    def api_url(self):
        return self.base_url + "v1.0/"

    @property
    def admin_url(self):
        return self.base_url + "_sim/"

    def environment(self):
        """The variables a command run against this simulator gets."""
        return {
            "SENDCLEAN_API_URL": self.api_url,
            "SENDCLEAN_OWNER_ID": self.owner_id,
            "SENDCLEAN_TOKEN": self.token,
            "SENDCLEAN_SIM_ADMIN_URL": self.admin_url,
        }

    def integration_config(self):
        """The variables of an ansible-test integration config pointing at this simulator."""
        return {
            "sendclean_api_url": self.api_url,
            "sendclean_admin_url": self.admin_url,
            "sendclean_owner_id": self.owner_id,
            "sendclean_token": self.token,
        }

    # --- admin API ---

    def admin(self, method, endpoint, body=None):
        """Call /_sim/<endpoint>; return the decoded JSON reply, raise SimulatorError if the simulator refuses."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.admin_url + endpoint, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=ADMIN_TIMEOUT_SECONDS) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            with error:
                detail = error.read().decode("utf-8", "replace")
            raise SimulatorError("%s /_sim/%s: HTTP %d %s" % (method, endpoint, error.code, detail)) from None

    def requests(self):
        return self.admin("GET", "requests")

    def users(self):
        return self.admin("GET", "users")["users"]

    def config(self):
        return self.admin("GET", "config")

    def issued_secrets(self):
        """Every password the simulator has issued since it started (rotated and reset-away ones too)."""
        return self.admin("GET", "issued-secrets")["passwords"]

    def configure(self, **changes):
        """Change runtime config keys (quirks, faults, seed); return the whole config."""
        return self.admin("POST", "config", changes)

    def reset(self, **parts):
        """Clear users, counters and config back to the start; pass users=False etc. to keep a part."""
        return self.admin("POST", "reset", parts)

    def add_users(self, count, total_limit, hourly_limit, status="Enable"):
        """Create count users at once (without going through the API or its counters); return their names."""
        body = {"count": count, "total_limit": total_limit, "hourly_limit": hourly_limit, "status": status}
        return self.admin("POST", "users", body)["names"]

    def smtp_auth(self, username, password):
        return self.admin("POST", "smtp-auth", {"username": username, "password": password})

    def smtp_send(self, username):
        return self.admin("POST", "smtp-send", {"username": username})


def admin_opener(ssl_context):
    # The simulator is local: never send its traffic (and the token) to a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ssl_context))


def integration_config_yaml(values):
    # A JSON string is also a valid YAML double-quoted scalar: no YAML library needed.
    return "".join("%s: %s\n" % (key, json.dumps(value)) for key, value in values.items())


def shell_exports(values):
    return "".join("export %s=%s\n" % (key, shlex.quote(value)) for key, value in values.items())


def start_from_args(args):
    config = json.loads(args.config) if args.config else None
    return Simulator().start(args.workdir, seed=args.seed, tls_cert=args.tls_cert, tls_key=args.tls_key, config=config)


def run_command(args):
    """The 'run' subcommand: run a command against a fresh simulator; return the command's exit code."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise SystemExit("run: give the command to run after --")
    with start_from_args(args) as sim:
        # Both files carry the token: write them private.
        if args.config_out:
            extra = dict(var.split("=", 1) for var in args.var)
            write_file_atomically(args.config_out, integration_config_yaml(dict(sim.integration_config(), **extra)))
        if args.env_out:
            write_file_atomically(args.env_out, shell_exports(sim.environment()))
        return subprocess.call(command, env=dict(os.environ, **sim.environment()))


def serve(args):
    """The 'serve' subcommand: run a simulator for manual use until Ctrl-C."""
    with start_from_args(args) as sim:
        sys.stdout.write("# The SendClean simulator serves the account kept in %s. In the shell you run ansible from:\n"
                         % os.path.abspath(args.workdir))
        sys.stdout.write(shell_exports(sim.environment()))
        sys.stdout.write("# log: %s; stop with Ctrl-C\n" % sim.log_path)
        sys.stdout.flush()
        return sim.process.wait()


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Start the SendClean simulator for tests or manual use.")
    subcommands = parser.add_subparsers(dest="subcommand", required=True)
    run = subcommands.add_parser("run", help="run a command against a fresh simulator")
    run.set_defaults(handler=run_command)
    run.add_argument("--config-out", help="write an ansible-test integration config (YAML) here")
    run.add_argument("--env-out", help="write shell exports of the SENDCLEAN_* variables here")
    run.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                     help="one more variable of the --config-out file, for targets that need it")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    serve_parser = subcommands.add_parser("serve", help="serve until Ctrl-C, for manual use")
    serve_parser.set_defaults(handler=serve)
    for subparser in (run, serve_parser):
        subparser.add_argument("--workdir", required=True, help="directory for the state, port and log files")
        subparser.add_argument("--seed", type=int, default=0, help="seed of the simulator's RNGs")
        subparser.add_argument("--config", help="initial runtime config as a JSON object")
        subparser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
        subparser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the with blocks still stop the simulator.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
