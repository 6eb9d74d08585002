"""Every test SECURITY.md names as the proof of a promise exists: a promise whose proof
was renamed or deleted would otherwise stand on nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def named_proofs() -> list[tuple[str, str]]:
    """(file, test) for every ``tests/file.py::test`` and following ``::test`` in a cell."""
    proofs: list[tuple[str, str]] = []
    for line in (ROOT / "SECURITY.md").read_text(encoding="utf-8").splitlines():
        current = ""
        for match in REFERENCE.finditer(line):
            current = match.group(1) or current
            if match.group(2) and current:
                proofs.append((current, match.group(2)))
    return proofs


def test_every_proof_named_in_security_md_exists() -> None:
    proofs = named_proofs()
    assert len(proofs) > 50  # the reader above finds them
    missing = [f"{file}::{name}" for file, name in proofs
               if not (ROOT / file).is_file()
               or not re.search(rf"^def {name}\(", (ROOT / file).read_text(encoding="utf-8"),
                                re.MULTILINE)]
    assert missing == []
