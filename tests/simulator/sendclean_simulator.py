"""Local stand-in for the SendClean settings API (SMTP users), for tests.

The real service is unreachable from our machines, so this server answers the four calls of the
provider's "SMTP Users Calls" page (addSmtp, editSmtp, resetSmtpPassword, listSmtp) exactly as the
provider documents them: POST /v1.0/settings/<call> with a JSON body carrying owner_id and token.
The quirks a client has to tolerate (errors at HTTP 200, 'type' instead of 'name', limits as strings,
the moving password key, status as 1/0) can be switched on at runtime, each also "mixed" (varied per list
entry and per reply), and transient faults (HTML 50x pages from a
proxy, JSON 500, 429, a write committed but its reply lost) are injected from a seeded RNG so runs are
reproducible. Tests inspect and steer the server through a small admin API under /_sim/.

Standard library only; runs on Python 3.8+.
"""

import argparse
import copy
import hmac
import json
import math
import os
import random
import re
import signal
import socket
import ssl
import string
import sys
import tempfile
import threading
import time
from collections import namedtuple
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

API_PREFIX = "/v1.0/settings/"
ADMIN_PREFIX = "/_sim/"
CALLS = ("addSmtp", "editSmtp", "resetSmtpPassword", "listSmtp")
WRITE_CALLS = ("addSmtp", "editSmtp", "resetSmtpPassword")
# Only the calls that hand back a fresh secret are worth losing the reply of after the commit.
DROP_CALLS = ("addSmtp", "resetSmtpPassword")
HTML_FAULT_STATUS = {"html502": 502, "html503": 503, "html504": 504}
FAULT_KINDS = tuple(HTML_FAULT_STATUS) + ("json500", "429")
# Off unless named in fault_kinds: an HTTP 200 whose body is cut off mid-JSON, as a broken proxy or service sends it.
OPT_IN_FAULT_KINDS = ("garbage",)
GARBAGE_BODY = b'{"status": "success", "message": "SMTP users li'
ERROR_HTTP_STATUS = {"ValidationError": 400, "AuthenticationError": 401, "GeneralError": 500}
USER_STATUSES = ("Enable", "Disable")
MIXED = "mixed"
# How a "mixed" quirk varies: each list entry takes the next form (shifted by one with every list reply), as does each error.
MIXED_FORMS = {
    "errors_at_200": (True, False),
    "error_type_key": ("name", "type"),
    "limits_as_strings": (True, False),
    "password_key": ("password", "smtp_password"),  # a list without passwords is a switch of its own
    "status_style": ("string", "integer", "digits", "upper", "lower"),
}
STATUS_FORMS = {  # status_style -> the listed forms of Enable and Disable
    "string": ("Enable", "Disable"),
    "integer": (1, 0),
    "digits": ("1", "0"),
    "upper": ("ENABLE", "DISABLE"),
    "lower": ("enable", "disable"),
}
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 10
# Explicit ASCII digits (str.isdigit() also accepts superscripts); the length cap keeps int() away from huge strings.
DIGITS = re.compile(r"[0-9]{1,18}")
MAX_BODY_BYTES = 1024 * 1024
MAX_BULK_USERS = 100000
HOUR_SECONDS = 3600
IDLE_CONNECTION_SECONDS = 60

DEFAULT_CONFIG = {
    "errors_at_200": False,
    "error_type_key": "name",
    "limits_as_strings": False,
    "password_key": "password",
    "status_style": "string",
    "fault_rate": 0.0,
    "fault_kinds": list(FAULT_KINDS),
    "fault_calls": list(CALLS),
    "drop_rate": 0.0,
    "drop_calls": list(DROP_CALLS),
    "latency": 0.0,
    "retry_after": 1,
    "seed": 0,
}

Reply = namedtuple("Reply", "status content_type body headers")


class ApiError(Exception):
    """An error reply of the service: its type (ValidationError, AuthenticationError, GeneralError) and message."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class AdminError(ValueError):
    """An admin request or a config value the simulator refuses (answered with HTTP 400)."""


# --- checks shared by the runtime config and the admin request bodies: (key, value) -> normalised value ---

def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_flag(key, value):
    if not isinstance(value, bool):
        raise AdminError("%s must be true or false" % key)
    return value


def check_string(key, value):
    if not isinstance(value, str):
        raise AdminError("%s must be a string" % key)
    return value


def check_integer(key, value):
    if not _is_integer(value):
        raise AdminError("%s must be an integer" % key)
    return value


def check_non_negative_integer(key, value):
    if not _is_integer(value) or value < 0:
        raise AdminError("%s must be an integer >= 0" % key)
    return value


def check_non_negative_number(key, value):
    if not _is_number(value) or value < 0:
        raise AdminError("%s must be a number >= 0" % key)
    return value


def check_probability(key, value):
    if not _is_number(value) or not 0 <= value <= 1:
        raise AdminError("%s must be a number between 0 and 1" % key)
    return float(value)


def check_bulk_count(key, value):
    if not _is_integer(value) or not 1 <= value <= MAX_BULK_USERS:
        raise AdminError("%s must be an integer between 1 and %d" % (key, MAX_BULK_USERS))
    return value


def check_positive_integer(key, value):
    if not _is_integer(value) or value < 1:
        raise AdminError("%s must be a positive integer" % key)
    return value


def one_of(*choices):
    def check(key, value):
        if not isinstance(value, str) or value not in choices:
            raise AdminError("%s must be one of: %s" % (key, ", ".join(choices)))
        return value
    return check


def flag_or_mixed(key, value):
    return value if value == MIXED else check_flag(key, value)


def list_of(choices, allow_empty):
    def check(key, value):
        valid = isinstance(value, list) and all(isinstance(item, str) and item in choices for item in value)
        if not valid or not (value or allow_empty):
            raise AdminError("%s must be a %slist of: %s" % (key, "" if allow_empty else "non-empty ", ", ".join(choices)))
        return list(value)
    return check


CONFIG_CHECKS = {
    "errors_at_200": flag_or_mixed,
    "error_type_key": one_of("name", "type", MIXED),
    "limits_as_strings": flag_or_mixed,
    "password_key": one_of("password", "smtp_password", "absent", MIXED),
    "status_style": one_of("string", "integer", MIXED),
    "fault_rate": check_probability,
    "fault_kinds": list_of(FAULT_KINDS + OPT_IN_FAULT_KINDS, allow_empty=False),
    "fault_calls": list_of(CALLS, allow_empty=True),
    "drop_rate": check_probability,
    "drop_calls": list_of(DROP_CALLS, allow_empty=True),
    "latency": check_non_negative_number,
    "retry_after": check_non_negative_integer,
    "seed": check_integer,
}


def check_fields(body, checks, defaults=None):
    """Validate a JSON object key by key and return the normalised values.

    Keys with a default are optional and filled in; the others are required. With defaults=None every key is
    optional and only the keys present come back (a partial update).
    """
    if not isinstance(body, dict):
        raise AdminError("the body must be a JSON object")
    unknown = sorted(set(body) - set(checks))
    if unknown:
        raise AdminError("unknown key(s): %s" % ", ".join(unknown))
    if defaults is not None:
        missing = sorted(set(checks) - set(body) - set(defaults))
        if missing:
            raise AdminError("missing key(s): %s" % ", ".join(missing))
        body = dict(defaults, **body)
    return {key: checks[key](key, value) for key, value in body.items()}


# --- the service's own parameter rules ---

def parse_json_object(raw_body):
    """Parse a request body as JSON whatever its Content-Type, as the service does."""
    try:
        params = json.loads(raw_body)
    except (ValueError, RecursionError):
        params = None
    if not isinstance(params, dict):
        raise ApiError("ValidationError", "Invalid JSON body")
    return params


def parse_limit(params, key, required):
    """Return a limit as an int (JSON ints and digit strings are accepted), or None when optional and absent."""
    value = params.get(key)
    if value is None:
        if required:
            raise ApiError("ValidationError", "%s is required" % key)
        return None
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    if not _is_integer(value) or value < 1:
        raise ApiError("ValidationError", "%s must be a positive digit" % key)
    return value


def parse_status(params):
    """Return the requested user status, or None when absent (unchanged)."""
    status = params.get("status")
    if status is not None and status not in USER_STATUSES:
        raise ApiError("ValidationError", "status must be either 'Enable' or 'Disable'")
    return status


def same_secret(given, expected):
    # Owner ids are numeric strings, and a client may well send them as JSON numbers.
    if _is_integer(given):
        given = str(given)
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# --- replies ---

def json_reply(status, document, headers=None):
    return Reply(status, "application/json", json.dumps(document).encode("utf-8"), headers or {})


def html_reply(status, headers=None):
    """An HTML error page, as a web server or proxy in front of the service would send it."""
    title = "%d %s" % (status, HTTPStatus(status).phrase)
    page = "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    return Reply(status, "text/html", (page % (title, title)).encode("ascii"), headers or {})


def write_file_atomically(path, text):
    """Write through a private (0600) temp file in the same directory, then rename: readers never see half a file."""
    handle, temp_path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temp_path, path)
    except BaseException:
        os.unlink(temp_path)
        raise


class SimulatorState:
    """Everything the server knows (users, counters, runtime config, RNGs), guarded by one lock."""

    def __init__(self, owner_id, token, startup_config, state_file=None):
        self.lock = threading.Lock()
        self.owner_id = owner_id
        self.token = token
        self._startup_config = copy.deepcopy(startup_config)
        self._state_file = state_file
        self._users = self._load_users()  # name -> user record; dicts keep creation order
        # Every password handed out since this process started (or found in the state file), rotated ones too.
        self._issued = [user["password"] for user in self._users.values()]
        self._call_handlers = {
            "addSmtp": self._add_smtp,
            "editSmtp": self._edit_smtp,
            "resetSmtpPassword": self._reset_smtp_password,
            "listSmtp": self._list_smtp,
        }
        self._restore_startup_config()
        self._reset_counters()

    # --- setup and persistence (callers hold the lock, except during __init__) ---

    def _load_users(self):
        if self._state_file is None or not os.path.exists(self._state_file):
            return {}
        with open(self._state_file, encoding="utf-8") as stream:
            saved = json.load(stream)
        return {user["smtp_user_name"]: user for user in saved["users"]}

    def _persist(self):
        if self._state_file is not None:
            write_file_atomically(self._state_file, json.dumps({"users": list(self._users.values())}))

    def _restore_startup_config(self):
        self.config = {}
        self._merge_config(self._startup_config)

    def _merge_config(self, changes):
        self.config.update(copy.deepcopy(changes))
        if "seed" in changes:
            self._seed_rngs(changes["seed"])

    def _seed_rngs(self, seed):
        # Two streams, so the number of fault decisions taken never shifts the generated names, and vice versa.
        self._fault_rng = random.Random("faults:%d" % seed)
        self._secret_rng = random.Random("secrets:%d" % seed)

    def _reset_counters(self):
        self._counts = dict.fromkeys(CALLS, 0)
        self._faults = dict.fromkeys(FAULT_KINDS + OPT_IN_FAULT_KINDS + ("drop",), 0)
        self._errors = dict.fromkeys(ERROR_HTTP_STATUS, 0)

    def close(self):
        """Wait for a write in progress, and keep the lock so that no new one starts before the process exits."""
        self.lock.acquire()  # pylint: disable=consider-using-with

    # --- API calls ---

    def count_call(self, call):
        """Count an API request as it arrives, faulted or not; return the latency to apply to it."""
        with self.lock:
            self._counts[call] += 1
            return self.config["latency"]

    def answer_call(self, call, raw_body):
        """Inject a fault or process the call. Return the Reply, or None to close the connection without one."""
        with self.lock:
            fault = self._pick_fault(call)
            if fault is not None:
                self._faults[fault] += 1
                return self._fault_reply(fault)
            try:
                result = self._process(call, raw_body)
            except ApiError as error:
                self._errors[error.error_type] += 1
                status = 200 if self._quirk("errors_at_200", sum(self._errors.values())) else ERROR_HTTP_STATUS[error.error_type]
                return json_reply(status, self._error_body(error.error_type, error.message))
            # The write is applied and persisted by now: a dropped reply leaves the client unsure whether it was.
            if call in self.config["drop_calls"] and self._fault_rng.random() < self.config["drop_rate"]:
                self._faults["drop"] += 1
                return None
            return json_reply(200, result)

    def _pick_fault(self, call):
        if call not in self.config["fault_calls"] or self._fault_rng.random() >= self.config["fault_rate"]:
            return None
        return self._fault_rng.choice(self.config["fault_kinds"])

    def _fault_reply(self, fault):
        if fault in HTML_FAULT_STATUS:
            return html_reply(HTML_FAULT_STATUS[fault])
        if fault == "garbage":
            return Reply(200, "application/json", GARBAGE_BODY, {})
        if fault == "json500":
            return json_reply(500, self._error_body("GeneralError", "An unexpected error occurred"))
        return json_reply(429, self._error_body("GeneralError", "Too many requests"), {"Retry-After": str(self.config["retry_after"])})

    def _error_body(self, error_type, message):
        return {"status": "error", "code": -1, self._quirk("error_type_key", sum(self._errors.values())): error_type,
                "message": message}

    def _quirk(self, key, position):
        """The configured form of a quirk; a "mixed" one takes the form at this position (of an entry, an error)."""
        value = self.config[key]
        if value != MIXED:
            return value
        forms = MIXED_FORMS[key]
        return forms[position % len(forms)]

    def _process(self, call, raw_body):
        params = parse_json_object(raw_body)
        self._check_auth(params)
        return self._call_handlers[call](params)

    def _check_auth(self, params):
        owner_id, token = params.get("owner_id"), params.get("token")
        if owner_id in (None, "") or token in (None, ""):
            raise ApiError("ValidationError", "owner_id and token are required")
        if not (same_secret(owner_id, self.owner_id) and same_secret(token, self.token)):
            raise ApiError("AuthenticationError", "Token MissMatch")

    def _find_user(self, params):
        name = params.get("smtp_user_name")
        if name in (None, ""):
            raise ApiError("ValidationError", "smtp_user_name is required")
        user = self._users.get(name) if isinstance(name, str) else None
        if user is None:
            raise ApiError("ValidationError", "Invalid smtp_user_name")
        return user

    def _add_smtp(self, params):
        total_limit = parse_limit(params, "total_limit", required=True)
        hourly_limit = parse_limit(params, "hourly_limit", required=True)
        user = self._create_user(total_limit, hourly_limit, "Enable")
        self._persist()
        return {"status": "success", "message": "SMTP User Created", "smtp_user_name": user["smtp_user_name"], "smtp_password": user["password"]}

    def _edit_smtp(self, params):
        user = self._find_user(params)
        # Validate every field before changing any, so a refused edit changes nothing.
        changes = {
            "total_limit": parse_limit(params, "total_limit", required=False),
            "hourly_limit": parse_limit(params, "hourly_limit", required=False),
            "status": parse_status(params),
        }
        user.update((key, value) for key, value in changes.items() if value is not None)
        self._persist()
        return {"status": "success", "message": "SMTP User Updated"}

    def _reset_smtp_password(self, params):
        user = self._find_user(params)
        user["password"] = self._new_password()
        self._persist()
        return {"status": "success", "message": "password reseted", "smtp_user_name": user["smtp_user_name"], "smtp_password": user["password"]}

    def _list_smtp(self, params):
        # Shifted by the number of lists, so that a mixed quirk also changes between replies.
        entries = [self._list_entry(user, position + self._counts["listSmtp"]) for position, user in enumerate(self._users.values())]
        return {"status": "success", "message": "SMTP users list", "smtp_list": entries}

    def _list_entry(self, user, position):
        limit = str if self._quirk("limits_as_strings", position) else int
        entry = {"smtp_user_name": user["smtp_user_name"]}
        password_key = self._quirk("password_key", position)
        if password_key != "absent":
            entry[password_key] = user["password"]
        status = STATUS_FORMS[self._quirk("status_style", position)][USER_STATUSES.index(user["status"])]
        entry.update(status=status, total_limit=limit(user["total_limit"]), hourly_limit=limit(user["hourly_limit"]))
        return entry

    def _create_user(self, total_limit, hourly_limit, status):
        name = self._new_user_name()
        user = {
            "smtp_user_name": name,
            "password": self._new_password(),
            "status": status,
            "total_limit": total_limit,
            "hourly_limit": hourly_limit,
            "sent": 0,
            "recent_sends": [],  # epoch seconds of the sends within the last hour
        }
        self._users[name] = user
        return user

    def _new_user_name(self):
        while True:
            name = "smtp%08d" % self._secret_rng.randrange(10 ** 8)
            if name not in self._users:
                return name

    def _new_password(self):
        password = "".join(self._secret_rng.choice(PASSWORD_ALPHABET) for dummy in range(PASSWORD_LENGTH))
        self._issued.append(password)
        return password

    # --- admin operations ---

    def request_stats(self):
        with self.lock:
            return {
                "counts": dict(self._counts),
                "total": sum(self._counts.values()),
                "writes": sum(self._counts[call] for call in WRITE_CALLS),
                "faults": dict(self._faults),
                "errors": dict(self._errors),
            }

    def user_records(self):
        with self.lock:
            return [{key: value for key, value in user.items() if key != "recent_sends"} for user in self._users.values()]

    def issued_secrets(self):
        with self.lock:
            return list(self._issued)

    def current_config(self):
        with self.lock:
            return copy.deepcopy(self.config)

    def update_config(self, changes):
        with self.lock:
            self._merge_config(changes)
            return copy.deepcopy(self.config)

    def reset(self, users, counters, config):
        with self.lock:
            if users:
                self._users = {}
                self._persist()
            if counters:
                self._reset_counters()
            if config:
                self._restore_startup_config()

    def add_users(self, count, total_limit, hourly_limit, status):
        with self.lock:
            names = [self._create_user(total_limit, hourly_limit, status)["smtp_user_name"] for dummy in range(count)]
            self._persist()
            return names

    def smtp_auth(self, username, password):
        with self.lock:
            user = self._users.get(username)
            if user is None:
                return {"ok": False, "reason": "unknown user"}
            if not same_secret(password, user["password"]):
                return {"ok": False, "reason": "bad password"}
            if user["status"] != "Enable":
                return {"ok": False, "reason": "user disabled"}
            return {"ok": True, "user": username}

    def smtp_send(self, username, now):
        with self.lock:
            user = self._users.get(username)
            refusal = send_refusal(user, now)
            if refusal is not None:
                return {"ok": False, "reason": refusal}
            user["sent"] += 1
            user["recent_sends"].append(now)
            self._persist()
            return {"ok": True, "sent": user["sent"]}


def send_refusal(user, now):
    """Why the relay must refuse a message from this user now, or None; forgets sends older than an hour."""
    if user is None:
        return "unknown user"
    if user["status"] != "Enable":
        return "user disabled"
    user["recent_sends"] = [sent_at for sent_at in user["recent_sends"] if sent_at > now - HOUR_SECONDS]
    if user["sent"] >= user["total_limit"]:
        return "total limit reached"
    if len(user["recent_sends"]) >= user["hourly_limit"]:
        return "hourly limit reached"
    return None


# --- admin endpoints: (state, JSON body) -> JSON reply ---

def admin_requests(state, body):
    return state.request_stats()


def admin_list_users(state, body):
    return {"users": state.user_records()}


def admin_issued_secrets(state, body):
    # Not cleared by /_sim/reset: a secrets audit needs every password a test run could have seen.
    return {"passwords": state.issued_secrets()}


def admin_get_config(state, body):
    return state.current_config()


def admin_update_config(state, body):
    return state.update_config(check_fields(body, CONFIG_CHECKS))


def admin_reset(state, body):
    parts = check_fields(body, dict.fromkeys(("users", "counters", "config"), check_flag), defaults={"users": True, "counters": True, "config": True})
    state.reset(**parts)
    return {"ok": True}


def admin_add_users(state, body):
    checks = {"count": check_bulk_count, "total_limit": check_positive_integer, "hourly_limit": check_positive_integer, "status": one_of(*USER_STATUSES)}
    names = state.add_users(**check_fields(body, checks, defaults={"status": "Enable"}))
    return {"created": len(names), "names": names}


def admin_smtp_auth(state, body):
    return state.smtp_auth(**check_fields(body, {"username": check_string, "password": check_string}, defaults={}))


def admin_smtp_send(state, body):
    return state.smtp_send(now=time.time(), **check_fields(body, {"username": check_string}, defaults={}))


ADMIN_ROUTES = {
    ("GET", "requests"): admin_requests,
    ("GET", "users"): admin_list_users,
    ("POST", "users"): admin_add_users,
    ("GET", "issued-secrets"): admin_issued_secrets,
    ("GET", "config"): admin_get_config,
    ("POST", "config"): admin_update_config,
    ("POST", "reset"): admin_reset,
    ("POST", "smtp-auth"): admin_smtp_auth,
    ("POST", "smtp-send"): admin_smtp_send,
}


def parse_admin_body(raw_body):
    """Admin bodies are optional JSON objects: an empty body means {}."""
    if not raw_body.strip():
        return {}
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError):
        raise AdminError("the body is not valid JSON") from None


class SimulatorHandler(BaseHTTPRequestHandler):
    """Routes every request: the API under /v1.0/settings/, the admin API under /_sim/, HTML 404 elsewhere."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real service behind its web server
    server_version = "SendCleanSimulator/1.0"
    timeout = IDLE_CONNECTION_SECONDS

    def _dispatch(self):
        raw_body = self._read_body()
        if raw_body is None:
            # Without a usable Content-Length the next request's start cannot be found: answer and hang up.
            self.close_connection = True
            self._send_reply(html_reply(400))
            return
        path = urlsplit(self.path).path
        call = path[len(API_PREFIX):] if path.startswith(API_PREFIX) else None
        if path.startswith(ADMIN_PREFIX):
            self._handle_admin(path[len(ADMIN_PREFIX):], raw_body)
        elif call in CALLS:
            self._handle_api_call(call, raw_body)
        else:
            self._send_reply(html_reply(404))

    # One router for every method: non-POST requests on API paths get the web server's 405 page.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _read_body(self):
        """Read the whole body, so a kept-alive connection stays in step; None if its length is not usable."""
        length = self.headers.get("Content-Length", "0").strip()
        if "Transfer-Encoding" in self.headers or not DIGITS.fullmatch(length) or int(length) > MAX_BODY_BYTES:
            return None
        return self.rfile.read(int(length))

    def _handle_api_call(self, call, raw_body):
        if self.command != "POST":
            self._send_reply(html_reply(405, {"Allow": "POST"}))
            return
        state = self.server.state
        time.sleep(state.count_call(call))  # outside the lock, so concurrent requests are slowed, not serialised
        reply = state.answer_call(call, raw_body)
        if reply is None:
            self._drop_connection()
        else:
            self._send_reply(reply)

    def _handle_admin(self, endpoint, raw_body):
        route = ADMIN_ROUTES.get((self.command, endpoint))
        if route is None:
            status = 405 if endpoint in {known for dummy, known in ADMIN_ROUTES} else 404
            self._send_reply(json_reply(status, {"error": "%s /_sim/%s is not an admin operation" % (self.command, endpoint)}))
            return
        try:
            reply = json_reply(200, route(self.server.state, parse_admin_body(raw_body)))
        except AdminError as error:
            reply = json_reply(400, {"error": str(error)})
        self._send_reply(reply)

    def _send_reply(self, reply):
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop_connection(self):
        """Hang up without sending a single byte back, as when a proxy loses the service's reply."""
        self.log_request("dropped")
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_request(self, code="-", size="-"):
        # One line per request, and never its body: the body carries the account token.
        if self.server.verbose:
            if isinstance(code, HTTPStatus):
                code = code.value
            sys.stderr.write("%s %s %s\n" % (self.command, self.path, code))

    def log_message(self, format, *args):
        # http.server's own messages (malformed requests, timeouts): quiet unless asked.
        if self.server.verbose:
            super().log_message(format, *args)


class SimulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the simulator's state."""

    daemon_threads = True

    def __init__(self, address, state, verbose):
        super().__init__(address, SimulatorHandler)
        self.state = state
        self.verbose = verbose

    def handle_error(self, request, client_address):
        # Clients hanging up or failing the TLS handshake are routine for a test server; real bugs still print.
        if self.verbose or not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout)):
            super().handle_error(request, client_address)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Local simulator of the SendClean settings API (SMTP users).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument("--port-file", help="file to write the actual port to once listening")
    parser.add_argument("--state", help="JSON file keeping the users across restarts (default: in memory only)")
    parser.add_argument("--owner-id", required=True, help="the account's owner_id")
    parser.add_argument("--token", required=True, help="the account's API token")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault and name/password RNGs")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--config", default="{}", help="initial runtime config as a JSON object (see /_sim/config)")
    parser.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started it ends, even if it never said so (a killed test run)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    startup_config = dict(DEFAULT_CONFIG, seed=args.seed)
    try:
        startup_config.update(check_fields(json.loads(args.config), CONFIG_CHECKS))
    except ValueError as error:  # AdminError is a ValueError, as is a JSON syntax error
        parser.error("--config: %s" % error)
    args.config = startup_config
    return args


def serve_tls(server, cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    # The handshake happens on the first read, in the connection's own thread, so a stalled client cannot block accept().
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)


def exit_with_parent():
    """Stop like SIGTERM does once the parent is gone (this process is then re-parented, so its ppid changes).

    ansible-test runs each unit test in a forked process that ends with os._exit(), skipping fixture teardown;
    without this, every such test would leave a simulator running.
    """
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv=None):
    args = parse_args(argv)
    state = SimulatorState(args.owner_id, args.token, args.config, args.state)
    server = SimulatorServer((args.host, args.port), state, args.verbose)
    if args.tls_cert:
        serve_tls(server, args.tls_cert, args.tls_key)
    # SIGTERM unwinds serve_forever() in this main thread like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.exit_with_parent:
        exit_with_parent()
    if args.port_file:
        write_file_atomically(args.port_file, "%d\n" % server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
