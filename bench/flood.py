"""One client floods the submit route; does a second client still get through?

The per-client key is the client's address, so two clients are two X-Forwarded-For
values behind TIPSITE_PROXIES=1 (as nginx sends them). Rate limits are on.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import liveserver
from client import fetch_pair, post_tip

FLOODER = {"X-Forwarded-For": "198.51.100.66"}
NEIGHBOUR = {"X-Forwarded-For": "198.51.100.7"}
PER_CLIENT = "5 per minute;30 per hour"  # the shipped default (tipsite.site.config)
NEIGHBOUR_TIPS = 3  # within the neighbour's own limit


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway redis-server on loopback (no disk), or None if it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = liveserver.free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


def flood(storage: str, global_limit: str, flood_size: int,
          many_addresses: bool = False) -> dict[str, object]:
    """``flood_size`` posts while a neighbour sends a few, on a fresh site.

    The flood comes from one address, or with ``many_addresses`` from a new address
    for every post (a botnet, or everyone behind one Tor exit without circuit ids).
    """
    site = liveserver.Site.create()
    server = liveserver.start(site, {
        "TIPSITE_RATELIMIT_ENABLED": "1", "TIPSITE_PROXIES": "1",
        "TIPSITE_RATELIMITS": PER_CLIENT, "TIPSITE_RATELIMIT_GLOBAL": global_limit,
        "TIPSITE_RATELIMIT_STORAGE": storage,
    })
    try:
        # A form token sends one tip only (tipsite/site/replay.py): a fresh form per post.
        with ThreadPoolExecutor(max_workers=4) as pool:
            flooder = list(pool.map(lambda _: fetch_pair(server.port), range(flood_size)))
        neighbour = [fetch_pair(server.port) for _ in range(NEIGHBOUR_TIPS)]
        flood_statuses: Counter[int] = Counter()
        neighbour_statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def one_flood_post(n: int) -> None:
            headers = {"X-Forwarded-For": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"}
            status = post_tip(server.port, flooder[n], headers if many_addresses else FLOODER)
            with lock:
                flood_statuses[status] += 1

        with ThreadPoolExecutor(max_workers=8) as pool:
            running = pool.map(one_flood_post, range(flood_size))
            for pair in neighbour:  # the neighbour posts while the flood runs
                time.sleep(0.2)
                neighbour_statuses[post_tip(server.port, pair, NEIGHBOUR)] += 1
            list(running)
        return {
            "storage": storage.split(":", 1)[0],
            "flood_from": "many addresses" if many_addresses else "one address",
            "per_client_limit": PER_CLIENT,
            "global_limit": global_limit,
            "flood_sent": flood_size,
            "flood_thanked": flood_statuses[303],
            "flood_429": flood_statuses[429],
            "neighbour_sent": NEIGHBOUR_TIPS,
            "neighbour_thanked": neighbour_statuses[303],
            "stored": site.tips_stored(),
            "workers": len(server.worker_pids()),
        }
    finally:
        server.stop()
        site.remove()
