"""Tests of the SendClean simulator, over real HTTP against a simulator subprocess started by the harness."""

import http.client
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import namedtuple

import pytest

SIMULATOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "simulator")
sys.path.insert(0, SIMULATOR_DIR)

from harness import DEFAULT_OWNER_ID, DEFAULT_TOKEN, Simulator, SimulatorError, admin_opener  # noqa: E402  pylint: disable=wrong-import-position

HARNESS_SCRIPT = os.path.join(SIMULATOR_DIR, "harness.py")
USER_NAME = re.compile(r"smtp[0-9]{8}")
PASSWORD = re.compile(r"[A-Za-z0-9]{10}")
FAULT_REPLIES = {  # kind -> (HTTP status, content type, text in the body)
    "html502": (502, "text/html", "Bad Gateway"),
    "html503": (503, "text/html", "Service Unavailable"),
    "html504": (504, "text/html", "Gateway Timeout"),
    "json500": (500, "application/json", "An unexpected error occurred"),
    "429": (429, "application/json", "Too many requests"),
}


class Reply(namedtuple("Reply", "status headers body")):
    """An HTTP reply, whatever its status."""

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self):
        return self.headers["Content-Type"]


def send(url, payload=None, raw_body=None, method="POST", ssl_context=None):
    """Send JSON (or raw bytes) the way the provider's PHP client does, and return the reply even for HTTP errors."""
    data = raw_body if raw_body is not None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with admin_opener(ssl_context).open(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def credentials(sim):
    return {"owner_id": sim.owner_id, "token": sim.token}


def call(sim, name, **params):
    return send(sim.api_url + "settings/" + name, dict(credentials(sim), **params))


def add_user(sim, total_limit=200, hourly_limit=20):
    reply = call(sim, "addSmtp", total_limit=total_limit, hourly_limit=hourly_limit)
    assert reply.status == 200, reply
    return reply.json()


def assert_api_error(reply, status, error_type, message):
    assert reply.status == status
    assert reply.content_type == "application/json"
    assert reply.json() == {"status": "error", "code": -1, "name": error_type, "message": message}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with Simulator().start(str(tmp_path_factory.mktemp("simulator"))) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean_simulator(sim):
    sim.reset()


# --- the four calls ---

def test_php_client_shaped_add_gets_exactly_the_seed_page_keys(sim):
    body = json.dumps({"owner_id": DEFAULT_OWNER_ID, "token": DEFAULT_TOKEN, "total_limit": 200, "hourly_limit": 20}).encode("utf-8")
    reply = send(sim.api_url + "settings/addSmtp", raw_body=body)
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert int(reply.headers["Content-Length"]) == len(reply.body)
    created = reply.json()
    assert sorted(created) == ["message", "smtp_password", "smtp_user_name", "status"]
    assert created["status"] == "success" and created["message"] == "SMTP User Created"
    assert USER_NAME.fullmatch(created["smtp_user_name"]) and PASSWORD.fullmatch(created["smtp_password"])
    assert sim.users() == [{"smtp_user_name": created["smtp_user_name"], "password": created["smtp_password"],
                            "status": "Enable", "total_limit": 200, "hourly_limit": 20, "sent": 0}]


def test_add_accepts_digit_strings_and_ignores_unknown_params(sim):
    reply = call(sim, "addSmtp", total_limit="300", hourly_limit="30", SendCleanTES_APP_DOMAIN="us1-mta1.sendclean.net")
    assert reply.status == 200
    assert (sim.users()[0]["total_limit"], sim.users()[0]["hourly_limit"]) == (300, 30)


def test_edit_changes_only_the_given_fields(sim):
    name = add_user(sim)["smtp_user_name"]
    reply = call(sim, "editSmtp", smtp_user_name=name, hourly_limit="25")
    assert reply.status == 200
    assert reply.json() == {"status": "success", "message": "SMTP User Updated"}
    assert call(sim, "editSmtp", smtp_user_name=name, total_limit=500, status="Disable").status == 200
    user = sim.users()[0]
    assert (user["total_limit"], user["hourly_limit"], user["status"]) == (500, 25, "Disable")


def test_reset_password_returns_a_new_password(sim):
    created = add_user(sim)
    reply = call(sim, "resetSmtpPassword", smtp_user_name=created["smtp_user_name"])
    assert reply.status == 200
    body = reply.json()
    assert sorted(body) == ["message", "smtp_password", "smtp_user_name", "status"]
    assert (body["status"], body["message"], body["smtp_user_name"]) == ("success", "password reseted", created["smtp_user_name"])
    assert PASSWORD.fullmatch(body["smtp_password"]) and body["smtp_password"] != created["smtp_password"]
    assert sim.users()[0]["password"] == body["smtp_password"]


def test_list_returns_users_in_creation_order(sim):
    first, second = add_user(sim, 200, 20), add_user(sim, 100, 30)
    call(sim, "editSmtp", smtp_user_name=second["smtp_user_name"], status="Disable")
    reply = call(sim, "listSmtp")
    assert reply.status == 200
    assert reply.json() == {"status": "success", "message": "SMTP users list", "smtp_list": [
        {"smtp_user_name": first["smtp_user_name"], "password": first["smtp_password"], "status": "Enable", "total_limit": 200, "hourly_limit": 20},
        {"smtp_user_name": second["smtp_user_name"], "password": second["smtp_password"], "status": "Disable", "total_limit": 100, "hourly_limit": 30},
    ]}


def test_connection_is_kept_alive(sim):
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        for dummy in range(2):
            connection.request("POST", "/v1.0/settings/listSmtp", json.dumps(credentials(sim)), {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["status"] == "success"
            assert not response.will_close
    finally:
        connection.close()


# --- errors ---

@pytest.mark.parametrize("override", [{"token": "WrongToken0123456789abcd"}, {"owner_id": "11111111"}])
def test_bad_credentials_are_an_authentication_error(sim, override):
    reply = send(sim.api_url + "settings/listSmtp", dict(credentials(sim), **override))
    assert_api_error(reply, 401, "AuthenticationError", "Token MissMatch")
    assert sim.requests()["errors"]["AuthenticationError"] == 1


@pytest.mark.parametrize("payload", [{"token": DEFAULT_TOKEN}, {"owner_id": DEFAULT_OWNER_ID, "token": ""}, {}])
def test_missing_credentials_are_a_validation_error(sim, payload):
    assert_api_error(send(sim.api_url + "settings/listSmtp", payload), 400, "ValidationError", "owner_id and token are required")


def test_owner_id_may_be_a_json_number(sim):
    assert send(sim.api_url + "settings/listSmtp", {"owner_id": int(DEFAULT_OWNER_ID), "token": DEFAULT_TOKEN}).status == 200


def test_credentials_are_checked_before_params(sim):
    reply = send(sim.api_url + "settings/addSmtp", {"owner_id": DEFAULT_OWNER_ID, "token": "nope", "total_limit": 0})
    assert_api_error(reply, 401, "AuthenticationError", "Token MissMatch")


@pytest.mark.parametrize("raw_body", [b"not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(sim, raw_body):
    assert_api_error(send(sim.api_url + "settings/listSmtp", raw_body=raw_body), 400, "ValidationError", "Invalid JSON body")


@pytest.mark.parametrize("param", ["total_limit", "hourly_limit"])
@pytest.mark.parametrize("value", [0, -1, "ten", True, 1.5, "", "-5", "1.5", [5]])
def test_add_refuses_a_limit_that_is_not_a_positive_digit(sim, param, value):
    reply = call(sim, "addSmtp", **dict({"total_limit": 200, "hourly_limit": 20}, **{param: value}))
    assert_api_error(reply, 400, "ValidationError", "%s must be a positive digit" % param)
    assert sim.users() == []


@pytest.mark.parametrize("param", ["total_limit", "hourly_limit"])
def test_add_requires_both_limits(sim, param):
    params = {"total_limit": 200, "hourly_limit": 20}
    del params[param]
    assert_api_error(call(sim, "addSmtp", **params), 400, "ValidationError", "%s is required" % param)


@pytest.mark.parametrize("status", ["enable", "Enabled", "", 1, True])
def test_edit_refuses_a_bad_status_and_changes_nothing(sim, status):
    name = add_user(sim)["smtp_user_name"]
    reply = call(sim, "editSmtp", smtp_user_name=name, total_limit=999, status=status)
    assert_api_error(reply, 400, "ValidationError", "status must be either 'Enable' or 'Disable'")
    assert sim.users()[0]["total_limit"] == 200


@pytest.mark.parametrize("call_name", ["editSmtp", "resetSmtpPassword"])
def test_edit_and_reset_need_a_known_user(sim, call_name):
    add_user(sim)
    assert_api_error(call(sim, call_name, smtp_user_name="smtp00000000"), 400, "ValidationError", "Invalid smtp_user_name")
    assert_api_error(call(sim, call_name), 400, "ValidationError", "smtp_user_name is required")


def test_edit_refuses_a_bad_limit(sim):
    name = add_user(sim)["smtp_user_name"]
    assert_api_error(call(sim, "editSmtp", smtp_user_name=name, hourly_limit=0), 400, "ValidationError", "hourly_limit must be a positive digit")


@pytest.mark.parametrize("method, path", [
    ("POST", "/v1.0/settings/deleteSmtp"),
    ("POST", "/v1.0/listSmtp"),
    ("GET", "/"),
    ("POST", "/v1.0/settings/"),
])
def test_unknown_paths_get_an_html_404(sim, method, path):
    reply = send(sim.base_url + path.lstrip("/"), credentials(sim), method=method)
    assert reply.status == 404 and reply.content_type == "text/html"
    assert b"404 Not Found" in reply.body


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_non_post_on_an_api_path_gets_an_html_405(sim, method):
    reply = send(sim.api_url + "settings/listSmtp", credentials(sim), method=method)
    assert reply.status == 405 and reply.content_type == "text/html"
    assert reply.headers["Allow"] == "POST"
    assert sim.requests()["total"] == 0


# --- quirk switches ---

def test_errors_at_200(sim):
    sim.configure(errors_at_200=True)
    reply = call(sim, "addSmtp", total_limit=0, hourly_limit=20)
    assert reply.status == 200
    assert reply.json() == {"status": "error", "code": -1, "name": "ValidationError", "message": "total_limit must be a positive digit"}


def test_error_type_under_type(sim):
    sim.configure(error_type_key="type")
    reply = send(sim.api_url + "settings/listSmtp", {"owner_id": DEFAULT_OWNER_ID, "token": "nope"})
    assert reply.status == 401
    assert reply.json() == {"status": "error", "code": -1, "type": "AuthenticationError", "message": "Token MissMatch"}


def test_limits_as_strings(sim):
    add_user(sim, 200, 20)
    sim.configure(limits_as_strings=True)
    entry = call(sim, "listSmtp").json()["smtp_list"][0]
    assert (entry["total_limit"], entry["hourly_limit"]) == ("200", "20")
    assert sim.users()[0]["total_limit"] == 200


@pytest.mark.parametrize("password_key, expected_keys", [
    ("password", ["hourly_limit", "password", "smtp_user_name", "status", "total_limit"]),
    ("smtp_password", ["hourly_limit", "smtp_password", "smtp_user_name", "status", "total_limit"]),
    ("absent", ["hourly_limit", "smtp_user_name", "status", "total_limit"]),
])
def test_password_key(sim, password_key, expected_keys):
    created = add_user(sim)
    sim.configure(password_key=password_key)
    entry = call(sim, "listSmtp").json()["smtp_list"][0]
    assert sorted(entry) == expected_keys
    if password_key != "absent":
        assert entry[password_key] == created["smtp_password"]


@pytest.mark.parametrize("style, listed", [("string", ["Enable", "Disable"]), ("integer", [1, 0])])
def test_status_style(sim, style, listed):
    disabled = add_user(sim)["smtp_user_name"]
    add_user(sim)
    call(sim, "editSmtp", smtp_user_name=disabled, status="Disable")
    sim.configure(status_style=style)
    assert sorted((entry["status"] for entry in call(sim, "listSmtp").json()["smtp_list"]), key=str) == sorted(listed, key=str)


def test_mixed_quirks_vary_within_one_reply_and_between_replies(sim):
    for _index in range(5):
        add_user(sim, 200, 20)
    sim.configure(status_style="mixed", password_key="mixed", limits_as_strings="mixed")
    first, second = (call(sim, "listSmtp").json()["smtp_list"] for _reply in range(2))
    assert set(entry["status"] for entry in first) == {"Enable", 1, "1", "ENABLE", "enable"}
    assert set(tuple(sorted(set(entry) & {"password", "smtp_password"})) for entry in first) == {("password",), ("smtp_password",)}
    assert set(entry["total_limit"] for entry in first) == {200, "200"}
    assert [entry["status"] for entry in first] != [entry["status"] for entry in second]


def test_mixed_errors_vary_between_replies(sim):
    sim.configure(errors_at_200="mixed", error_type_key="mixed")
    replies = [call(sim, "addSmtp", total_limit=0, hourly_limit=20) for _reply in range(2)]
    assert sorted(reply.status for reply in replies) == [200, 400]
    assert sorted(key for reply in replies for key in ("name", "type") if key in reply.json()) == ["name", "type"]


# --- fault injection ---

@pytest.mark.parametrize("kind", sorted(FAULT_REPLIES))
def test_fault_kinds(sim, kind):
    status, content_type, text = FAULT_REPLIES[kind]
    sim.configure(fault_rate=1.0, fault_kinds=[kind], retry_after=7)
    reply = call(sim, "addSmtp", total_limit=200, hourly_limit=20)
    assert (reply.status, reply.content_type) == (status, content_type)
    assert text.encode("ascii") in reply.body
    assert reply.headers.get("Retry-After") == ("7" if kind == "429" else None)
    if content_type == "application/json":
        assert reply.json() == {"status": "error", "code": -1, "name": "GeneralError", "message": text}
    assert sim.users() == []
    stats = sim.requests()
    assert stats["counts"]["addSmtp"] == 1 and stats["faults"][kind] == 1
    assert sum(stats["errors"].values()) == 0


def test_garbage_is_a_200_with_a_cut_off_json_body_and_only_when_asked(sim):
    assert "garbage" not in sim.config()["fault_kinds"]
    sim.configure(fault_rate=1.0, fault_kinds=["garbage"])
    reply = call(sim, "listSmtp")
    assert (reply.status, reply.content_type) == (200, "application/json")
    with pytest.raises(ValueError):
        reply.json()
    assert call(sim, "addSmtp", total_limit=200, hourly_limit=20).status == 200
    assert sim.users() == []
    assert sim.requests()["faults"]["garbage"] == 2


def test_json500_is_http_500_even_with_errors_at_200(sim):
    sim.configure(fault_rate=1.0, fault_kinds=["json500"], errors_at_200=True, error_type_key="type")
    reply = call(sim, "listSmtp")
    assert reply.status == 500 and reply.json()["type"] == "GeneralError"


def test_faults_hit_only_the_configured_calls(sim):
    sim.configure(fault_rate=1.0, fault_kinds=["html503"], fault_calls=["listSmtp"])
    add_user(sim)
    assert call(sim, "listSmtp").status == 503


def test_faults_come_before_the_credentials_check(sim):
    sim.configure(fault_rate=1.0, fault_kinds=["html502"])
    assert send(sim.api_url + "settings/listSmtp", {}).status == 502


def test_drop_commits_the_add_but_sends_no_reply(sim):
    sim.configure(drop_rate=1.0)
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.HTTPException)):
        call(sim, "addSmtp", total_limit=200, hourly_limit=20)
    assert len(sim.users()) == 1
    assert sim.requests()["faults"]["drop"] == 1


def test_drop_commits_the_password_reset(sim):
    created = add_user(sim)
    sim.configure(drop_rate=1.0)
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.HTTPException)):
        call(sim, "resetSmtpPassword", smtp_user_name=created["smtp_user_name"])
    assert sim.users()[0]["password"] != created["smtp_password"]


def test_drop_calls_limits_the_drop_to_the_named_calls(sim):
    created = add_user(sim)
    sim.configure(drop_rate=1.0, drop_calls=["addSmtp"])
    assert call(sim, "resetSmtpPassword", smtp_user_name=created["smtp_user_name"]).status == 200
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.HTTPException)):
        call(sim, "addSmtp", total_limit=200, hourly_limit=20)


def test_drop_spares_edit_list_and_errors(sim):
    name = add_user(sim)["smtp_user_name"]
    sim.configure(drop_rate=1.0)
    assert call(sim, "editSmtp", smtp_user_name=name, status="Disable").status == 200
    assert call(sim, "listSmtp").status == 200
    assert call(sim, "addSmtp", total_limit=0, hourly_limit=1).status == 400


def test_latency_delays_api_calls_without_serialising_them(sim):
    sim.configure(latency=0.3)
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(call(sim, "listSmtp").status)) for dummy in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0.3 <= time.monotonic() - started < 0.8
    assert statuses == [200, 200, 200]


def outcomes_with_seed(sim, seed):
    """What a burst of adds sees under random faults: the statuses, then the users created."""
    sim.reset()
    sim.configure(seed=seed, fault_rate=0.5)
    statuses = [call(sim, "addSmtp", total_limit=10, hourly_limit=1).status for dummy in range(16)]
    return statuses, [(user["smtp_user_name"], user["password"]) for user in sim.users()]


def test_same_seed_same_faults_and_names(sim):
    first = outcomes_with_seed(sim, 7)
    assert 200 in first[0] and set(first[0]) != {200}
    assert first == outcomes_with_seed(sim, 7)
    assert first != outcomes_with_seed(sim, 8)


# --- persistence ---

def test_users_survive_a_restart(sim):
    created = add_user(sim)
    port = sim.port
    sim.restart()
    assert sim.port == port
    assert call(sim, "listSmtp").json()["smtp_list"][0]["password"] == created["smtp_password"]
    state_file = os.path.join(os.path.dirname(sim.log_path), "state.json")
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600


# --- admin API ---

def test_request_counters(sim):
    add_user(sim)
    call(sim, "listSmtp")
    call(sim, "editSmtp", smtp_user_name="smtp00000000")
    sim.users()  # admin requests are not counted
    stats = sim.requests()
    assert stats["counts"] == {"addSmtp": 1, "editSmtp": 1, "resetSmtpPassword": 0, "listSmtp": 1}
    assert (stats["total"], stats["writes"]) == (3, 2)
    assert stats["errors"] == {"ValidationError": 1, "AuthenticationError": 0, "GeneralError": 0}


def test_issued_secrets_lists_every_password_ever_issued(sim):
    created = add_user(sim)
    bulk = sim.add_users(1, 10, 1)
    bulk_password = [user["password"] for user in sim.users() if user["smtp_user_name"] == bulk[0]][0]
    reset = call(sim, "resetSmtpPassword", smtp_user_name=created["smtp_user_name"]).json()
    sim.reset()  # the users go, the record of what was issued stays
    issued = sim.issued_secrets()
    assert sim.users() == []
    assert {created["smtp_password"], bulk_password, reset["smtp_password"]} <= set(issued)
    assert len(issued) >= 3 and all(PASSWORD.fullmatch(password) for password in issued)
    assert sim.requests()["total"] == 0  # admin requests are not counted


def test_issued_secrets_include_the_passwords_of_a_restored_state(sim):
    created = add_user(sim)
    sim.restart()
    assert created["smtp_password"] in sim.issued_secrets()


def test_config_defaults_and_update(sim):
    assert sim.config() == {
        "errors_at_200": False, "error_type_key": "name", "limits_as_strings": False, "password_key": "password",
        "status_style": "string",
        "fault_rate": 0.0, "fault_kinds": ["html502", "html503", "html504", "json500", "429"],
        "fault_calls": ["addSmtp", "editSmtp", "resetSmtpPassword", "listSmtp"],
        "drop_rate": 0.0, "drop_calls": ["addSmtp", "resetSmtpPassword"], "latency": 0.0, "retry_after": 1, "seed": 0,
    }
    assert sim.configure(latency=0.01)["latency"] == 0.01


@pytest.mark.parametrize("changes", [
    {"bogus": 1}, {"fault_rate": 1.5}, {"fault_rate": "0.5"}, {"errors_at_200": 1}, {"error_type_key": "kind"},
    {"password_key": "pw"}, {"status_style": "Enable"}, {"limits_as_strings": "some"}, {"fault_kinds": []},
    {"fault_kinds": ["html500"]}, {"fault_calls": ["deleteSmtp"]},
    {"latency": -1}, {"retry_after": 1.5}, {"seed": "x"}, {"drop_rate": True}, {"drop_calls": ["listSmtp"]},
])
def test_config_refuses_bad_changes(sim, changes):
    with pytest.raises(SimulatorError, match="HTTP 400"):
        sim.configure(**changes)
    assert sim.config()["fault_rate"] == 0.0


def test_reset_can_keep_parts(sim):
    add_user(sim)
    sim.configure(latency=0.01)
    sim.reset(users=False)
    assert len(sim.users()) == 1 and sim.requests()["total"] == 0 and sim.config()["latency"] == 0.0
    with pytest.raises(SimulatorError, match="HTTP 400"):
        sim.reset(users="yes")


def test_unknown_admin_endpoint_and_method(sim):
    assert send(sim.admin_url + "nothing", {}).status == 404
    assert send(sim.admin_url + "reset", method="GET").status == 405
    assert send(sim.admin_url + "config", raw_body=b"{oops").status == 400


def test_bulk_creation_of_10000_users_is_quick(sim):
    started = time.monotonic()
    names = sim.add_users(10000, total_limit=100, hourly_limit=10, status="Disable")
    assert time.monotonic() - started < 5
    assert len(set(names)) == 10000 and all(USER_NAME.fullmatch(name) for name in names)
    smtp_list = call(sim, "listSmtp").json()["smtp_list"]
    assert [entry["smtp_user_name"] for entry in smtp_list] == names
    assert {entry["status"] for entry in smtp_list} == {"Disable"}


@pytest.mark.parametrize("body", [
    {"count": 0, "total_limit": 1, "hourly_limit": 1},
    {"count": 1, "total_limit": 1},
    {"count": 1, "total_limit": 1, "hourly_limit": 1, "status": "On"},
    {"count": 1, "total_limit": 1, "hourly_limit": 1, "label": "x"},
])
def test_bulk_creation_refuses_bad_bodies(sim, body):
    assert send(sim.admin_url + "users", body).status == 400


def test_smtp_auth(sim):
    created = add_user(sim)
    name, password = created["smtp_user_name"], created["smtp_password"]
    assert sim.smtp_auth(name, password) == {"ok": True, "user": name}
    assert sim.smtp_auth(name, password + "x") == {"ok": False, "reason": "bad password"}
    assert sim.smtp_auth("smtp00000000", password) == {"ok": False, "reason": "unknown user"}
    call(sim, "editSmtp", smtp_user_name=name, status="Disable")
    assert sim.smtp_auth(name, password) == {"ok": False, "reason": "user disabled"}


def test_smtp_send_hourly_limit(sim):
    name = add_user(sim, total_limit=10, hourly_limit=2)["smtp_user_name"]
    assert [sim.smtp_send(name) for dummy in range(3)] == [
        {"ok": True, "sent": 1}, {"ok": True, "sent": 2}, {"ok": False, "reason": "hourly limit reached"}]
    assert sim.users()[0]["sent"] == 2


def test_smtp_send_total_limit(sim):
    name = add_user(sim, total_limit=1, hourly_limit=5)["smtp_user_name"]
    assert sim.smtp_send(name) == {"ok": True, "sent": 1}
    assert sim.smtp_send(name) == {"ok": False, "reason": "total limit reached"}
    assert sim.smtp_send("smtp00000000") == {"ok": False, "reason": "unknown user"}


# --- separate simulators: logging, TLS, the CLI runner ---

def test_verbose_log_has_one_line_per_request_and_no_secrets(tmp_path):
    simulator = Simulator().start(str(tmp_path), verbose=True)
    try:
        created = add_user(simulator)
    finally:
        assert simulator.stop() == 0
    log = (tmp_path / "simulator.log").read_text()
    assert "POST /v1.0/settings/addSmtp 200" in log
    assert DEFAULT_TOKEN not in log and created["smtp_password"] not in log


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_https(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    with Simulator().start(str(tmp_path), tls_cert=cert, tls_key=key) as simulator:
        assert simulator.api_url.startswith("https://127.0.0.1:")
        reply = send(simulator.api_url + "settings/listSmtp", credentials(simulator), ssl_context=ssl.create_default_context(cafile=cert))
        assert reply.status == 200 and reply.json()["smtp_list"] == []
        assert simulator.requests()["counts"]["listSmtp"] == 1


RUN_CHECK = """
import json, os, sys, urllib.request
body = json.dumps({"owner_id": os.environ["SENDCLEAN_OWNER_ID"], "token": os.environ["SENDCLEAN_TOKEN"]}).encode()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
reply = json.load(opener.open(os.environ["SENDCLEAN_API_URL"] + "settings/listSmtp", body))
counts = json.load(opener.open(os.environ["SENDCLEAN_SIM_ADMIN_URL"] + "requests"))["counts"]
sys.exit(7 if reply["status"] == "success" and counts["listSmtp"] == 1 else 1)
"""


def test_cli_run_passes_the_environment_and_the_exit_code(tmp_path):
    config_out, env_out = tmp_path / "integration_config.yml", tmp_path / "env.sh"
    command = [sys.executable, HARNESS_SCRIPT, "run", "--workdir", str(tmp_path / "work"), "--config-out", str(config_out),
               "--env-out", str(env_out), "--", sys.executable, "-c", RUN_CHECK]
    assert subprocess.run(command, timeout=60, check=False).returncode == 7
    config_lines = config_out.read_text().splitlines()
    assert [line.split(":")[0] for line in config_lines] == ["sendclean_api_url", "sendclean_admin_url", "sendclean_owner_id", "sendclean_token"]
    assert 'sendclean_token: "%s"' % DEFAULT_TOKEN in config_lines
    assert "export SENDCLEAN_TOKEN=%s" % DEFAULT_TOKEN in env_out.read_text().splitlines()
    assert stat.S_IMODE(os.stat(str(env_out)).st_mode) == 0o600


def test_simulator_ends_with_the_process_that_started_it(tmp_path):
    """A test process that dies without teardown (ansible-test forks each unit test) must not leave a simulator."""
    script = ("import os, sys; sys.path.insert(0, %r); from harness import Simulator; "
              "sim = Simulator().start(%r); print(sim.process.pid, flush=True); os._exit(0)") % (SIMULATOR_DIR, str(tmp_path))
    pid = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30).stdout)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists("/proc/%d" % pid) and "Z" not in process_state(pid):
        time.sleep(0.1)
    assert not os.path.exists("/proc/%d" % pid) or "Z" in process_state(pid), "the simulator outlived its parent"


def process_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
