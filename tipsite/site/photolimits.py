"""How many photos a tip may carry and how large each may be (``TIPSITE_PHOTO_*``).

Read and checked once at start-up, like every setting (config.py), with a message
that says what to do. Photos are held in memory from upload to seal, so these two
numbers bound what one request can cost a worker (docs/performance.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tipsite.core.errors import ConfigError

MAX_COUNT = 5  # the most TIPSITE_PHOTO_MAX_COUNT may allow
DEFAULT_MAX_BYTES = 10_000_000  # a phone's largest ordinary photo, with room
#: Above this a single upload would hold a worker's memory for little gain.
CEILING_BYTES = 50_000_000
FLOOR_BYTES = 100_000  # below this even a small phone photo is refused


@dataclass(frozen=True)
class PhotoLimits:
    """The checked photo limits; ``max_count`` 0 turns photos off."""

    max_count: int = MAX_COUNT
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def enabled(self) -> bool:
        """Whether the form offers photos at all."""
        return self.max_count > 0

    @property
    def max_request_bytes(self) -> int:
        """What the photos may add to one request: every photo at its largest."""
        return self.max_count * self.max_bytes


def load_photo_limits(env: Mapping[str, str] | None = None) -> PhotoLimits:
    """Read ``TIPSITE_PHOTO_MAX_COUNT`` and ``TIPSITE_PHOTO_MAX_BYTES`` from ``env``."""
    env = os.environ if env is None else env
    return PhotoLimits(
        max_count=_number(env, "TIPSITE_PHOTO_MAX_COUNT", MAX_COUNT, 0, MAX_COUNT,
                          "give the number of photos a tip may carry, 0 to 5 (0: no photos)"),
        max_bytes=_number(env, "TIPSITE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES,
                          FLOOR_BYTES, CEILING_BYTES,
                          f"give the largest photo in bytes, {FLOOR_BYTES:,} to "
                          f"{CEILING_BYTES:,} (default {DEFAULT_MAX_BYTES:,})"),
    )


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int,
            hint: str) -> int:
    value = env.get(name, "").strip() or str(default)
    # isascii: "²" is a digit to isdigit() but not a number to int().
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ConfigError(f"{name}={value!r}: {hint}")
    return int(value)
