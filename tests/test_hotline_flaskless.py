"""``hotline`` runs on a staff machine where Flask cannot even be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tipsite.core import keys

from .support.hotline import hotline_process as hotline
from .support.hotline import staff_env
from .support.keyfiles import PASSPHRASE
from .support.tips import deliver


@pytest.fixture
def no_flask_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose first import path holds a ``flask`` that refuses to load."""
    poisoned = tmp_path / "poisoned"
    for name in ("flask", "flask_wtf", "flask_limiter", "flask_babel", "werkzeug"):
        (poisoned / name).mkdir(parents=True)
        (poisoned / name / "__init__.py").write_text(
            f"raise ImportError('{name} is not installed on this staff machine')\n"
        )
    return staff_env(tmp_path, PASSPHRASE, PYTHONPATH=str(poisoned))


def test_flask_really_is_unimportable_there(no_flask_env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-c", "import flask"], env=no_flask_env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "not installed on this staff machine" in result.stderr


def test_keygen_list_show_import_and_export_work_without_flask(
    tmp_path: Path, no_flask_env: dict[str, str]
) -> None:
    env = no_flask_env
    made = hotline(["keygen", "--out", str(tmp_path / "k")], env)
    assert made.returncode == 0, made.stderr
    key = tmp_path / "k" / "centre.key"
    inbox = tmp_path / "inbox"
    [name] = deliver(inbox, keys.read_private_key_public_part(key), 1, location="Ærøvej 1")
    listed = hotline(["list", "--inbox", str(inbox), "--key", str(key)], env)
    assert listed.returncode == 0, listed.stderr
    assert name[:8] in listed.stdout and "Ærøvej 1" in listed.stdout
    for fmt in ("json", "csv", "html"):
        out = tmp_path / f"tips.{fmt}"
        exported = hotline(["export", "--inbox", str(inbox), "--key", str(key),
                            "--format", fmt, "--out", str(out)], env)
        assert exported.returncode == 0, exported.stderr
        assert "Ærøvej 1" in out.read_text(encoding="utf-8-sig")
    assert json.loads((tmp_path / "tips.json").read_text())[0]["id"] == name
    # The store side too: keyring, import, triage.
    assert hotline(["keys", "--add", str(key)], env).returncode == 0
    assert hotline(["import", str(inbox)], env).returncode == 0
    shown = hotline(["show", name[:6]], env)
    assert shown.returncode == 0 and "Ærøvej 1" in shown.stdout
    assert hotline(["done", name[:6]], env).returncode == 0
    assert "handled" in hotline(["list"], env).stdout


def test_the_site_command_says_plainly_that_the_site_is_not_installed(
    no_flask_env: dict[str, str]
) -> None:
    result = subprocess.run([sys.executable, "-m", "tipsite.site.cli", "check"], env=no_flask_env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "the web site is not installed here" in result.stderr
    assert "Traceback" not in result.stderr
