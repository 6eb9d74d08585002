"""Resident memory of each gunicorn worker as tips pile up: it must not grow with them."""

from __future__ import annotations

import statistics
from pathlib import Path

import loadgen
from liveserver import Server, Site

CHECKPOINTS = (1_000, 5_000, 10_000)


def rss_mib(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_rss(server: Server) -> list[float]:
    return [rss_mib(pid) for pid in sorted(server.worker_pids())]  # same order each time


def growth(server: Server, site: Site) -> dict[str, object]:
    """RSS per worker after a warm-up and after 1k, 5k and 10k accepted submissions."""
    loadgen.submissions(server.port, 1)  # warm-up
    points: list[dict[str, object]] = [
        {"tips": site.tips_stored(), "rss_mib": worker_rss(server)}
    ]
    rate = 100.0  # tips per second, re-measured by every burst
    for target in CHECKPOINTS:
        # wrk bursts sized to end near `target` tips (the count may overshoot a little).
        while (missing := target - site.tips_stored()) > 0:
            seconds = max(1, min(30, int(missing / rate)))
            rate = max(20.0, float(str(loadgen.submissions(server.port, seconds)["rps"])))
        points.append({"tips": site.tips_stored(), "rss_mib": worker_rss(server)})
    # Right after a burst a worker may still hold Argon2id's 8 MiB per thread that was
    # deriving a receipt code; the median over workers shows the trend through that.
    for point in points:
        rss = point["rss_mib"]
        assert isinstance(rss, list)
        point["median_mib"] = round(statistics.median(rss), 1)
        point["max_mib"] = max(rss)
    return {
        "points": points,
        "median_growth_1k_to_10k_mib": round(
            float(str(points[-1]["median_mib"])) - float(str(points[1]["median_mib"])), 1),
    }
