"""The site's configuration: defaults in code, overridden by ``TIPSITE_*`` variables.

Everything is read and checked once, at start-up; a bad value stops the site
with a message that says what to do (see README, "Configuration").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tipsite.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent  # the checkout: keys/, templates/, static/
LANGUAGES = ("da", "en")  # the first is the default; adding one: see README
SECRET_KEY_FILE = "secret_key"


@dataclass(frozen=True)
class Settings:
    """Checked configuration of one site process."""

    public_key: Path
    inbox: Path
    instance: Path
    secret_key: str = ""
    accessibility_url: str = ""  # the statement on was.digst.dk; empty: our own page

    def __repr__(self) -> str:  # the secret key never reaches a log
        return f"Settings(public_key={self.public_key}, inbox={self.inbox})"


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read ``TIPSITE_*`` settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    instance = _path(env, "TIPSITE_INSTANCE", ROOT / "instance")
    return Settings(
        public_key=_path(env, "TIPSITE_PUBLIC_KEY", ROOT / "keys" / "centre.pub"),
        inbox=_path(env, "TIPSITE_INBOX", instance / "inbox"),
        instance=instance,
        secret_key=env.get("TIPSITE_SECRET_KEY", ""),
        accessibility_url=env.get("TIPSITE_ACCESSIBILITY_URL", "").strip(),
    )


def instance_secret_key(instance: Path) -> str:
    """The secret key kept in the instance folder, made once and shared by all workers."""
    path = instance / SECRET_KEY_FILE
    try:
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # Write aside, then link: link fails if another worker won the race,
            # so every worker ends up reading the same complete key.
            draft = instance / f".{SECRET_KEY_FILE}.{secrets.token_hex(8)}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the secret key in {path}: {exc.strerror}. "
            "Set TIPSITE_SECRET_KEY or make the instance folder writable."
        ) from None
    if len(key) < 32:
        raise ConfigError(f"{path} holds a secret key that is too short; delete the file")
    return key
