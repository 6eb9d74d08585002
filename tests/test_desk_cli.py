"""``hotline user`` and ``hotline desk`` at the command line, as an admin types them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tipsite.hotline import trail
from tipsite.hotline.accounts import Accounts

from .support.hotline import hotline, hotline_process, staff_env
from .support.keyfiles import PASSPHRASE

METTE = "kalkun vindue snegl paraply fyrtårn"
JONAS = "blæksprutte cykelhjelm solsikke trappe kompas"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A store with the centre's key in its keyring (HOTLINE_PASSPHRASE opens it)."""
    env = staff_env(tmp_path, PASSPHRASE)
    made = hotline(["keygen"], env)
    assert made.returncode == 0, made.stderr
    return env


def add(env: dict[str, str], name: str, passphrase: str, *flags: str, process: bool = False
        ) -> subprocess.CompletedProcess[str]:
    run = hotline_process if process else hotline
    return run(["user", "add", name, *flags], {**env, "HOTLINE_NEW_PASSPHRASE": passphrase})


def test_an_admin_adds_lists_and_removes_accounts(env: dict[str, str], tmp_path: Path) -> None:
    store = Path(env["HOTLINE_STORE"])
    made = add(env, "Mette", METTE, "--admin")
    assert made.returncode == 0, made.stderr
    assert "Mette can now log in to the desk as an admin" in made.stderr
    assert add(env, "jonas", JONAS).returncode == 0
    listed = hotline(["user", "list"], env)
    assert listed.returncode == 0
    rows = [line.split()[:2] for line in listed.stdout.splitlines()]
    assert rows == [["jonas", "staff"], ["Mette", "admin"]]
    # The new account opens the centre's key with its own passphrase, not the centre's.
    login = Accounts(store).login("mette", METTE)
    assert len(login.centre_keys) == 1
    removed = hotline(["user", "remove", "jonas"], env)
    assert removed.returncode == 0, removed.stderr
    assert [a.name for a in Accounts(store).list()] == ["Mette"]
    actions = [(line.action, line.subject) for line in trail.lines(store)]
    assert actions == [("user-remove", "jonas"), ("user-add", "jonas"), ("user-add", "Mette")]


def test_the_first_account_must_be_an_admin(env: dict[str, str]) -> None:
    refused = add(env, "jonas", JONAS)
    assert refused.returncode == 1
    assert "error: the first account must be an admin" in refused.stderr
    assert "hint: hotline user add jonas --admin" in refused.stderr


def test_a_weak_passphrase_or_a_wrong_centre_passphrase_adds_nothing(
        env: dict[str, str]) -> None:
    weak = add(env, "mette", "sommer2024", "--admin")
    assert weak.returncode == 1 and "passphrase refused" in weak.stderr
    assert "Traceback" not in weak.stderr
    wrong = add({**env, "HOTLINE_PASSPHRASE": "not the centre passphrase"}, "mette", METTE,
                "--admin")
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    assert hotline(["user", "list"], env).stderr.startswith("No accounts yet")


def test_the_last_admin_cannot_be_removed_while_others_depend_on_it(
        env: dict[str, str]) -> None:
    assert add(env, "mette", METTE, "--admin").returncode == 0
    assert add(env, "jonas", JONAS).returncode == 0
    refused = hotline(["user", "remove", "mette"], env)
    assert refused.returncode == 1 and "last admin" in refused.stderr
    unknown = hotline(["user", "remove", "nobody"], env)
    assert unknown.returncode == 1 and "there is no account 'nobody'" in unknown.stderr


def test_the_desk_refuses_the_network_without_tls_and_a_desk_nobody_can_use(
        env: dict[str, str]) -> None:
    empty = hotline(["desk"], env)
    assert empty.returncode == 1 and "no staff account yet" in empty.stderr
    assert add(env, "mette", METTE, "--admin").returncode == 0
    open_net = hotline(["desk", "--bind", "0.0.0.0:5100"], env)
    assert open_net.returncode == 1 and "without TLS" in open_net.stderr
    half = hotline(["desk", "--bind", "0.0.0.0:5100", "--cert", __file__], env)
    assert half.returncode == 1 and "both --cert FILE and --key FILE" in half.stderr
    bad = hotline(["desk", "--bind", "5100"], env)
    assert bad.returncode == 1 and "HOST:PORT" in bad.stderr


@pytest.mark.live  # it runs hotline desk as a process (which refuses before serving)
def test_the_desk_without_its_web_parts_says_how_to_install_them(
        env: dict[str, str], tmp_path: Path) -> None:
    poisoned = tmp_path / "poisoned"
    for name in ("flask", "flask_wtf", "flask_babel", "werkzeug", "gunicorn"):
        (poisoned / name).mkdir(parents=True)
        (poisoned / name / "__init__.py").write_text(f"raise ImportError(name='{name}')\n")
    no_web = {**env, "PYTHONPATH": str(poisoned)}
    # Real processes: the poisoned import path must be the one Python starts with.
    made = add(no_web, "mette", METTE, "--admin", process=True)
    assert made.returncode == 0, made.stderr  # accounts need no Flask
    refused = hotline_process(["desk"], no_web)
    assert refused.returncode == 1
    assert "the desk's web parts are not installed" in refused.stderr
    assert "pip install 'tipsite[desk]'" in refused.stderr
