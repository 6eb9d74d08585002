"""Benchmark: ``hotline export --format json`` over 10,000 tips in a local store,
against a bare PyNaCl SealedBox decrypt loop over the same envelopes, in one run.

    .venv/bin/python bench/bench_export.py [--tips 10000] [--kdf-cost interactive]

Prints a table and writes bench/results/export.json. Target (issue 4): the export,
as a worker runs it (a fresh process: start-up, key unlock, reading every file,
opening, JSON), takes at most 2x the bare loop's time.
The key's Argon2id unlock is a fixed cost per run, not per tip; it is measured on
its own and included in the export time at the chosen cost.

Wall time is the target's measure; CPU time (user + system, of this process for
the loops and of the child for the export) is reported beside it, because on a
shared machine other work stretches wall times unevenly between the two.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nacl.public

from tipsite import envelope, keys, payload
from tipsite.store import Store

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = Path(sys.executable).parent / "hotline"
PASSPHRASE = "benchmark passphrase"  # noqa: S105 - a throwaway key for the run
ROUNDS = 3


def make_store(folder: Path, count: int, cost: str) -> tuple[Store, keys.KeyPair]:
    """A store with one key and ``count`` sealed tips of realistic size."""
    store = Store(folder)
    store.create()
    pair = keys.generate()
    store.keyring.add_text(pair.public, keys.private_key_text(pair, PASSPHRASE, cost))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        fields = {
            "setting": "massage_clinic", "location": f"Nørregade {i}, 8000 Aarhus C",
            "description": "Vinduerne er altid dækket til; kvinderne ser ud til at bo der. " * 4,
            "indicators": ["A1", "A4", "D1"], "when": "Hver aften efter kl. 22",
            "people": "3-4 kvinder, ca. 20-25 år", "vehicles": "Hvid varevogn AB 12 345",
            "relation": "neighbour", "contact": "",
        }
        document = payload.tip_document(fields, "da", start + timedelta(minutes=i))
        name = f"{i:032x}"
        # Setup only: plain writes (the store's fsyncs are not what is measured here).
        (store.tips / name).write_bytes(envelope.seal(document, pair.public))
    return store, pair


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def bare_loop(envelopes: list[bytes], private: nacl.public.PrivateKey) -> Timing:
    """Seconds to decrypt every envelope with SealedBox and nothing else."""
    box = nacl.public.SealedBox(private)
    began, cpu = time.perf_counter(), time.process_time()
    for data in envelopes:
        box.decrypt(data[envelope.HEADER_BYTES:])
    return time.perf_counter() - began, time.process_time() - cpu


def read_and_decrypt_loop(store: Store, private: nacl.public.PrivateKey) -> float:
    """Seconds to read every envelope file and decrypt it: the floor for any export."""
    box = nacl.public.SealedBox(private)
    began = time.perf_counter()
    for name in store.names():
        box.decrypt(store.read(name)[envelope.HEADER_BYTES:])
    return time.perf_counter() - began


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_once(store: Store, out: Path) -> Timing:
    """Seconds for one ``hotline export --format json`` in a fresh process."""
    env = {**os.environ, "HOTLINE_PASSPHRASE": PASSPHRASE, "HOTLINE_STORE": str(store.path)}
    out.unlink(missing_ok=True)
    began, cpu = time.perf_counter(), children_cpu()
    subprocess.run([str(HOTLINE), "export", "--format", "json", "--out", str(out)],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - began, children_cpu() - cpu


def unlock_time(store: Store) -> float:
    [entry] = store.keyring.entries()
    began = time.perf_counter()
    keys.load_private_key(entry.path, PASSPHRASE)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", type=int, default=10_000)
    parser.add_argument("--kdf-cost", choices=sorted(keys.KDF_COSTS), default="interactive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store, pair = make_store(Path(tmp) / "store", args.tips, args.kdf_cost)
        envelopes = [store.read(name) for name in store.names()]
        bare = [bare_loop(envelopes, pair.private) for _ in range(ROUNDS)]
        read_bare = [read_and_decrypt_loop(store, pair.private) for _ in range(ROUNDS)]
        export = [export_once(store, Path(tmp) / "tips.json") for _ in range(ROUNDS)]
        exported = json.loads((Path(tmp) / "tips.json").read_text())
        assert len(exported) == args.tips, "the export must hold every tip"
        unlock = unlock_time(store)
    bare_s, export_s = (statistics.median(t[0] for t in runs) for runs in (bare, export))
    bare_cpu, export_cpu = (statistics.median(t[1] for t in runs) for runs in (bare, export))
    read_bare_s = statistics.median(read_bare)
    ratio, cpu_ratio = export_s / bare_s, export_cpu / bare_cpu
    result = {
        "tips": args.tips,
        "kdf_cost": args.kdf_cost,
        "rounds": ROUNDS,
        "bare_sealedbox_loop_s": round(bare_s, 3),
        "read_files_and_decrypt_loop_s": round(read_bare_s, 3),
        "hotline_export_json_s": round(export_s, 3),
        "key_unlock_s": round(unlock, 3),
        "ratio": round(ratio, 2),
        "bare_sealedbox_loop_cpu_s": round(bare_cpu, 3),
        "hotline_export_json_cpu_s": round(export_cpu, 3),
        "cpu_ratio": round(cpu_ratio, 2),
        "target_ratio": 2.0,
        "met": ratio <= 2.0,
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(f"{'what':<44}{'seconds (median of ' + str(ROUNDS) + ')':>24}")
    print(f"{'bare SealedBox decrypt loop, ' + str(args.tips) + ' envelopes':<44}{bare_s:>24.3f}")
    print(f"{'read every file + decrypt loop':<44}{read_bare_s:>24.3f}")
    print(f"{'hotline export --format json (new process)':<44}{export_s:>24.3f}")
    print(f"{'  of which key unlock, Argon2id ' + args.kdf_cost:<44}{unlock:>24.3f}")
    print(f"{'ratio (target <= 2.0)':<44}{ratio:>24.2f}")
    print(f"{'CPU seconds: bare loop / export':<44}{bare_cpu:>12.3f}{export_cpu:>12.3f}")
    print(f"{'CPU ratio':<44}{cpu_ratio:>24.2f}")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "export.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
