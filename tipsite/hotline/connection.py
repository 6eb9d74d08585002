"""Reaching the site's staff API: its address, the staff token, and whether its key is ours.

The store remembers the last site's address (and whether plain http was allowed
for it) and the token file's path, never the token itself.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tipsite.hotline.config import ENV_TOKEN
from tipsite.hotline.keyring import KeyEntry
from tipsite.hotline.private import check_private
from tipsite.hotline.problem import EXIT_KEY_MISMATCH, Problem
from tipsite.hotline.store import Store

if TYPE_CHECKING:
    # pull (urllib, http.client, email) is imported only by the commands that talk to
    # the site: list, show and export start measurably faster without it.
    from tipsite.hotline.pull import StaffClient

FIRST_PULL = "'hotline pull URL --token-file FILE'"


def read_token(token_file: Path | None, remembered: Path | None = None) -> str:
    """The staff token: --token-file, else HOTLINE_TOKEN, else the file the store remembers.

    Never from the command line. A token file other users can read is refused: with
    the token they could empty the site's inbox.
    """
    value = os.environ.get(ENV_TOKEN, "").strip() if token_file is None else ""
    if token_file is None and not value and remembered is not None:
        if not remembered.is_file():
            raise Problem(f"the token file {remembered} (remembered from an earlier pull) "
                          "is gone", "give --token-file FILE")
        token_file = remembered
    if token_file is not None:
        check_private(token_file, "the token file")
        value = token_file.read_text(encoding="utf-8").strip()
    if not value:
        raise Problem("no staff token", f"give --token-file FILE or set {ENV_TOKEN}")
    return value


def site_client(local: Store, url: str | None, allow_http: bool, token_file: Path | None,
                first_time: str = FIRST_PULL) -> StaffClient:
    """The staff API of URL, or of the site the last pull used, with the staff token.

    The token comes from ``token_file``, HOTLINE_TOKEN, or the token file the last
    pull was given (the store remembers its path, never the token).
    """
    from tipsite.hotline.pull import StaffClient, check_url

    remembered = local.site()
    if url is None:
        if remembered is None:
            raise Problem("no site address known yet",
                          f"give it once: {first_time}; later pulls remember it")
        url, allow_http = remembered[0], remembered[1] or allow_http
    base = check_url(url, allow_http)
    # The remembered token goes only to the remembered site: a mistyped or planted
    # address on the command line must not receive it unasked.
    same_site = remembered is not None and remembered[0] == base
    return StaffClient(base, read_token(token_file, local.token_file() if same_site else None))


def local_allows_http(local: Store, base: str) -> bool:
    """True if plain http was allowed for ``base`` when it was remembered."""
    remembered = local.site()
    return remembered is not None and remembered[0] == base and remembered[1]


def check_site_key(client: StaffClient, entries: Sequence[KeyEntry]) -> None:
    """Refuse, with exit status 3, a site that seals tips to a key that is not ours."""
    if not entries:
        raise Problem("you have no key to compare the site's key with",
                      "make one with 'hotline keygen' or give --key FILE")
    site_fingerprint = client.fingerprint()
    if site_fingerprint not in {e.fingerprint for e in entries}:
        # Someone who controls the server could swap in their own key to read new tips.
        raise Problem(
            f"STOP: the site seals tips to key {site_fingerprint or '(none)'}, "
            "which is NOT one of your keys. Nothing was pulled.",
            "the server's key may have been replaced: call the site's operator and compare "
            "fingerprints ('hotline keys' here, keys/centre.pub there) before trusting it",
            exit_code=EXIT_KEY_MISMATCH,
        )


def remember_site(local: Store, client: StaffClient, allow_http: bool,
                  token_file: Path | None) -> None:
    """Remember the site and the token file's path (never the token) for the next pull.

    Call it only once the site has shown our key and taken the token, inside the
    store's lock.
    """
    local.remember_site(client.base, allow_http or local_allows_http(local, client.base))
    if token_file is not None:
        local.remember_token_file(token_file.resolve())
