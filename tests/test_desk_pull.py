"""The desk pulls from a real site (gunicorn, staff API): on the button, with the same
key check as ``hotline pull``, and a swapped key is an alarm for everyone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tipsite.core import keys
from tipsite.desk.app import create_desk
from tipsite.desk.config import DeskConfig
from tipsite.hotline import trail

from .support.hotline import hotline, staff_worker_env
from .support.keyfiles import KeyFiles
from .support.servers import STAFF_TOKEN, LiveServer
from .support.tips import deliver

METTE = "kalkun vindue snegl paraply fyrtårn"
JONAS = "blæksprutte cykelhjelm solsikke trappe kompas"


def waiting(site_env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in (Path(site_env["TIPSITE_INBOX"]) / "new").iterdir())


def logged_in(desk: object, name: str, passphrase: str) -> FlaskClient:
    client: FlaskClient = desk.test_client()  # type: ignore[attr-defined]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    client.post("/login", data={"username": name, "passphrase": passphrase,
                                "csrf_token": token.group(1)})
    return client


def press_pull(client: FlaskClient) -> str:
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token and "Hent nye tips nu" in page
    pulled = client.post("/pull", data={"csrf_token": token.group(1)})
    assert pulled.status_code == 302
    return client.get("/").get_data(as_text=True)


@pytest.mark.live
def test_the_desk_pulls_tips_and_a_swapped_key_stops_it_for_everyone(
        tmp_path: Path, staff_server: LiveServer, site_env: dict[str, str],
        key_files: KeyFiles) -> None:
    env = staff_worker_env(tmp_path, key_files.private, STAFF_TOKEN)
    first = hotline(["pull", staff_server.url, "--token-file", str(tmp_path / "staff.token")],
                    env)
    assert first.returncode == 0, first.stderr  # the site and token file are remembered
    for name, passphrase, flags in (("mette", METTE, ["--admin"]), ("jonas", JONAS, [])):
        made = hotline(["user", "add", name, *flags],
                       {**env, "HOTLINE_NEW_PASSPHRASE": passphrase})
        assert made.returncode == 0, made.stderr
    store = Path(env["HOTLINE_STORE"])
    desk = create_desk(DeskConfig(store, "127.0.0.1", 5100, pull_minutes=0))
    mette, jonas = logged_in(desk, "mette", METTE), logged_in(desk, "jonas", JONAS)

    names = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 2,
                    location="Ærøvej 1")
    inbox = press_pull(mette)
    assert "Seneste hentning" in inbox and "2 nye kuverter" in inbox
    assert all(name[:8] in inbox for name in names)
    assert waiting(site_env) == []  # moved: deleted on the server once stored

    intruder = keys.generate()
    # Whoever took the server puts their own public key where the centre's was.
    Path(site_env["TIPSITE_PUBLIC_KEY"]).write_text(keys.public_key_text(intruder.public))
    later = deliver(Path(site_env["TIPSITE_INBOX"]), key_files.pair.public, 1)
    stopped = press_pull(mette)
    assert "STOP: stol ikke på siden" in stopped and intruder.fingerprint in stopped
    # Everyone logged in sees it, on every page, and nothing was taken off the site.
    assert "STOP: stol ikke på siden" in jonas.get(f"/c/{names[0]}").get_data(as_text=True)
    assert waiting(site_env) == later
    pulls = [line for line in trail.lines(store) if line.action == "pull"]
    assert pulls[0].actor == "mette" and pulls[0].detail.startswith("STOP")
    assert pulls[1].detail == "2 new, 0 already here"
