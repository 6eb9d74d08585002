"""The Debian programs the tests run, and the one rule for a missing one.

The rule: a test that needs a Debian program (nginx, redis-server, tor, …) FAILS when
it is missing, with a message naming ``make system-packages``; it never skips. ``make
test`` installs them first (requirements/system-packages.sh), so a green run has
checked everything. (Root-only checks are a different matter: privileges cannot be
installed, so those skip with a reason when not root; CI runs as root.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Debian puts servers in /usr/sbin, which a user's PATH often leaves out.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin",
                               "/sbin"])


def need(program: str) -> str:
    """The full path of ``program``; the test fails, naming the fix, if it is missing."""
    found = shutil.which(program, path=SEARCH_PATH)
    if found is None:
        pytest.fail(f"{program} is not installed: run `make system-packages` "
                    "(requirements/system-packages.sh installs what the tests need)",
                    pytrace=False)
    return found


def need_file(path: Path, package: str) -> Path:
    """``path``, a file a Debian package ships; the test fails, naming the fix, if absent."""
    if not path.exists():
        pytest.fail(f"{path} is missing (Debian package {package}): run `make system-packages`",
                    pytrace=False)
    return path
