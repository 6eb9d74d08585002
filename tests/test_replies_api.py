"""PUT /staff/v1/replies/LOOKUP/NAME: sealed replies in, idempotent, token-guarded, quiet."""

from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tipsite.core import envelope, payload, receipt
from tipsite.core.errors import PullError
from tipsite.core.protocol import MAX_REPLY_BYTES
from tipsite.hotline.pull import StaffClient
from tipsite.site.app import create_app
from tipsite.site.config import load_config
from tipsite.site.replies import ReplyBox

from .support.servers import STAFF_TOKEN, LiveServer

TOKEN = STAFF_TOKEN
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CODE = "1234 5678 9012 3456 7890"


@pytest.fixture(scope="module")
def tipster() -> receipt.Receipt:
    return receipt.derive(CODE, bytes(receipt.SALT_BYTES))


@pytest.fixture
def sealed(tipster: receipt.Receipt) -> bytes:
    """A reply sealed to the tipster's reply key, as 'hotline reply' makes it."""
    document = payload.reply_document("Tak for dit tip", payload.utc_now())
    return envelope.seal(document, receipt.reply_public_key(tipster.public_b64))


@pytest.fixture
def api(site_env: dict[str, str]) -> FlaskClient:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    app: Flask = create_app(load_config({**site_env, "TIPSITE_STAFF_TOKEN_SHA256": digest}),
                            TESTING=True)
    return app.test_client()


def stored(site_env: dict[str, str], lookup: str) -> list[bytes]:
    return ReplyBox(Path(site_env["TIPSITE_INSTANCE"]) / "replies").replies(lookup)


def test_a_reply_is_stored_once_however_often_it_is_sent(
    api: FlaskClient, site_env: dict[str, str], tipster: receipt.Receipt, sealed: bytes
) -> None:
    path = f"/staff/v1/replies/{tipster.lookup}/{secrets.token_hex(16)}"
    first = api.put(path, data=sealed, headers=AUTH)
    assert first.status_code == 201
    assert first.headers["Cache-Control"] == "no-store"
    assert api.put(path, data=sealed, headers=AUTH).status_code == 200  # a retry
    assert stored(site_env, tipster.lookup) == [sealed]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"},
     {"Authorization": f"Bearer {hashlib.sha256(TOKEN.encode()).hexdigest()}"}],
)
def test_a_wrong_token_gets_a_bare_401_and_stores_nothing(
    api: FlaskClient, site_env: dict[str, str], tipster: receipt.Receipt, sealed: bytes,
    headers: dict[str, str],
) -> None:
    reply = api.put(f"/staff/v1/replies/{tipster.lookup}/{secrets.token_hex(16)}",
                    data=sealed, headers=headers)
    assert reply.status_code == 401
    assert reply.get_json() == {"error": "unauthorised"}
    assert stored(site_env, tipster.lookup) == []


@pytest.mark.parametrize(
    ("lookup", "name"),
    [("0" * 31, "a" * 32), ("0" * 33, "a" * 32), ("G" * 32, "a" * 32), ("0" * 32, "a" * 31),
     ("0" * 32, "A" * 32), ("..", "a" * 32), ("0" * 32, "..")],
)
def test_only_lookup_ids_and_names_of_the_exact_form_are_taken(
    api: FlaskClient, site_env: dict[str, str], sealed: bytes, lookup: str, name: str
) -> None:
    reply = api.put(f"/staff/v1/replies/{lookup}/{name}", data=sealed, headers=AUTH)
    assert reply.status_code in (400, 404)  # '..' never even reaches the route
    replies = Path(site_env["TIPSITE_INSTANCE"]) / "replies"
    assert [p for p in replies.rglob("*") if p.is_file()] == []


def test_what_is_not_an_envelope_is_refused(
    api: FlaskClient, tipster: receipt.Receipt, site_env: dict[str, str]
) -> None:
    reply = api.put(f"/staff/v1/replies/{tipster.lookup}/{secrets.token_hex(16)}",
                    data=b"Tak for dit tip, in plain text", headers=AUTH)
    assert reply.status_code == 400
    assert stored(site_env, tipster.lookup) == []


def test_a_reply_over_64_kib_is_refused_with_413(
    api: FlaskClient, tipster: receipt.Receipt, site_env: dict[str, str], sealed: bytes
) -> None:
    huge = sealed + bytes(MAX_REPLY_BYTES)
    reply = api.put(f"/staff/v1/replies/{tipster.lookup}/{secrets.token_hex(16)}",
                    data=huge, headers=AUTH)
    assert reply.status_code == 413
    assert stored(site_env, tipster.lookup) == []


def test_the_reply_route_logs_nothing_identifying(
    api: FlaskClient, tipster: receipt.Receipt, sealed: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    name = secrets.token_hex(16)
    api.put(f"/staff/v1/replies/{tipster.lookup}/{name}", data=sealed, headers=AUTH)
    api.put(f"/staff/v1/replies/{tipster.lookup}/{name}", data=sealed,
            headers={"Authorization": "Bearer wrong"})
    for secret in (tipster.lookup, name, TOKEN, "wrong", "127.0.0.1"):
        assert secret not in caplog.text


@pytest.mark.live
def test_over_real_http_a_retried_upload_stores_one_reply_and_a_wrong_token_none(
    staff_server: LiveServer, site_env: dict[str, str], tipster: receipt.Receipt,
    sealed: bytes,
) -> None:
    name = secrets.token_hex(16)
    client = StaffClient(staff_server.url, TOKEN)
    assert client.put_reply(tipster.lookup, name, sealed) is True
    assert client.put_reply(tipster.lookup, name, sealed) is False
    assert stored(site_env, tipster.lookup) == [sealed]

    with pytest.raises(PullError) as refused:
        StaffClient(staff_server.url, "not-the-token").put_reply(
            tipster.lookup, secrets.token_hex(16), sealed)
    assert refused.value.status == 401
    assert tipster.lookup not in str(refused.value)
    assert stored(site_env, tipster.lookup) == [sealed]
    output = staff_server.output()
    for secret in (tipster.lookup, name, TOKEN):
        assert secret not in output
