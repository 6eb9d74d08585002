"""The suite's markers, kept honest: a test that drives Chromium must say ``browser``,
and one that starts a real server (gunicorn, nginx, redis, ``tipsite dev``,
``hotline desk``) must say
``live``, or it fails. The quick subset (``make test-quick``) leaves out exactly these.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pytest

# Programs that serve (their file names), and the tipsite commands that do.
SERVERS = {"gunicorn", "nginx", "redis-server"}
SERVING_COMMANDS = {("tipsite", "dev"), ("tipsite", "run"), ("hotline", "desk")}

_current: list[pytest.Item] = []  # the test being set up, run or torn down


# The shared fixtures (tests/conftest.py) that start gunicorn.
LIVE_FIXTURES = {"live_server", "staff_server", "shared_server", "gunicorns"}


def check_markers(items: Sequence[pytest.Item]) -> None:
    """Stop at collection if a test uses the ``browser`` fixture, or a fixture that starts
    gunicorn, without its marker (servers started otherwise are caught when they start)."""
    unmarked = []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures and item.get_closest_marker("browser") is None:
            unmarked.append(f"{item.nodeid}: uses Chromium, mark it @pytest.mark.browser")
        if fixtures & LIVE_FIXTURES and item.get_closest_marker("live") is None:
            unmarked.append(f"{item.nodeid}: uses gunicorn, mark it @pytest.mark.live")
    if unmarked:
        raise pytest.UsageError("unmarked tests:\n  " + "\n  ".join(unmarked))


def running(item: pytest.Item) -> None:
    """Remember ``item`` as the test whose fixtures and body run now."""
    _current[:] = [item]


def server_started(args: str | bytes | PathLike[Any] | Sequence[Any]) -> str:
    """The server program ``args`` starts, or "" when it starts none."""
    if isinstance(args, str | bytes | PathLike):
        return ""  # a shell command line: not ours to read
    words = [Path(str(a)).name for a in args[:2]]
    if words and words[0] in SERVERS:
        return words[0]
    if tuple(words) in SERVING_COMMANDS:
        return " ".join(words)
    return ""


def guard_servers() -> None:
    """Make every subprocess start check that a test starting a server is marked live."""
    original = subprocess.Popen.__init__

    def checked(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        program = server_started(args)
        if program and _current and _current[0].get_closest_marker("live") is None:
            pytest.fail(f"{_current[0].nodeid} starts {program}: mark it @pytest.mark.live",
                        pytrace=False)
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = checked  # type: ignore[method-assign]
