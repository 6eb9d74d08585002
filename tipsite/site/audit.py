"""``tipsite check``: audit a deployment against the promises in SECURITY.md.

Each check returns findings; a finding that breaks a promise is a failure and
makes the command exit non-zero. Nothing here changes the deployment.
"""

from __future__ import annotations

import ipaddress
import os
import re
import resource
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from limits.storage import storage_from_string

from tipsite.core import keys
from tipsite.core.errors import KeyFileError
from tipsite.site import errorpages
from tipsite.site.config import SECRET_KEY_FILE, SiteConfig

OK, WARN, FAIL = "ok", "WARN", "FAIL"
# Where the kit puts things (deploy/tipsite.service, docs/deploy.md); the nginx site
# file's place can be changed for the check with TIPSITE_NGINX_SITE.
DEFAULT_BIND = "127.0.0.1:8000"  # gunicorn.conf.py without TIPSITE_BIND
NGINX_SITE = "/etc/nginx/sites-enabled/tipsite"
ONION_PLACEHOLDER = "ONION-ADDRESS-FROM-STEP-8.onion"


@dataclass(frozen=True)
class Finding:
    """One line of the audit."""

    level: str
    text: str


def _others_may(path: Path, bits: int) -> bool:
    return bool(path.stat().st_mode & bits)


def check_key(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """The key must be a readable public key that nobody else can replace."""
    try:
        public = keys.load_public_key(config.public_key)
    except KeyFileError as exc:
        yield Finding(FAIL, f"public key: {exc}")
        return
    yield Finding(OK, f"public key {config.public_key}: fingerprint {keys.fingerprint(public)}")
    yield Finding(OK, "compare that fingerprint with 'hotline keys' on the staff machine")
    if _others_may(config.public_key, stat.S_IWGRP | stat.S_IWOTH):
        yield Finding(FAIL, f"{config.public_key} is writable by others: they could swap the key")


def check_inbox(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """The inbox must exist, be writable, and be closed to other users."""
    folders = [config.inbox, config.inbox / "new", config.inbox / "tmp"]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        yield Finding(FAIL, f"inbox: {missing[0]} is missing (start the site once to create it)")
        return
    if not os.access(config.inbox / "new", os.W_OK):
        yield Finding(FAIL, f"inbox {config.inbox}: not writable by this user")
    open_folders = [f for f in folders if _others_may(f, stat.S_IRWXG | stat.S_IRWXO)]
    if open_folders:
        yield Finding(FAIL, f"inbox folder {open_folders[0]} is open to other users (chmod 700)")
    open_files = [p for p in (config.inbox / "new").iterdir()
                  if _others_may(p, stat.S_IRWXG | stat.S_IRWXO)]
    if open_files:
        yield Finding(FAIL, f"{len(open_files)} envelope(s) readable by other users (chmod 600)")
    waiting = len(list((config.inbox / "new").iterdir()))
    yield Finding(OK, f"inbox {config.inbox}: private, {waiting} envelope(s) waiting")


def check_secret(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """The secret key signs form tokens; it must be set and private."""
    if config.secret_key:
        if len(config.secret_key) < 32:
            yield Finding(FAIL, "TIPSITE_SECRET_KEY is shorter than 32 characters")
        else:
            yield Finding(OK, "secret key from TIPSITE_SECRET_KEY")
        return
    path = config.instance / SECRET_KEY_FILE
    if not path.exists():
        yield Finding(WARN, f"no secret key yet; the site will make {path} at start")
    elif _others_may(path, stat.S_IRWXG | stat.S_IRWXO):
        yield Finding(FAIL, f"{path} is readable by other users (chmod 600)")
    else:
        yield Finding(OK, f"secret key kept in {path}, private")


def check_debug(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Debug mode shows tracebacks with request data: never in production."""
    if env.get("FLASK_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        yield Finding(FAIL, "FLASK_DEBUG is on: tracebacks could show a tip; unset it")
    else:
        yield Finding(OK, "debug mode off")


def check_transport(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Tips must travel encrypted: HTTPS from a proxy in front, or an onion service."""
    if config.onion_address:
        yield Finding(OK, f"onion service advertised: {config.onion_address}")
    if config.proxies:
        yield Finding(OK, f"behind {config.proxies} proxy(ies) that must terminate HTTPS "
                          "(deploy/nginx-tipsite.conf)")
    if not config.onion_address and not config.proxies:
        yield Finding(FAIL, "neither HTTPS proxy (TIPSITE_PROXIES) nor onion address "
                            "(TIPSITE_ONION_ADDRESS) configured: tips would travel in clear")


def check_ratelimits(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Rate limits must be on and their storage reachable."""
    if not config.ratelimit_enabled:
        yield Finding(FAIL, "rate limiting is off (TIPSITE_RATELIMIT_ENABLED=0): floods pass")
        return
    try:
        reachable = storage_from_string(config.ratelimit_storage).check()
    except Exception as exc:  # any driver error means the same: unusable
        reachable, detail = False, type(exc).__name__
    else:
        detail = "no answer"
    if not reachable:
        yield Finding(FAIL, f"rate-limit storage {config.ratelimit_storage} unreachable "
                            f"({detail})")
        return
    yield Finding(OK, f"rate limits on: per client {config.ratelimits}; "
                      f"everyone {config.ratelimit_global}; storage "
                      f"{config.ratelimit_storage.split('@')[-1]}")
    if config.ratelimit_storage.startswith("memory://"):
        yield Finding(WARN, "in-memory limits count per worker process; use Redis "
                            "(TIPSITE_RATELIMIT_STORAGE=redis://…) for exact limits")


def check_staff_api(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Say whether the staff API is on; the server keeps only the token's hash."""
    if config.staff_token_sha256:
        yield Finding(OK, "staff API on (only the token's SHA-256 is configured)")
    else:
        yield Finding(WARN, "staff API off (TIPSITE_STAFF_TOKEN_SHA256 unset): staff must "
                            "copy the inbox folder to read tips")


def _redis_url(storage: str) -> str:
    """The rate-limit storage URI as redis-py reads it (limits spells unix sockets so)."""
    return "unix://" + storage.removeprefix("redis+unix://") if storage.startswith(
        "redis+unix://") else storage


def check_redis(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Redis, if used, keeps its keys in memory only and lets no stranger in."""
    storage = config.ratelimit_storage
    if not storage.startswith(("redis://", "rediss://", "redis+unix://")):
        return
    import redis  # limits' own Redis driver, present whenever a redis:// storage works

    url = _redis_url(storage)
    unix = url.startswith("unix://")
    if not unix and not urlsplit(url).password:
        # Reachable without a password over TCP: any local process may read the used
        # tokens and counters, or flush them.
        yield Finding(FAIL, "Redis is reached over TCP without a password: set requirepass "
                            "in redis.conf and put it in TIPSITE_RATELIMIT_STORAGE "
                            "(redis://:PASSWORD@127.0.0.1:6379/0), or use a unix socket "
                            "(redis+unix:///run/redis/redis-server.sock)")
    try:
        client = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        save = str(client.config_get("save").get("save", ""))
        appendonly = str(client.config_get("appendonly").get("appendonly", ""))
    except redis.RedisError as exc:
        yield Finding(WARN, f"cannot read Redis's configuration ({type(exc).__name__}): make sure "
                            "redis.conf says save \"\" and appendonly no")
        return
    if save.strip() or appendonly == "yes":
        what = f'save "{save}"' if save.strip() else "appendonly yes"
        yield Finding(FAIL, f"Redis writes its keys to disk ({what}): rate-limit hashes and "
                            "used-token records would reach the disk; set save \"\" and "
                            "appendonly no in redis.conf")
    else:
        yield Finding(OK, "Redis keeps its keys in memory only (save \"\", appendonly no)")


def worker_count(env: Mapping[str, str]) -> int:
    """The number of gunicorn workers gunicorn.conf.py starts under ``env``."""
    value = env.get("WEB_CONCURRENCY", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return 2 * (os.cpu_count() or 1)


def check_workers(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """Several workers without a shared store each count for themselves."""
    workers = worker_count(env)
    if workers > 1 and config.ratelimit_storage.startswith("memory://"):
        yield Finding(WARN, f"{workers} gunicorn workers and no shared store: each worker "
                            "counts rate limits in its own memory; Redis "
                            "(TIPSITE_RATELIMIT_STORAGE) makes them exact")
    else:
        yield Finding(OK, f"{workers} gunicorn worker(s); limits in "
                          f"{config.ratelimit_storage.split('://')[0]}")


def _nginx_site(env: Mapping[str, str]) -> str | None:
    """The kit's nginx site file, if this user may read it."""
    try:
        return Path(env.get("TIPSITE_NGINX_SITE", NGINX_SITE)).read_text()
    except OSError:
        return None


def check_forwarding(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """X-Forwarded-* are believed only when the one proxy that sets them is the only way in."""
    bind = env.get("TIPSITE_BIND", "").strip() or DEFAULT_BIND
    unix = bind.startswith("unix:")
    if unix and not config.proxies:
        yield Finding(FAIL, f"gunicorn listens on {bind} but TIPSITE_PROXIES=0: every visitor "
                            "looks alike to the rate limits; set TIPSITE_PROXIES=1")
    elif not unix and config.proxies:
        yield Finding(FAIL, f"gunicorn listens on TCP {bind} and believes X-Forwarded-For/"
                            "-Proto from whoever connects: any local process can choose its "
                            "rate-limit key or claim HTTPS; use "
                            "TIPSITE_BIND=unix:/run/tipsite/gunicorn.sock (deploy/tipsite.service)")
    elif not unix and not _loopback(bind):
        yield Finding(FAIL, f"gunicorn listens on {bind}, beyond this machine, without TLS")
    elif unix:
        yield Finding(OK, f"only nginx reaches gunicorn ({bind}); X-Forwarded-* believed from it")
    site = _nginx_site(env)
    if unix and site is not None:
        upstream = re.findall(r"^\s*server (unix:\S+);", site, re.M)
        if upstream and bind not in upstream:
            yield Finding(FAIL, f"nginx sends requests to {upstream[0]}, but gunicorn listens "
                                f"on {bind}")


def _loopback(bind: str) -> bool:
    host = bind.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_onion(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """The onion address the site advertises is the one nginx and tor serve."""
    site = _nginx_site(env)
    if site is None:
        if config.onion_address:
            yield Finding(WARN, f"cannot read {env.get('TIPSITE_NGINX_SITE', NGINX_SITE)} to "
                                "compare its onion name with TIPSITE_ONION_ADDRESS")
        return
    named = set(re.findall(r"proxy_set_header Host (\S+\.onion);", site))
    if not config.onion_address:
        if named - {ONION_PLACEHOLDER}:
            yield Finding(WARN, "nginx serves an onion but TIPSITE_ONION_ADDRESS is unset: "
                                "Tor Browser is not offered it (docs/deploy.md, step 8)")
        return
    if named == {config.onion_address}:
        yield Finding(OK, "nginx's onion server names the same onion as TIPSITE_ONION_ADDRESS")
    else:
        shown = ", ".join(sorted(named)) or "no onion name"
        yield Finding(FAIL, f"TIPSITE_ONION_ADDRESS is {config.onion_address} but nginx's "
                            f"onion server says {shown}: links from the onion would lead "
                            "elsewhere (docs/deploy.md, step 8)")


def _site_processes(env: Mapping[str, str]) -> list[int]:
    """Running gunicorn processes of this site (same user, same inbox setting)."""
    inbox = env.get("TIPSITE_INBOX", "").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if b"gunicorn" in cmdline and b"TIPSITE_INBOX=" + inbox in environ:
            found.append(int(entry.name))
    return found


def _core_limit(pid: int) -> str:
    """The soft core-file limit of a process, as /proc shows it ("0", "unlimited", …)."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return line.split()[4]
    return "unknown"


def check_core_dumps(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """A crash must not write a worker's memory (plaintext tips) to disk."""
    hint = "set LimitCORE=0 (deploy/tipsite.service)"
    pids = _site_processes(env)
    if pids:
        allowed = sorted({limit for pid in pids if (limit := _core_limit(pid)) != "0"})
        if allowed:
            yield Finding(FAIL, f"the running site may dump core ({', '.join(allowed)}): a "
                                f"crash would write tips in memory to disk; {hint}")
        else:
            yield Finding(OK, f"core dumps off in the running site ({len(pids)} process(es))")
        return
    soft, _hard = resource.getrlimit(resource.RLIMIT_CORE)
    if soft != 0:
        yield Finding(FAIL, "no running site process found (or none this user may read), "
                            "and this shell allows core dumps (ulimit -c): started from "
                            f"here, a crash would write tips to disk; {hint}")
    else:
        yield Finding(OK, "core dumps off in this shell (no running site process found)")


def check_error_pages(config: SiteConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    """The pages nginx shows when the site cannot answer give the configured hotline."""
    stale = errorpages.stale_pages(config)
    if stale:
        yield Finding(FAIL, f"{errorpages.FOLDER}: {', '.join(stale)} do not show the "
                            f"hotline {config.centre_phone} (TIPSITE_CENTRE_PHONE); "
                            "run 'tipsite error-pages' with the site's environment")
    else:
        yield Finding(OK, f"the error pages in {errorpages.FOLDER} show the hotline "
                          f"{config.centre_phone}")


CHECKS: tuple[Callable[[SiteConfig, Mapping[str, str]], Iterator[Finding]], ...] = (
    check_key, check_inbox, check_secret, check_debug, check_transport, check_forwarding,
    check_onion, check_ratelimits, check_redis, check_workers, check_core_dumps,
    check_staff_api, check_error_pages,
)


def audit(config: SiteConfig, env: Mapping[str, str]) -> list[Finding]:
    """Every finding for the deployment ``config`` describes."""
    return [finding for check in CHECKS for finding in check(config, env)]
