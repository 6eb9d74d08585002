"""One form token, one tip: a replayed post is refused, even with a copied cookie.

The session cookie is signed, not stored on the server, so dropping the token from
it only stops a well-behaved browser. The server therefore remembers a hash of
every token that has sent something, where every worker sees it:

- by default on disk, in ``instance/used-tokens/``: one empty file per used token
  (``O_EXCL``: of two workers racing with the same token exactly one creates it),
  in one folder per *day the token was made*. Names carry no time beyond that day,
  and file and folder times are set back to midnight after every change;
- with Redis (``TIPSITE_RATELIMIT_STORAGE=redis://…``, several nodes), one key per
  used token that expires at a day boundary, not at an exact moment.

Records must outlive the tokens they refuse. A token is stamped, inside the signed
cookie, with the day it was made and the *epoch* of the memory of used tokens (a
random value kept with the records). A token older than ``TOKEN_DAYS``, or from
another epoch, is renewed instead of accepted: the tipster keeps their text and
presses Send again. So deleting the records (a wiped folder, a Redis restart
without persistence) changes the epoch and cannot reopen a used token.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from tipsite.core.durable import FILE_MODE, FOLDER_MODE, fsync_folder
from tipsite.core.inbox import hide_times, list_quietly, read_quietly
from tipsite.site.config import CONFIG_KEY, SiteConfig

log = logging.getLogger(__name__)
DAY = 24 * 3600
TOKEN_DAYS = 30  # far longer than anyone keeps a form open; older tokens are renewed
TOKEN = "csrf_token"  # noqa: S105 - Flask-WTF's session key for the raw token
BORN = "csrf_born"  # our stamp next to it: [epoch, day the token was made]
FOLDER = "used-tokens"
_EXTENSION = "tipsite-replay"


class Verdict(enum.Enum):
    """What the memory of used tokens says about the token of this request."""

    FIRST = "first"  # never used: go on, it is now recorded
    USED = "used"  # sent before: refuse
    STALE = "stale"  # too old, unstamped or from a lost memory: renew, keep the text


def today() -> int:
    """Days since the epoch (UTC): the only time a record carries."""
    return int(time.time() // DAY)


def _name(token: str) -> str:
    # A hash, not the token: the records hold nothing that could sign a form.
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class UsedTokens(Protocol):
    """Where the used tokens are remembered."""

    def epoch(self) -> str: ...

    def record(self, name: str, day: int) -> bool: ...

    def forget(self, name: str, day: int) -> None: ...


class DiskTokens:
    """Used tokens as empty files under ``instance/used-tokens/DAY/``, shared by workers."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def epoch(self) -> str:
        """The random epoch of this folder; made once, by whichever worker comes first."""
        path = self.root / "epoch"
        try:
            return read_quietly(path).decode().strip()
        except FileNotFoundError:
            pass
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        draft = self.root / f".epoch.{secrets.token_hex(8)}"
        draft.write_text(secrets.token_hex(16))
        try:
            os.link(draft, path)  # fails if another worker won: everyone reads the winner
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        hide_times(path, self.root)
        return read_quietly(path).decode().strip()

    def record(self, name: str, day: int) -> bool:
        """Create the record of ``name``; False if it was there already."""
        self._expire()
        bucket = self.root / str(day)
        bucket.mkdir(mode=FOLDER_MODE, exist_ok=True)
        try:
            fd = os.open(bucket / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            return False
        os.close(fd)
        fsync_folder(bucket)  # the record is as durable as the tip it guards
        hide_times(bucket / name, bucket, self.root)
        return True

    def forget(self, name: str, day: int) -> None:
        """Remove the record again: the tip it guarded was not stored."""
        bucket = self.root / str(day)
        (bucket / name).unlink(missing_ok=True)
        hide_times(bucket, self.root)

    def _expire(self) -> None:
        """Drop the buckets of days whose tokens are renewed anyway (a few dozen names)."""
        oldest = today() - TOKEN_DAYS - 1
        changed = False
        for entry in list_quietly(self.root):
            if entry.isdigit() and int(entry) < oldest:
                shutil.rmtree(self.root / entry, ignore_errors=True)
                changed = True
        if changed:
            hide_times(self.root)


class RedisTokens:
    """Used tokens as Redis keys that expire at a day boundary (several nodes)."""

    EPOCH_KEY = "tipsite:used-tokens:epoch"

    def __init__(self, client: Any) -> None:
        self.client = client

    def epoch(self) -> str:
        # No expiry: it lives exactly as long as the records do; a Redis restart
        # without persistence loses both, and the next reader makes a new epoch.
        self.client.set(self.EPOCH_KEY, secrets.token_hex(16), nx=True)
        value = self.client.get(self.EPOCH_KEY)
        return value.decode() if isinstance(value, bytes) else str(value)

    def record(self, name: str, day: int) -> bool:
        # Every record of a day expires at the same midnight: the expiry dates nothing.
        expires = (day + TOKEN_DAYS + 2) * DAY
        return bool(self.client.set(self._key(name, day), b"", nx=True, exat=expires))

    def forget(self, name: str, day: int) -> None:
        self.client.delete(self._key(name, day))

    @staticmethod
    def _key(name: str, day: int) -> str:
        return f"tipsite:used-token:{day}:{name}"


def _store() -> UsedTokens:
    store: UsedTokens = current_app.extensions[_EXTENSION]
    return store


def _stamp(value: Any) -> tuple[str, int] | None:
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int)):
        return value[0], value[1]
    return None


def use(form_session: Any = None) -> Verdict:
    """Check this request's form token and record it as used (FIRST only once)."""
    data = session if form_session is None else form_session
    token, stamp = data.get(TOKEN), _stamp(data.get(BORN))
    if not token:
        return Verdict.USED
    try:
        store = _store()
        epoch, now = store.epoch(), today()  # first: a store that is down accepts (below)
        if stamp is None or stamp[0] != epoch or not now - TOKEN_DAYS <= stamp[1] <= now:
            return Verdict.STALE
        return Verdict.FIRST if store.record(_name(token), stamp[1]) else Verdict.USED
    except Exception as exc:  # storage down: a duplicate tip beats a lost one
        log.warning("cannot check tokens for replay (%s); accepting", type(exc).__name__)
        return Verdict.FIRST


def release() -> None:
    """Undo :func:`use` when nothing was stored, so the tipster can press Send again."""
    token, stamp = session.get(TOKEN), _stamp(session.get(BORN))
    if token and stamp:
        with contextlib.suppress(Exception):  # at worst the tipster gets a fresh form
            _store().forget(_name(token), stamp[1])


def renew(form: Any) -> None:
    """Give ``form`` a fresh token (its text stays): the old one may not send anything."""
    session.pop(TOKEN, None)
    session.pop(BORN, None)
    g.pop(TOKEN, None)  # Flask-WTF caches the signed token of this request in g
    form.csrf_token.current_token = generate_csrf()


def _note_token(_: Any = None) -> None:
    g.token_at_start = session.get(TOKEN)


def _stamp_new_token(response: Response) -> Response:
    """Stamp a token made during this request with today and the current epoch."""
    token = session.get(TOKEN)
    if not token and BORN in session:
        session.pop(BORN)  # the token was spent: its stamp goes with it
    # Only a token made in this very request: stamping an old one again (say, after a
    # hook before ours refused the request) would move a used token to a new bucket.
    if token and "token_at_start" in g and token != g.token_at_start:
        try:
            session[BORN] = [_store().epoch(), today()]
        except Exception as exc:  # unstamped: the tipster is asked to send again
            log.warning("cannot stamp a new form token (%s)", type(exc).__name__)
    return response


def make_store(config: SiteConfig) -> UsedTokens:
    """Disk under the instance folder by default; Redis when the limits use Redis."""
    uri = config.ratelimit_storage
    if uri.startswith("memory://"):
        root = config.instance / FOLDER
        root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        return DiskTokens(root)
    from limits.storage import storage_from_string

    return RedisTokens(getattr(storage_from_string(uri), "storage"))  # noqa: B009 - redis client


def init_app(app: Flask) -> None:
    """Give ``app`` its memory of used tokens and stamp every new form token."""
    app.extensions[_EXTENSION] = make_store(app.config[CONFIG_KEY])
    app.before_request(_note_token)
    app.after_request(_stamp_new_token)
