"""Tip ids the way git shows hashes: short when listed, any unique prefix accepted.

A tip's id is its envelope's random file name (32 hex digits). People read and
type the first few digits; the tool finds the one tip they name or says why not.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from tipsite.core.errors import IdError

MIN_PREFIX = 4  # shorter prefixes would match too much to be a deliberate choice
SHOWN = 8  # digits shown in listings; longer only where two tips would look alike


def resolve(prefix: str, names: Iterable[str]) -> str:
    """The one name in ``names`` that starts with ``prefix``."""
    wanted = prefix.strip().lower()
    if len(wanted) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in wanted):
        raise IdError(f"{prefix!r} is not a tip id (give at least {MIN_PREFIX} hex digits)")
    matches = [name for name in names if name.startswith(wanted)]
    if not matches:
        raise IdError(f"no tip with id {wanted}")
    if len(matches) > 1:
        # Name them, each as short as still tells it apart, so one can be copied.
        shown = short_length(matches)
        listed = ", ".join(name[:shown] for name in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise IdError(f"{wanted} is ambiguous: {len(matches)} tips start with it: "
                      f"{listed}{more}; give more digits")
    return matches[0]


def short_length(names: Iterable[str]) -> int:
    """How many digits make every name in ``names`` distinct, at least ``SHOWN``."""
    ordered = sorted(names)
    length = SHOWN
    for left, right in pairwise(ordered):
        common = next((i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b),
                      min(len(left), len(right)))
        length = max(length, common + 1)
    return length
