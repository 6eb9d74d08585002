"""Benchmark: ``hotline export --format json`` over 10,000 tips in a local store,
against a bare PyNaCl SealedBox decrypt loop over the same envelopes, in one run.

    .venv/bin/python bench/bench_export.py [--tips 10000] [--kdf-cost interactive] [--rounds 5]

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
import compileall
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

from tipsite.core import envelope, keys, payload
from tipsite.hotline.store import Store

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = Path(sys.executable).parent / "hotline"
PASSPHRASE = "benchmark passphrase"  # noqa: S105 - a throwaway key for the run
ROUNDS = 5  # medians of 5: on a shared machine single runs swing by a third


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
        # Padded as the site pads every tip (32 KiB, envelope.PADDED_SIZE).
        (store.tips / name).write_bytes(envelope.seal(document, pair.public, payload.KIND_TIP))
    return store, pair


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def bare_loop(envelopes: list[bytes], private: nacl.public.PrivateKey) -> Timing:
    """Seconds to decrypt every envelope with SealedBox and nothing else."""
    box = nacl.public.SealedBox(private)
    began, cpu = time.perf_counter(), time.process_time()
    for data in envelopes:
        box.decrypt(data[envelope.HEADER_BYTES:])
    return time.perf_counter() - began, time.process_time() - cpu


def read_and_decrypt_loop(store: Store, private: nacl.public.PrivateKey) -> Timing:
    """Seconds to read every envelope file and decrypt it, in one thread (a reference row)."""
    box = nacl.public.SealedBox(private)
    began, cpu = time.perf_counter(), time.process_time()
    for name in store.names():
        box.decrypt(store.read(name)[envelope.HEADER_BYTES:])
    return time.perf_counter() - began, time.process_time() - cpu


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
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    # Bytecode as an installed tool has it (pip compiles at install): with
    # PYTHONDONTWRITEBYTECODE set, every run would otherwise compile the package again.
    compileall.compile_dir(ROOT / "tipsite", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        store, pair = make_store(Path(tmp) / "store", args.tips, args.kdf_cost)
        # Written back before timing: the kernel flushing 40 MB of new files would
        # otherwise slow whichever rounds it overlaps.
        os.sync()
        envelopes = [store.read(name) for name in store.names()]
        load_before = os.getloadavg()[0]
        bare, read_bare, export = [], [], []
        for _ in range(args.rounds):  # interleaved, so load that comes and goes hits all three
            bare.append(bare_loop(envelopes, pair.private))
            read_bare.append(read_and_decrypt_loop(store, pair.private))
            export.append(export_once(store, Path(tmp) / "tips.json"))
        exported = json.loads((Path(tmp) / "tips.json").read_text())
        assert len(exported) == args.tips, "the export must hold every tip"
        unlock = unlock_time(store)
    bare_s, read_bare_s, export_s = (statistics.median(t[0] for t in runs)
                                     for runs in (bare, read_bare, export))
    bare_cpu, read_bare_cpu, export_cpu = (statistics.median(t[1] for t in runs)
                                           for runs in (bare, read_bare, export))
    ratio, cpu_ratio = export_s / bare_s, export_cpu / bare_cpu
    # Each round's export against the bare loop run just before it: steadier than the
    # ratio of medians when the machine's speed drifts during the run.
    paired = statistics.median(e[0] / b[0] for e, b in zip(export, bare, strict=True))
    result = {
        "tips": args.tips,
        "kdf_cost": args.kdf_cost,
        "rounds": args.rounds,
        "bare_sealedbox_loop_s": round(bare_s, 3),
        "read_files_and_decrypt_loop_s": round(read_bare_s, 3),
        "read_files_and_decrypt_loop_cpu_s": round(read_bare_cpu, 3),
        "hotline_export_json_s": round(export_s, 3),
        "key_unlock_s": round(unlock, 3),
        "ratio": round(ratio, 2),
        "paired_ratio_median": round(paired, 2),
        "bare_sealedbox_loop_cpu_s": round(bare_cpu, 3),
        "hotline_export_json_cpu_s": round(export_cpu, 3),
        "cpu_ratio": round(cpu_ratio, 2),
        "target_ratio": 2.0,
        "met": ratio <= 2.0,
        # Other work on the machine, before and after the timed runs.
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "export_wall_s_each": [round(t[0], 3) for t in export],
        "bare_loop_wall_s_each": [round(t[0], 3) for t in bare],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    print(f"{'what':<44}{'seconds (median of ' + str(args.rounds) + ')':>24}")
    print(f"{'bare SealedBox decrypt loop, ' + str(args.tips) + ' envelopes':<44}{bare_s:>24.3f}")
    print(f"{'read every file + decrypt loop':<44}{read_bare_s:>24.3f}")
    print(f"{'hotline export --format json (new process)':<44}{export_s:>24.3f}")
    print(f"{'  of which key unlock, Argon2id ' + args.kdf_cost:<44}{unlock:>24.3f}")
    print(f"{'ratio (target <= 2.0)':<44}{ratio:>24.2f}")
    print(f"{'  median of per-round ratios':<44}{paired:>24.2f}")
    print(f"{'CPU seconds: bare loop / read+decrypt / export':<44}"
          f"{bare_cpu:>8.3f}{read_bare_cpu:>8.3f}{export_cpu:>8.3f}")
    print(f"{'CPU ratio (the export uses several threads)':<44}{cpu_ratio:>24.2f}")
    print(f"{'load average (1 min) before / after':<44}{load_before:>12.2f}"
          f"{os.getloadavg()[0]:>12.2f}")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "export.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
