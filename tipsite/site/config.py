"""The site's configuration: defaults in code, overridden by ``TIPSITE_*`` variables.

Everything is read and checked once, at start-up; a bad value stops the site
with a message that says what to do (see README, "Configuration"). Code that
serves a request reads it with :func:`site_config`.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tipsite.core.durable import made_once
from tipsite.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]  # the checkout: keys/, templates/, static/
# The first is the default for pages without a language; `/` falls back to English.
# Adding one: docs/translating.md.
LANGUAGES = ("da", "en", "pl", "ro", "uk", "lt", "bg")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
CONFIG_KEY = "TIPSITE"  # where the app keeps its SiteConfig (app.config[CONFIG_KEY])


@dataclass(frozen=True)
class SiteConfig:
    """Checked configuration of one site process."""

    public_key: Path
    inbox: Path
    instance: Path
    replies: Path
    secret_key: str = ""
    accessibility_url: str = ""  # the statement on was.digst.dk; empty: our own page
    # Per client (a keyed hash of the address): every post counts, junk included.
    ratelimits: str = "5 per minute;30 per hour"
    # Everyone together, counting only tips and messages that would be stored; sized
    # from what an accepted tip costs (docs/performance.md, "Sizing the global limit").
    # No hourly window: a burst must not close the form for an hour.
    ratelimit_global: str = "1200 per minute"
    ratelimit_enabled: bool = True
    ratelimit_storage: str = "memory://"
    proxies: int = 0  # trusted reverse proxies in front; 0: ignore X-Forwarded-*
    onion_address: str = ""  # e.g. "abc…xyz.onion": advertised in Onion-Location
    staff_token_sha256: str = ""  # hex SHA-256 of the staff API token; empty: no API
    reply_days: int = 90  # replies are deleted this many days after they arrive
    receipt_salt: str = ""  # 32 hex digits shared by every node; empty: instance/receipt_salt
    # Who answers the tips: shown on every page and in the deploy kit's error pages.
    centre_name: str = "Center mod Menneskehandel"
    centre_phone: str = "+45 70 20 25 50"  # with the country code; pages show the rest
    centre_email: str = ""  # empty: no e-mail address is shown

    def __repr__(self) -> str:  # the secret key never reaches a log
        return f"SiteConfig(public_key={self.public_key}, inbox={self.inbox})"

    @property
    def phone_shown(self) -> str:
        """The hotline number as people in the country write it: without the country code."""
        return self.centre_phone.split(" ", 1)[1]

    @property
    def phone_link(self) -> str:
        """A ``tel:`` address with the country code, so a phone from abroad dials it too."""
        return "tel:" + self.centre_phone.replace(" ", "")


def site_config() -> SiteConfig:
    """The configuration of the app serving this request (set by ``create_app``)."""
    from flask import current_app  # here: `tipsite` must start without Flask to say so

    config: SiteConfig = current_app.config[CONFIG_KEY]
    return config


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def load_config(env: Mapping[str, str] | None = None) -> SiteConfig:
    """Read and check ``TIPSITE_*`` variables from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    instance = _path(env, "TIPSITE_INSTANCE", ROOT / "instance")
    return SiteConfig(
        public_key=_path(env, "TIPSITE_PUBLIC_KEY", ROOT / "keys" / "centre.pub"),
        inbox=_path(env, "TIPSITE_INBOX", instance / "inbox"),
        instance=instance,
        replies=_path(env, "TIPSITE_REPLIES", instance / "replies"),
        secret_key=env.get("TIPSITE_SECRET_KEY", ""),
        accessibility_url=env.get("TIPSITE_ACCESSIBILITY_URL", "").strip(),
        ratelimits=_limits(env, "TIPSITE_RATELIMITS", SiteConfig.ratelimits),
        ratelimit_global=_limits(env, "TIPSITE_RATELIMIT_GLOBAL", SiteConfig.ratelimit_global),
        ratelimit_enabled=_flag(env, "TIPSITE_RATELIMIT_ENABLED", True),
        ratelimit_storage=_storage(env.get("TIPSITE_RATELIMIT_STORAGE", "").strip()),
        proxies=_count(env, "TIPSITE_PROXIES"),
        onion_address=_onion(env.get("TIPSITE_ONION_ADDRESS", "").strip()),
        staff_token_sha256=_sha256(env.get("TIPSITE_STAFF_TOKEN_SHA256", "").strip()),
        reply_days=_days(env, "TIPSITE_REPLY_DAYS", 90),
        receipt_salt=_receipt_salt(env.get("TIPSITE_RECEIPT_SALT", "").strip()),
        centre_name=_centre_name(env.get("TIPSITE_CENTRE_NAME", "").strip()
                                 or SiteConfig.centre_name),
        centre_phone=_phone(env.get("TIPSITE_CENTRE_PHONE", "").strip()
                            or SiteConfig.centre_phone),
        centre_email=_email(env.get("TIPSITE_CENTRE_EMAIL", "").strip()),
    )


def _centre_name(value: str) -> str:
    if len(value) > 100 or not value.isprintable():
        raise ConfigError(
            f"TIPSITE_CENTRE_NAME={value!r}: give the centre's name on one line, "
            "at most 100 characters, e.g. 'Center mod Menneskehandel'"
        )
    return value


def _phone(value: str) -> str:
    # The country code makes the tel: link work on a phone from abroad (a migrant
    # worker's); the pages show the number without it, as people there write it.
    value = " ".join(value.split())
    if not re.fullmatch(r"\+[1-9][0-9]{0,2}( [0-9]{1,6}){1,6}", value):
        raise ConfigError(
            f"TIPSITE_CENTRE_PHONE={value!r}: write the hotline number with its country "
            "code first, digits in groups, e.g. '+45 70 20 25 50' "
            "(pages show 70 20 25 50 and phones dial +4570202550)"
        )
    return value


def _email(value: str) -> str:
    if value and (len(value) > 254 or not re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[a-zA-Z]{2,}",
                                                        value)):
        raise ConfigError(
            f"TIPSITE_CENTRE_EMAIL={value!r}: give one e-mail address, e.g. "
            "'hotline@example.dk', or leave it empty to show none"
        )
    return value


def _receipt_salt(value: str) -> str:
    if value:
        from tipsite.core.receipt import parse_salt  # checked at start, like every setting

        parse_salt(value)
    return value.lower()


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip() or str(default)
    if not value.isdigit() or not 1 <= int(value) <= 3650:
        raise ConfigError(f"{name}={value!r}: give a number of days from 1 to 3650")
    return int(value)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r}: use 1 or 0")


def _count(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip() or "0"
    if not value.isdigit() or int(value) > 5:
        raise ConfigError(f"{name}={value!r}: give the number of trusted proxies, 0 to 5")
    return int(value)


def _limits(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    from limits import parse_many  # Flask-Limiter's own notation, checked at start

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name}={value!r} is not a rate limit; write e.g. '5 per minute;30 per hour'"
        ) from None
    return value


def _storage(value: str) -> str:
    if not value:
        return "memory://"
    if not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
        raise ConfigError(
            f"TIPSITE_RATELIMIT_STORAGE={value!r}: use memory:// or redis://host:port"
        )
    return value


def _onion(value: str) -> str:
    if value and not re.fullmatch(r"[a-z2-7]{56}\.onion", value):
        raise ConfigError(
            f"TIPSITE_ONION_ADDRESS={value!r}: give the v3 onion host name (56 letters + .onion)"
        )
    return value


def _sha256(value: str) -> str:
    if value and not re.fullmatch(r"[0-9a-f]{64}", value.lower()):
        raise ConfigError("TIPSITE_STAFF_TOKEN_SHA256 must be 64 hex digits (sha256sum)")
    return value.lower()


def instance_secret_key(instance: Path) -> str:
    """The secret key kept in the instance folder, made once and shared by all workers."""
    path = instance / SECRET_KEY_FILE
    try:
        key = made_once(path, secrets.token_hex(32)).strip()  # read once, before workers fork
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the secret key in {path}: {exc.strerror}. "
            "Set TIPSITE_SECRET_KEY or make the instance folder writable."
        ) from None
    if len(key) < 32:
        raise ConfigError(f"{path} holds a secret key that is too short; delete the file")
    return key
