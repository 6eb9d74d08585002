"""wrk as the load generator: a page route, or valid tip posts with rotating tokens."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from client import PLAIN_TEXT, Pair, fetch_pair, tip_body

SCRIPT = Path(__file__).with_name("submit.lua")
WRK = "/usr/bin/wrk"
THREADS = 2
CONNECTIONS = 16
PAIRS_PER_SECOND = 250  # well above the measured tip rate on this machine


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal (JSON escapes are valid Lua for ASCII text)."""
    return json.dumps(text, ensure_ascii=True)


def write_pairs(pairs: list[Pair], description: str, method: str, path: str) -> Path:
    """The data file submit.lua reads: one body and one cookie per token pair."""
    bodies = ",\n".join(lua_string(tip_body(p, description)) for p in pairs)
    cookies = ",\n".join(lua_string(p.cookie) for p in pairs)
    fd, name = tempfile.mkstemp(prefix="bench-pairs-", suffix=".lua")
    with os.fdopen(fd, "w") as out:
        out.write(
            f"return {{ method = {lua_string(method)}, path = {lua_string(path)},\n"
            f"  threads = {THREADS},\n"
            f"  bodies = {{ {bodies} }},\n  cookies = {{ {cookies} }} }}\n"
        )
    return Path(name)


def run_wrk(url: str, data: Path, seconds: int) -> dict[str, object]:
    """Run wrk with submit.lua against ``url``; return its BENCH_JSON summary."""
    done = subprocess.run(
        [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
         "-s", str(SCRIPT), url],
        env={**os.environ, "BENCH_PAIRS": str(data)},
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON "))
    result: dict[str, object] = json.loads(line.removeprefix("BENCH_JSON "))
    duration = int(str(result["duration_us"])) / 1e6
    result["rps"] = round(int(str(result["requests"])) / duration, 1)
    result["p50_ms"] = round(int(str(result["p50_us"])) / 1000, 2)
    result["p99_ms"] = round(int(str(result["p99_us"])) / 1000, 2)
    return result


def page(port: int, path: str, seconds: int) -> dict[str, object]:
    """GET ``path`` as fast as wrk can for ``seconds``."""
    data = write_pairs([], "", "GET", path)
    try:
        return run_wrk(f"http://127.0.0.1:{port}{path}", data, seconds)
    finally:
        data.unlink()


def submissions(port: int, seconds: int, pairs: int = 0,
                description: str = PLAIN_TEXT) -> dict[str, object]:
    """POST valid tips for ``seconds``.

    The site refuses a second post with the same form token (tipsite/site/replay.py), so
    every post carries a cookie/token pair of its own: enough pairs are fetched for
    PAIRS_PER_SECOND posts a second, and the status counts show any that ran out.
    """
    wanted = max(pairs, seconds * PAIRS_PER_SECOND)
    with ThreadPoolExecutor(max_workers=4) as pool:
        tokens = list(pool.map(lambda _: fetch_pair(port), range(wanted)))
    data = write_pairs(tokens, description, "POST", "/da/tip")
    try:
        return run_wrk(f"http://127.0.0.1:{port}/da/tip", data, seconds)
    finally:
        data.unlink()
