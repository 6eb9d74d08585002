"""``make bench``: every figure measured side by side in one run on this machine.

  .venv/bin/python bench/run.py [--quick]

(a) submission throughput and latency against a page of the same app (rate limits
off, the shipped gunicorn.conf.py, wrk), in alternating rounds so that both routes
see the same machine; (b) RSS per worker after 1k, 5k and 10k tips; (c) front page
weight and time to first byte; (d) a flood of 10x the per-client limit next to a
neighbour's tips. Prints tables and writes bench/results/site.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import flood
import liveserver
import loadgen
import memory
import pageweight
import steps
from client import MARKUP_TEXT

RESULTS = Path(__file__).with_name("results")
TRIVIAL_ROUTE = "/da/privacy"  # a page of the same app: routing, template, headers
ROUNDS = 3
TMPFS = "/dev/shm"  # noqa: S108 - mkdtemp makes a private folder inside it


def throughput(seconds: int) -> dict[str, object]:
    """(a) req/s and latency of a page and of tips, in alternating rounds.

    A second server keeps its inbox on tmpfs (/dev/shm), where fsync costs nothing:
    not a durable setup, but it shows what the submit path costs in CPU alone, apart
    from what the disk (shared with whatever else runs here) costs.
    """
    sites = {"disk": liveserver.Site.create(), "tmpfs": liveserver.Site.create(TMPFS)}
    servers = {name: liveserver.start(site, {"TIPSITE_RATELIMIT_ENABLED": "0"})
               for name, site in sites.items()}
    runs: dict[str, list[dict[str, object]]] = {
        "page": [], "tip": [], "tip_markup": [], "tip_tmpfs": []}
    disk, tmpfs = servers["disk"].port, servers["tmpfs"].port
    try:
        loadgen.page(disk, TRIVIAL_ROUTE, 2)  # warm every worker up
        loadgen.page(tmpfs, TRIVIAL_ROUTE, 2)
        for _ in range(ROUNDS):
            runs["page"].append(loadgen.page(disk, TRIVIAL_ROUTE, seconds))
            runs["tip"].append(loadgen.submissions(disk, seconds))
            runs["tip_markup"].append(
                loadgen.submissions(disk, seconds, description=MARKUP_TEXT))
            runs["tip_tmpfs"].append(loadgen.submissions(tmpfs, seconds))
        stored = sites["disk"].tips_stored() + sites["tmpfs"].tips_stored()
        workers = len(servers["disk"].worker_pids())
    finally:
        for server in servers.values():
            server.stop()
        for site in sites.values():
            site.remove()
    summary = {name: median_run(results) for name, results in runs.items()}
    thanked = sum(int(r["statuses"].get("303", 0))  # type: ignore[attr-defined]
                  for k in ("tip", "tip_markup", "tip_tmpfs") for r in runs[k])
    page_rps = float(str(summary["page"]["rps"]))
    return {
        **summary,
        **{f"ratio_{k}_to_page": round(float(str(summary[k]["rps"])) / page_rps, 2)
           for k in ("tip", "tip_markup", "tip_tmpfs")},
        "tips_thanked_by_wrk": thanked,
        "tips_stored": stored,
        "workers": workers,
        "rounds": runs,
    }


def median_run(results: list[dict[str, object]]) -> dict[str, object]:
    """Median req/s, p50 and p99 of several wrk runs of one route."""
    def med(key: str) -> float:
        return round(statistics.median(float(str(r[key])) for r in results), 2)

    statuses: dict[str, int] = {}
    for r in results:
        for code, n in r["statuses"].items():  # type: ignore[attr-defined]
            statuses[code] = statuses.get(code, 0) + n
    return {"rps": med("rps"), "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
            "statuses": statuses}


def memory_and_page(quick: bool) -> dict[str, object]:
    """(b) and (c) on one fresh server: page weight and TTFB first, then 10k tips."""
    site = liveserver.Site.create()
    server = liveserver.start(site, {"TIPSITE_RATELIMIT_ENABLED": "0"})
    try:
        page = {"weight": pageweight.weight(server.port),
                "ttfb": pageweight.ttfb_ms(server.port)}
        if quick:
            memory.CHECKPOINTS = (200, 500, 1_000)
        rss = memory.growth(server, site)
    finally:
        server.stop()
        site.remove()
    return {"page": page, "memory": rss}


def floods() -> list[dict[str, object]]:
    """(d) a flood of 10x the per-client limit, and a many-address flood for contrast."""
    results = [flood.flood("memory://", "10000 per minute", 50)]
    with flood.redis_server() as redis:
        if redis:
            results.append(flood.flood(redis, "10000 per minute", 50))
            results.append(flood.flood(redis, "60 per minute;600 per hour", 600))
            results.append(flood.flood(redis, "60 per minute;600 per hour", 600,
                                       many_addresses=True))
    return results


def print_tables(result: dict[str, object]) -> None:
    a, b, c, d = (result[k] for k in ("throughput", "memory", "page", "flood"))
    assert isinstance(a, dict) and isinstance(b, dict) and isinstance(c, dict)
    assert isinstance(d, list)
    print(f"\nTipsite benchmark, {result['machine']}")
    print(f"load average before {result['load_before']}, after {result['load_after']}\n")
    print("(a) throughput, shipped gunicorn.conf.py, rate limits off, wrk "
          f"-t{loadgen.THREADS} -c{loadgen.CONNECTIONS}, median of {ROUNDS} rounds")
    print(f"  {'route':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs page':>8}")
    for key, label in (("page", f"GET {TRIVIAL_ROUTE} (trivial page)"),
                       ("tip", "POST /da/tip, 2 KB plain text"),
                       ("tip_markup", "POST /da/tip, 2 KB with < and & (bleach)"),
                       ("tip_tmpfs", "POST /da/tip, plain, inbox on tmpfs")):
        r = a[key]
        ratio = "" if key == "page" else f"{a[f'ratio_{key}_to_page']:>8}"
        print(f"  {label:<44} {r['rps']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {ratio}")
    print(f"  (last column: req/s relative to the page; target >= 0.33) "
          f"{a['tips_thanked_by_wrk']} tips thanked, {a['tips_stored']} stored, "
          f"{a['workers']} workers")
    print("\n(a') one submission, step by step, in process (ms per call)")
    for name, ms in result["steps"].items():  # type: ignore[attr-defined]
        print(f"  {ms:>8}  {name}")
    print("\n(b) RSS per worker (MiB) as tips pile up")
    for point in b["points"]:
        print(f"  after {point['tips']:>6} tips: median {point['median_mib']:>5}, "
              f"max {point['max_mib']:>5}  (each worker: {point['rss_mib']})")
    print(f"  median growth from 1k to 10k tips: {b['median_growth_1k_to_10k_mib']} MiB")
    weight = c["weight"]
    print(f"\n(c) front page /da/: {weight['total_bytes']} bytes uncompressed in "
          f"{weight['requests']} requests {weight['resources']}")
    print(f"    time to first byte: p50 {c['ttfb']['p50_ms']} ms, p95 {c['ttfb']['p95_ms']} ms")
    print("\n(d) flood of one client next to a neighbour (rate limits on, per-client "
          f"{flood.PER_CLIENT})")
    print(f"  {'storage':<8} {'global limit':<28} {'flood from':<15} {'flood thanked':>14} "
          f"{'neighbour thanked':>18}")
    for f in d:
        print(f"  {f['storage']:<8} {f['global_limit']:<28} {f['flood_from']:<15} "
              f"{f['flood_thanked']:>6} of {f['flood_sent']:<5} "
              f"{f['neighbour_thanked']:>9} of {f['neighbour_sent']}")


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    started = time.monotonic()
    result: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, "
                   f"Python {platform.python_version()}",
        "load_before": os.getloadavg(),
    }
    result["steps"] = steps.profile()
    result["throughput"] = throughput(3 if quick else 8)
    result.update(memory_and_page(quick))
    result["flood"] = floods()
    result["seconds"] = round(time.monotonic() - started)
    result["load_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "site.json").write_text(json.dumps(result, indent=2))
    print_tables(result)
    print(f"\n{result['seconds']} s; JSON in {RESULTS / 'site.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
