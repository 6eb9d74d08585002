"""The staff API: off unless configured, bearer token checked by hash, nothing logged."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tipsite.site.app import create_app
from tipsite.site.config import load_config

from .support.keyfiles import KeyFiles
from .support.servers import STAFF_TOKEN, LiveServer
from .support.tips import deliver
from .support.visitor import Visitor

TOKEN = "staff-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def staff_app(site_env: dict[str, str]) -> Flask:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    settings = load_config({**site_env, "TIPSITE_STAFF_TOKEN_SHA256": digest})
    return create_app(settings, TESTING=True)


@pytest.fixture
def api(staff_app: Flask) -> FlaskClient:
    return staff_app.test_client()


def test_there_is_no_api_without_a_token_hash(client: FlaskClient) -> None:
    for path in ("/staff/v1/key", "/staff/v1/envelopes"):
        assert client.get(path, headers=AUTH).status_code == 404


def test_the_key_fingerprint_is_published_for_the_tool(
    api: FlaskClient, key_files: KeyFiles
) -> None:
    reply = api.get("/staff/v1/key")
    assert reply.status_code == 200
    assert reply.get_json() == {"fingerprint": key_files.pair.fingerprint}


def test_list_fetch_and_delete_with_the_token(
    api: FlaskClient, site_env: dict[str, str], key_files: KeyFiles
) -> None:
    inbox = Path(site_env["TIPSITE_INBOX"])
    names = deliver(inbox, key_files.pair.public, 2)
    listed = api.get("/staff/v1/envelopes", headers=AUTH)
    assert listed.status_code == 200 and sorted(listed.get_json()["envelopes"]) == sorted(names)
    assert listed.headers["Cache-Control"] == "no-store"

    fetched = api.get(f"/staff/v1/envelopes/{names[0]}", headers=AUTH)
    assert fetched.status_code == 200
    assert fetched.mimetype == "application/octet-stream"
    assert fetched.data == (inbox / "new" / names[0]).read_bytes()

    assert api.delete(f"/staff/v1/envelopes/{names[0]}", headers=AUTH).status_code == 204
    assert not (inbox / "new" / names[0]).exists()
    assert api.delete(f"/staff/v1/envelopes/{names[0]}", headers=AUTH).status_code == 404
    assert api.get(f"/staff/v1/envelopes/{names[0]}", headers=AUTH).status_code == 404
    assert api.get("/staff/v1/envelopes", headers=AUTH).get_json() == {"envelopes": [names[1]]}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer "},
        # The server's stored hash is not a token: reading the config gains nothing.
        {"Authorization": f"Bearer {hashlib.sha256(TOKEN.encode()).hexdigest()}"},
    ],
)
def test_a_wrong_token_gets_a_bare_401_and_changes_nothing(
    api: FlaskClient, site_env: dict[str, str], key_files: KeyFiles, headers: dict[str, str]
) -> None:
    inbox = Path(site_env["TIPSITE_INBOX"])
    [name] = deliver(inbox, key_files.pair.public, 1)
    replies = [
        api.get("/staff/v1/envelopes", headers=headers),
        api.get(f"/staff/v1/envelopes/{name}", headers=headers),
        api.delete(f"/staff/v1/envelopes/{name}", headers=headers),
    ]
    for reply in replies:
        assert reply.status_code == 401
        assert reply.get_json() == {"error": "unauthorised"}  # the same, whatever was wrong
        assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert (inbox / "new" / name).exists()


def test_failed_logins_are_limited_in_json_and_the_right_token_still_works(
    api: FlaskClient,
) -> None:
    wrong = {"Authorization": "Bearer guess"}
    replies = [api.get("/staff/v1/envelopes", headers=wrong) for _ in range(12)]
    assert [r.status_code for r in replies[:10]] == [401] * 10
    for limited in replies[10:]:
        assert limited.status_code == 429
        assert limited.get_json() == {"error": "too many failed attempts"}
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Someone sharing the staff's address (NAT, a Tor exit) cannot stop a pull.
    assert api.get("/staff/v1/envelopes", headers=AUTH).status_code == 200
    assert api.get("/staff/v1/envelopes", headers=wrong).status_code == 429


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/staff/v1/nothing-here", 404), ("POST", "/staff/v1/envelopes", 405),
     ("PUT", "/staff/v1/replies/" + "a" * 32 + "/" + "b" * 32, 413)],
)
def test_every_api_error_is_json(api: FlaskClient, method: str, path: str, status: int) -> None:
    data = b"x" * (200 * 1024) if method == "PUT" else None
    reply = api.open(path, method=method, headers=AUTH, data=data)
    assert reply.status_code == status
    assert reply.mimetype == "application/json"
    assert set(reply.get_json()) == {"error"}


def test_successful_calls_do_not_use_up_the_limit(api: FlaskClient) -> None:
    for _ in range(15):
        assert api.get("/staff/v1/envelopes", headers=AUTH).status_code == 200


@pytest.mark.parametrize("name", ["..%2F..%2Fsecret_key", "NOTHEX", "0" * 31, "0" * 33])
def test_only_envelope_names_are_served(api: FlaskClient, name: str) -> None:
    assert api.get(f"/staff/v1/envelopes/{name}", headers=AUTH).status_code == 404
    assert api.delete(f"/staff/v1/envelopes/{name}", headers=AUTH).status_code == 404


def test_the_api_logs_no_names_tokens_or_addresses(
    api: FlaskClient, site_env: dict[str, str], key_files: KeyFiles,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    names = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 2)
    api.get("/staff/v1/envelopes", headers=AUTH)
    api.get(f"/staff/v1/envelopes/{names[0]}", headers=AUTH)
    api.delete(f"/staff/v1/envelopes/{names[0]}", headers=AUTH)
    api.get("/staff/v1/envelopes", headers={"Authorization": "Bearer wrong"})
    logged = caplog.text
    for secret in (*names, TOKEN, "wrong", "127.0.0.1"):
        assert secret not in logged


@pytest.mark.live
def test_on_gunicorn_failures_from_an_address_never_lock_out_the_right_token(
    staff_server: LiveServer,
) -> None:
    """The pen test: 14 wrong tokens, then the staff's right one from the same address."""
    wrong = Visitor(staff_server.url, {"Authorization": "Bearer guess"})
    answers = [wrong.get("/staff/v1/envelopes") for _ in range(25)]  # two workers count apart
    assert {a.status for a in answers} == {401, 429}
    for answer in answers:
        assert answer.headers["Content-Type"] == "application/json"
        if answer.status == 429:
            assert json.loads(answer.body) == {"error": "too many failed attempts"}
            assert int(answer.headers["Retry-After"]) >= 1
    staff = Visitor(staff_server.url, {"Authorization": f"Bearer {STAFF_TOKEN}"})
    for _ in range(4):
        reply = staff.get("/staff/v1/envelopes")
        assert reply.status == 200 and json.loads(reply.body) == {"envelopes": []}
