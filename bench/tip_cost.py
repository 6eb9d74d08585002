"""What one request costs the server in CPU time: an accepted tip, junk, an over-limit post.

    .venv/bin/python bench/tip_cost.py [--rounds 200]

Runs the real app in this process (Flask's test client: no network, no gunicorn)
and reports CPU seconds (user + system of this process) per request for:

- an accepted tip (form, CSRF, cleaning, Argon2id of the receipt code, sealing,
  fsync and rename into the inbox, the 303);
- junk: a bare ``x=1`` post without a token (400 page);
- a 120 KB body of 60,000 empty fields (refused with 413 before parsing);
- the same body from a client over its limit (429 before parsing, no echo);
- Argon2id alone, as ``tipsite.core.receipt.derive`` runs it.

These figures size ``TIPSITE_RATELIMIT_GLOBAL`` (README) and the flood tests.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tipsite.core import keys
from tipsite.core.receipt import derive, new_code
from tipsite.site.app import create_app
from tipsite.site.config import load_config

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM = "application/x-www-form-urlencoded"
TIP = {"setting": "massage_clinic", "location": "Hovedgaden 12, 4000 Roskilde",
       "description": "Kvinderne ser ud til at sove i klinikken. " * 20}


def cpu_per_call(rounds: int, call: Callable[[], object]) -> float:
    start = time.process_time()
    for _ in range(rounds):
        call()
    return (time.process_time() - start) / rounds


def make_app(folder: Path, **env: str):  # type: ignore[no-untyped-def]
    pair = keys.generate()
    (folder / "keys").mkdir(parents=True, exist_ok=True)
    (folder / "instance").mkdir(exist_ok=True)
    public = folder / "keys" / "centre.pub"
    if not public.exists():
        keys.write_new_file(public, keys.public_key_text(pair.public), 0o644)
    settings = load_config({"TIPSITE_PUBLIC_KEY": str(public),
                              "TIPSITE_INSTANCE": str(folder / "instance"), **env})
    return create_app(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = make_app(folder, TIPSITE_RATELIMIT_ENABLED="0")

        def accepted_tip() -> None:
            client = app.test_client()
            token = CSRF.search(client.get("/da/").get_data(as_text=True))
            assert token
            reply = client.post("/da/tip", data={"csrf_token": token.group(1), **TIP})
            assert reply.status_code == 303, reply.status_code

        def front_page() -> None:
            assert app.test_client().get("/da/").status_code == 200

        junk_client = app.test_client()

        def junk() -> None:
            assert junk_client.post("/da/tip", data=b"x=1", content_type=FORM).status_code == 400

        fields = urllib.parse.urlencode([("x", "")] * 60_000).encode()[: 120 * 1024]

        def many_fields() -> None:
            reply = junk_client.post("/da/tip", data=fields, content_type=FORM)
            assert reply.status_code == 413

        limited_app = make_app(folder / "limited", TIPSITE_RATELIMITS="1 per hour")
        limited = limited_app.test_client()
        limited.post("/da/tip", data=b"x=1", content_type=FORM)
        for _ in range(5):  # spend the small echo budget first
            limited.post("/da/tip", data=b"x=1", content_type=FORM)

        def over_limit() -> None:
            assert limited.post("/da/tip", data=fields, content_type=FORM).status_code == 429

        code = new_code()
        rows = [
            ("accepted tip, incl. its form page", cpu_per_call(rounds, accepted_tip)),
            ("front page alone (GET /da/)", cpu_per_call(rounds, front_page)),
            ("Argon2id of a receipt code", cpu_per_call(rounds, lambda: derive(code))),
            ("junk post x=1 (400 page)", cpu_per_call(rounds, junk)),
            ("120 KB of 60,000 fields (413)", cpu_per_call(rounds, many_fields)),
            ("the same, client over its limit (429)", cpu_per_call(rounds, over_limit)),
        ]
    width = max(len(name) for name, _ in rows)
    print(f"{'request'.ljust(width)}  CPU ms")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds * 1000:7.2f}")


if __name__ == "__main__":
    main()
