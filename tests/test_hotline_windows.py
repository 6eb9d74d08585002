"""``hotline`` refuses Windows with a plain message, not an ImportError's traceback.

The store locks with fcntl and the inbox opens folders with O_DIRECTORY, so the
staff tool runs on Linux and macOS only. On Windows, ``main()`` must say so before
anything imports the store. The platform is faked after click is imported (click
reads the platform once, at import, to pick its console streams).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AS_IF_ON_WINDOWS = """
import sys
from tipsite.hotline import cli
sys.platform = "win32"
try:
    cli.main(["list"])
finally:
    print("store imported" if "tipsite.hotline.store" in sys.modules else "store not imported")
"""


def test_hotline_on_windows_exits_2_with_a_plain_message(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", AS_IF_ON_WINDOWS], capture_output=True,
                            text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: hotline runs on Linux and macOS, not on Windows\n")
    assert "hint: " in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip() == "store not imported"


def test_the_same_script_on_this_system_runs_hotline(tmp_path: Path) -> None:
    # The check above proves something only if the script reaches hotline otherwise.
    script = AS_IF_ON_WINDOWS.replace('sys.platform = "win32"', "pass")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60,
                            env={"HOTLINE_STORE": str(tmp_path / "store"), "PATH": "/usr/bin"})
    assert "Windows" not in result.stderr
    assert "store imported" in result.stdout
