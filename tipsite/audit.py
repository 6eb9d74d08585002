"""``tipsite check``: audit a deployment against the promises in SECURITY.md.

Each check returns findings; a finding that breaks a promise is a failure and
makes the command exit non-zero. Nothing here changes the deployment.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from limits.storage import storage_from_string

from tipsite import keys
from tipsite.config import SECRET_KEY_FILE, Settings
from tipsite.errors import KeyFileError

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    """One line of the audit."""

    level: str
    text: str


def _others_may(path: Path, bits: int) -> bool:
    return bool(path.stat().st_mode & bits)


def check_key(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """The key must be a readable public key that nobody else can replace."""
    try:
        public = keys.load_public_key(settings.public_key)
    except KeyFileError as exc:
        yield Finding(FAIL, f"public key: {exc}")
        return
    yield Finding(OK, f"public key {settings.public_key}: fingerprint {keys.fingerprint(public)}")
    yield Finding(OK, "compare that fingerprint with 'hotline keys' on the staff machine")
    if _others_may(settings.public_key, stat.S_IWGRP | stat.S_IWOTH):
        yield Finding(FAIL, f"{settings.public_key} is writable by others: they could swap the key")


def check_inbox(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """The inbox must exist, be writable, and be closed to other users."""
    folders = [settings.inbox, settings.inbox / "new", settings.inbox / "tmp"]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        yield Finding(FAIL, f"inbox: {missing[0]} is missing (start the site once to create it)")
        return
    if not os.access(settings.inbox / "new", os.W_OK):
        yield Finding(FAIL, f"inbox {settings.inbox}: not writable by this user")
    open_folders = [f for f in folders if _others_may(f, stat.S_IRWXG | stat.S_IRWXO)]
    if open_folders:
        yield Finding(FAIL, f"inbox folder {open_folders[0]} is open to other users (chmod 700)")
    open_files = [p for p in (settings.inbox / "new").iterdir()
                  if _others_may(p, stat.S_IRWXG | stat.S_IRWXO)]
    if open_files:
        yield Finding(FAIL, f"{len(open_files)} envelope(s) readable by other users (chmod 600)")
    waiting = len(list((settings.inbox / "new").iterdir()))
    yield Finding(OK, f"inbox {settings.inbox}: private, {waiting} envelope(s) waiting")


def check_secret(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """The secret key signs form tokens; it must be set and private."""
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            yield Finding(FAIL, "TIPSITE_SECRET_KEY is shorter than 32 characters")
        else:
            yield Finding(OK, "secret key from TIPSITE_SECRET_KEY")
        return
    path = settings.instance / SECRET_KEY_FILE
    if not path.exists():
        yield Finding(WARN, f"no secret key yet; the site will make {path} at start")
    elif _others_may(path, stat.S_IRWXG | stat.S_IRWXO):
        yield Finding(FAIL, f"{path} is readable by other users (chmod 600)")
    else:
        yield Finding(OK, f"secret key kept in {path}, private")


def check_debug(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """Debug mode shows tracebacks with request data: never in production."""
    if env.get("FLASK_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        yield Finding(FAIL, "FLASK_DEBUG is on: tracebacks could show a tip; unset it")
    else:
        yield Finding(OK, "debug mode off")


def check_transport(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """Tips must travel encrypted: HTTPS from a proxy in front, or an onion service."""
    if settings.onion_address:
        yield Finding(OK, f"onion service advertised: {settings.onion_address}")
    if settings.proxies:
        yield Finding(OK, f"behind {settings.proxies} proxy(ies) that must terminate HTTPS "
                          "(deploy/nginx-tipsite.conf)")
    if not settings.onion_address and not settings.proxies:
        yield Finding(FAIL, "neither HTTPS proxy (TIPSITE_PROXIES) nor onion address "
                            "(TIPSITE_ONION_ADDRESS) configured: tips would travel in clear")


def check_ratelimits(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """Rate limits must be on and their storage reachable."""
    if not settings.ratelimit_enabled:
        yield Finding(FAIL, "rate limiting is off (TIPSITE_RATELIMIT_ENABLED=0): floods pass")
        return
    try:
        reachable = storage_from_string(settings.ratelimit_storage).check()
    except Exception as exc:  # any driver error means the same: unusable
        reachable, detail = False, type(exc).__name__
    else:
        detail = "no answer"
    if not reachable:
        yield Finding(FAIL, f"rate-limit storage {settings.ratelimit_storage} unreachable "
                            f"({detail})")
        return
    yield Finding(OK, f"rate limits on: per client {settings.ratelimits}; "
                      f"everyone {settings.ratelimit_global}; storage "
                      f"{settings.ratelimit_storage.split('@')[-1]}")
    if settings.ratelimit_storage.startswith("memory://"):
        yield Finding(WARN, "in-memory limits count per worker process; use Redis "
                            "(TIPSITE_RATELIMIT_STORAGE=redis://…) for exact limits")


def check_staff_api(settings: Settings, env: Mapping[str, str]) -> Iterator[Finding]:
    """Say whether the staff API is on; the server keeps only the token's hash."""
    if settings.staff_token_sha256:
        yield Finding(OK, "staff API on (only the token's SHA-256 is configured)")
    else:
        yield Finding(WARN, "staff API off (TIPSITE_STAFF_TOKEN_SHA256 unset): staff must "
                            "copy the inbox folder to read tips")


CHECKS: tuple[Callable[[Settings, Mapping[str, str]], Iterator[Finding]], ...] = (
    check_key, check_inbox, check_secret, check_debug, check_transport, check_ratelimits,
    check_staff_api,
)


def audit(settings: Settings, env: Mapping[str, str]) -> list[Finding]:
    """Every finding for the deployment ``settings`` describe."""
    return [finding for check in CHECKS for finding in check(settings, env)]
