"""Anonymous follow-up: receipt codes, replies only the code opens, more details later."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tipsite.core import envelope, payload, receipt
from tipsite.site.config import SiteConfig
from tipsite.site.replies import ReplyBox

from .support.keyfiles import KeyFiles
from .support.servers import LiveServer
from .support.tips import a_tip, open_all
from .support.visitor import Visitor, csrf_token_in

CODE = re.compile(r'class="receipt-code"[^>]*>([\d ]{24})<')


def salt_of(settings: SiteConfig) -> bytes:
    """The receipt salt the site made for itself in its instance folder."""
    return receipt.instance_salt(settings.instance)


def code_from(page: str) -> str:
    match = CODE.search(page)
    assert match, "the thank-you page shows no receipt code"
    return match.group(1)


def send_tip(client: FlaskClient) -> str:
    """Send a tip through the form and return the receipt code the tipster sees."""
    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    reply = client.post("/da/tip", data={"csrf_token": token, **a_tip()})
    assert reply.status_code == 303
    return code_from(client.get("/da/thanks").get_data(as_text=True))


def post_followup(client: FlaskClient, code: str, action: str = "read", message: str = ""
                  ) -> tuple[int, str]:
    token = csrf_token_in(client.get("/da/followup").get_data(as_text=True))
    reply = client.post("/da/followup", data={"csrf_token": token, "code": code,
                                              "action": action, "message": message})
    return reply.status_code, reply.get_data(as_text=True)


def staff_reply(settings: SiteConfig, tip_doc: dict[str, object], text: str) -> None:
    """What `hotline reply` does: seal to the tip's reply key, file under its lookup id."""
    reply_to = tip_doc["reply_to"]
    assert isinstance(reply_to, dict)
    sealed = envelope.seal(payload.reply_document(text, payload.utc_now()),
                           receipt.reply_public_key(reply_to["key"]))
    ReplyBox(settings.replies).store(reply_to["lookup"], secrets.token_hex(16), sealed)


def test_the_code_is_shown_once_in_groups_of_four(client: FlaskClient) -> None:
    code = send_tip(client)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4} \d{4}", code)
    again = client.get("/da/thanks").get_data(as_text=True)
    assert not CODE.search(again)


def test_the_sealed_tip_carries_the_lookup_id_and_reply_key_of_its_code(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    code = send_tip(client)
    [doc] = open_all(settings.inbox, key_files.pair)
    derived = receipt.derive(code, salt_of(settings))
    assert doc["reply_to"] == {"derivation": "receipt-v2", "lookup": derived.lookup,
                               "key": derived.public_b64}


def test_a_reply_is_read_with_the_code_and_then_deleted(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    code = send_tip(client)
    [doc] = open_all(settings.inbox, key_files.pair)
    staff_reply(settings, doc, "Tak. Hvilken indgang brugte de – for eller bag?")
    status, page = post_followup(client, code)
    assert status == 200
    assert "Hvilken indgang brugte de – for eller bag?" in page
    status, page = post_followup(client, code, "delete")
    assert "Hvilken indgang" not in page
    assert not any(settings.replies.rglob("*/*")) or all(
        p.parent.name == "tmp" for p in settings.replies.rglob("*") if p.is_file())
    assert "Hvilken indgang" not in post_followup(client, code)[1]


def test_a_reply_cannot_be_opened_with_another_code(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    send_tip(client)
    [doc] = open_all(settings.inbox, key_files.pair)
    staff_reply(settings, doc, "Kun til den rigtige kode")
    # Another code's key cannot open it, even filed under the same lookup id.
    other = receipt.derive("9999 8888 7777 6666 5555", salt_of(settings))
    sealed = ReplyBox(settings.replies).replies(str(doc["reply_to"]["lookup"]))  # type: ignore[index]
    from tipsite.core.errors import EnvelopeError
    from tipsite.core.keys import KeyPair

    with pytest.raises(EnvelopeError):
        envelope.open_envelope(sealed[0], [KeyPair(other.private)])
    assert "Kun til den rigtige kode" not in post_followup(client, "9999 8888 7777 6666 5555")[1]


def test_wrong_and_unknown_codes_get_the_same_answer_in_the_same_shape(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    code = send_tip(client)  # a real code, with no reply yet
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    answers = []
    for typed in (code, wrong, "0000 0000 0000 0000 0001"):
        status, page = post_followup(client, typed)
        shape = re.sub(r'value="[^"]*"', 'value=""', page)
        answers.append((status, shape))
    assert answers[0] == answers[1] == answers[2]


def test_more_details_arrive_sealed_and_linked_to_the_tip(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles
) -> None:
    code = send_tip(client)
    status, page = post_followup(client, code, "add", "Bilen var en grå VW Caddy, CX 98 765")
    assert status == 200
    assert 'class="notice done" role="status"' in page
    followup, tip = sorted(open_all(settings.inbox, key_files.pair), key=lambda d: str(d["kind"]))
    assert followup["kind"] == "followup"
    assert followup["fields"] == {"message": "Bilen var en grå VW Caddy, CX 98 765"}
    assert followup["reply_to"] == tip["reply_to"]


def test_a_malformed_code_gets_a_clear_error(client: FlaskClient) -> None:
    status, page = post_followup(client, "12345")
    assert status == 400
    assert 'id="code-error"' in page


def test_the_code_and_reply_text_are_never_in_any_file(
    client: FlaskClient, settings: SiteConfig, key_files: KeyFiles, tmp_path: Path, app: Flask
) -> None:
    code = send_tip(client)
    [doc] = open_all(settings.inbox, key_files.pair)
    staff_reply(settings, doc, "SVAR-TEKST-123")
    post_followup(client, code, "add", "FOLLOWUP-TEKST-456")
    derived = receipt.derive(code, salt_of(settings))
    secrets_ = [code.encode(), code.replace(" ", "").encode(), b"SVAR-TEKST", b"FOLLOWUP-TEKST",
                bytes(derived.private), bytes(derived.private).hex().encode()]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets_:
                assert secret not in data, (path, secret)


@pytest.mark.slow
@pytest.mark.live
def test_guessing_codes_hits_the_rate_limit(tmp_path: Path, site_env: dict[str, str]) -> None:
    from .support.servers import start_gunicorn, stop_gunicorn

    env = {**site_env, "TIPSITE_RATELIMITS": "5 per hour", "WEB_CONCURRENCY": "1"}
    server: LiveServer = start_gunicorn(env, tmp_path / "guess.log")
    try:
        guesser = Visitor(server.url)
        statuses = []
        for guess in range(7):
            token = csrf_token_in(guesser.get("/da/followup").body)
            reply = guesser.post_form("/da/followup", [("csrf_token", token),
                                                       ("code", f"{guess:020d}")])
            statuses.append(reply.status)
        assert statuses == [200] * 5 + [429] * 2
        assert "70 20 25 50" in reply.body
    finally:
        stop_gunicorn(server)


@pytest.mark.parametrize("fields", [
    {"code": "1234 5678 9012 3456 7890"},  # no form token: another site's post
    {"code": "not a code", "csrf_token": "x"},
])
def test_the_thanks_page_shows_no_code_it_did_not_get_from_its_own_form(
    client: FlaskClient, fields: dict[str, str]
) -> None:
    if "csrf_token" in fields:
        send_tip(client)  # a real page with a real switch form first
    reply = client.post("/en/thanks", data=fields)
    assert reply.status_code == 400
    assert not CODE.search(reply.get_data(as_text=True))


def test_the_thanks_language_switch_posts_the_code_and_never_puts_it_in_a_url(
    client: FlaskClient,
) -> None:
    token = csrf_token_in(client.get("/da/").get_data(as_text=True))
    client.post("/da/tip", data={"csrf_token": token, **a_tip()})
    page = client.get("/da/thanks").get_data(as_text=True)
    code = code_from(page)
    assert 'action="/en/thanks"' in page and f'name="code" value="{code}"' in page
    urls = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert urls and not any(code[:4] in url or code[-4:] in url for url in urls)
    switched = client.post("/en/thanks", data={"csrf_token": csrf_token_in(page), "code": code})
    assert switched.status_code == 200 and code_from(switched.get_data(as_text=True)) == code


def test_each_site_makes_its_own_receipt_salt_once(tmp_path: Path) -> None:
    """One guess must never test two sites' lookup ids at once (issue 11, finding 2)."""
    first = receipt.instance_salt(tmp_path / "a")
    assert receipt.instance_salt(tmp_path / "a") == first  # made once, then read
    assert len(first) == receipt.SALT_BYTES
    other = receipt.instance_salt(tmp_path / "b")
    assert other != first
    code = receipt.new_code()
    assert receipt.derive(code, first).lookup != receipt.derive(code, other).lookup


@pytest.mark.parametrize("value", ["abc", "00" * 15, "zz" * 16])
def test_a_bad_receipt_salt_setting_stops_the_site_with_a_hint(value: str) -> None:
    from tipsite.core.errors import ConfigError
    from tipsite.site.config import load_config

    with pytest.raises(ConfigError, match="TIPSITE_RECEIPT_SALT must be 32 hex digits"):
        load_config({"TIPSITE_RECEIPT_SALT": value})


def test_a_configured_receipt_salt_is_the_one_used(settings: SiteConfig) -> None:
    from dataclasses import replace

    from tipsite.site.app import create_app

    app = create_app(replace(settings, receipt_salt="ab" * 16), TESTING=True)
    assert app.config["RECEIPT_SALT"] == bytes.fromhex("ab" * 16)
    assert not (settings.instance / receipt.SALT_FILE).exists()
