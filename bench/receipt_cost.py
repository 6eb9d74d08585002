"""What one receipt code costs: Argon2id at the shipped cost, on this machine.

Run: ``.venv/bin/python bench/receipt_cost.py``. Prints the median and spread of
``receipt.derive`` (one Argon2id call, a seed key pair and a BLAKE2b) over many
runs, next to the old derivation's cost, for SECURITY.md's arithmetic.
"""

from __future__ import annotations

import os
import statistics
import time

import nacl.pwhash

from tipsite.core import receipt

RUNS = 200


def timed(func: object, runs: int = RUNS) -> list[float]:
    """Milliseconds per call of ``func`` over ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=10)
    print(f"{name}: median {statistics.median(times):.1f} ms, "
          f"10th-90th percentile {q[0]:.1f}-{q[-1]:.1f} ms over {len(times)} runs")


def main() -> None:
    salt = os.urandom(receipt.SALT_BYTES)
    print(f"{os.cpu_count()} cores; Argon2id opslimit {receipt.OPSLIMIT}, "
          f"memlimit {receipt.MEMLIMIT // 2**20} MiB")
    report("receipt-v2 (20 digits, t=1, 8 MiB)",
           timed(lambda: receipt.derive(receipt.new_code(), salt)))
    report("old receipt1 (16 digits, t=2, 8 MiB)", timed(lambda: nacl.pwhash.argon2id.kdf(
        64, b"1234567890123456", salt, opslimit=2, memlimit=8 * 2**20)))


if __name__ == "__main__":
    main()
