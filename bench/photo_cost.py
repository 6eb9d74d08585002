"""What cleaning one phone photo costs, next to a bare Pillow open-and-save of it.

Run: ``.venv/bin/python bench/photo_cost.py``. Makes a phone-sized JPEG (4032 x
3024, sensor-like noise, about 5 MB, with EXIF), then times on the same bytes:

- bare Pillow: ``Image.open`` and ``save`` as JPEG, quality 85, nothing else;
- ``photos.clean_photo``: the site's whole cleaning (checks, orientation, sRGB,
  cap at 4,096 px, a fresh image, JPEG quality 85);
- the same photo as a HEIC (how iPhones send it), cleaned.

It prints the median and spread of the CPU time of several runs of each, and the peak memory of
one run of each in a fresh process (the rise of VmHWM over the resident memory
before the run), for docs/performance.md.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from tests.support import photofiles  # noqa: E402
from tipsite.site import photos  # noqa: E402

RUNS = 7


def bare_pillow(data: bytes) -> bytes:
    """What any image upload does at the least: open, decode, save."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.save(out, "JPEG", quality=photos.JPEG_QUALITY)
    return out.getvalue()


def cleaned(data: bytes) -> bytes:
    return photos.clean_photo(data).data


def phone_heic(data: bytes) -> bytes:
    import pillow_heif

    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        pillow_heif.from_pillow(image).save(out, quality=80)
    return out.getvalue()


def timed_side_by_side(
    funcs: dict[str, Callable[[bytes], bytes]], data: bytes, runs: int = RUNS
) -> dict[str, list[float]]:
    """CPU milliseconds per call of each of ``funcs``, their runs interleaved.

    CPU time of the process (every thread: libheif decodes with several), not
    wall time, and interleaved: on a shared machine other processes then move
    neither side.
    """
    for func in funcs.values():
        func(data)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(runs):
        for name, func in funcs.items():
            start = time.process_time()
            func(data)
            times[name].append((time.process_time() - start) * 1000)
    return times


def peak_mib(kind: str, path: Path) -> float:
    """Peak resident memory one call adds, measured in a fresh process.

    Linux: writing 5 to /proc/self/clear_refs resets the high-water mark (VmHWM),
    so the peak is the call's own, after every import and the file's bytes.
    """
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r});"
            "from bench.photo_cost import bare_pillow, cleaned, status_kib;"
            f"data = open({str(path)!r}, 'rb').read();"
            "open('/proc/self/clear_refs', 'w').write('5');"
            "before = status_kib('VmRSS');"
            f"{kind}(data);"
            "print(status_kib('VmHWM') - before)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return int(out.stdout) / 1024


def status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def report(name: str, times: list[float]) -> float:
    q = statistics.quantiles(times, n=4)
    median = statistics.median(times)
    print(f"  {name}: median {median:.0f} ms "
          f"(quartiles {q[0]:.0f}-{q[-1]:.0f} ms, {len(times)} runs)")
    return median


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="photo-cost-") as folder:
        tmp = Path(folder)
        jpeg = photofiles.noisy_jpeg()
        heic = phone_heic(jpeg)
        print(f"{os.cpu_count()} cores, Pillow {Image.__version__}; a 4032 x 3024 JPEG of "
              f"{len(jpeg) / 1e6:.1f} MB, the same as HEIC: {len(heic) / 1e6:.1f} MB")
        print("CPU time per photo:")
        for fmt, data in (("JPEG", jpeg), ("HEIC", heic)):
            times = timed_side_by_side({"bare": bare_pillow, "clean": cleaned}, data)
            bare = report(f"bare Pillow open + save ({fmt})", times["bare"])
            clean = report(f"clean_photo ({fmt})", times["clean"])
            print(f"  {fmt}: cleaning / bare = {clean / bare:.2f}x")
        print(f"  output: {len(cleaned(jpeg)) / 1e6:.1f} MB JPEG from the JPEG, "
              f"{len(cleaned(heic)) / 1e6:.1f} MB from the HEIC")
        paths = {"jpeg": tmp / "photo.jpg", "heic": tmp / "photo.heic"}
        paths["jpeg"].write_bytes(jpeg)
        paths["heic"].write_bytes(heic)
        print(f"load average while measuring: {os.getloadavg()[0]:.1f}")
        print("peak memory one photo adds (fresh process, VmHWM):")
        for name, kind in (("bare Pillow", "bare_pillow"), ("clean_photo", "cleaned")):
            for fmt in ("jpeg", "heic"):
                print(f"  {name} ({fmt.upper()}): {peak_mib(kind, paths[fmt]):.0f} MiB")
        print("peak memory at the largest photos allowed (clean_photo, fresh process):")
        for label, path in largest(tmp).items():
            print(f"  {label}: {peak_mib('cleaned', path):.0f} MiB")


def largest(folder: Path) -> dict[str, Path]:
    """The heaviest photos the limits let through, one of each kind."""
    paths = {"48-megapixel JPEG (8064 x 6048)": folder / "large.jpg",
             "25-megapixel PNG with transparency (5000 x 5000)": folder / "large.png"}
    photofiles.scene(8064, 6048).save(paths["48-megapixel JPEG (8064 x 6048)"], "JPEG",
                                      quality=90)
    picture = photofiles.scene(5000, 5000)
    picture.putalpha(200)
    picture.save(paths["25-megapixel PNG with transparency (5000 x 5000)"], "PNG",
                 compress_level=1)
    return paths


if __name__ == "__main__":
    main()
