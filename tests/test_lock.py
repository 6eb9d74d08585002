"""The locks in requirements/ agree with pyproject.toml, and installs are exactly the lock.

pyproject.toml says which ranges the code works with; requirements/*.txt (made by
`make lock`) say which files are installed, each checked against its hash. These tests
fail when the two drift apart, when the environment the tests run in is anything but
the test lock, and they show that pip refuses a file whose hash is not the locked one.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
PROJECT = "tipsite"
# Who asked for a pin, in uv's annotations: our own pyproject.toml, or a constraint file
# (the site and staff locks are constrained to the test lock's versions).
FROM_PYPROJECT = "tipsite (pyproject.toml)"
# The web side: none of it may reach a staff laptop.
WEB_ONLY = {"flask", "flask-wtf", "flask-limiter", "flask-babel", "redis", "gunicorn",
            "werkzeug", "jinja2", "wtforms", "limits"}
# The test tools: none of them belong on the server.
TEST_ONLY = {"pytest", "hypothesis", "ruff", "mypy", "playwright", "axe-playwright-python"}


@dataclass
class Pin:
    """One locked package: name, exact version, the platforms it is for, its hashes."""

    name: str
    version: str
    marker: Marker | None
    hashes: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)

    def applies_here(self) -> bool:
        """Whether this pin is for the interpreter running the tests."""
        return self.marker is None or self.marker.evaluate()


def read_lock(path: Path) -> list[Pin]:
    """Parse a lock written by `uv pip compile --generate-hashes` (pip's requirement format)."""
    pins: list[Pin] = []
    in_via_list = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not raw.startswith((" ", "#")):
            requirement = Requirement(line.removesuffix("\\").strip())
            [spec] = requirement.specifier  # exactly one specifier: the pin
            assert spec.operator == "==", f"{path.name}: {line} is not pinned with =="
            pins.append(Pin(canonicalize_name(requirement.name), spec.version,
                            requirement.marker))
            in_via_list = False
        elif line.startswith("--hash="):
            pins[-1].hashes.append(line.removeprefix("--hash=").removesuffix("\\").strip())
        elif pins and line.startswith("# via"):
            named = line.removeprefix("# via").strip()
            in_via_list = not named
            if named:
                pins[-1].via.add(named)
        elif pins and in_via_list and line.startswith("#   "):
            pins[-1].via.add(line.removeprefix("#").strip())
    return pins


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def direct_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """pyproject's requirements for the core plus EXTRAS (and the extras they name)."""
    project = pyproject()["project"]
    assert isinstance(project, dict)
    optional: dict[str, list[str]] = project["optional-dependencies"]
    build = pyproject()["build-system"]
    assert isinstance(build, dict)
    # setuptools builds the project itself from the checkout, so it is locked too.
    wanted = [Requirement(text) for text in project["dependencies"] + build["requires"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in map(Requirement, optional[extra]):
            if canonicalize_name(requirement.name) == PROJECT:
                pending.extend(requirement.extras)  # e.g. test = ["tipsite[site]", …]
            else:
                wanted.append(requirement)
    return wanted


# Each lock and the pyproject extras it is made from (Makefile, target _lock).
LOCKS = {
    "hotline.txt": (),
    "site.txt": ("site",),
    "desk.txt": ("desk",),
    "test.txt": ("test",),
}


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_pyproject_dependency_is_locked_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = {pin.name: pin for pin in read_lock(REQUIREMENTS / lock)}
    for requirement in direct_requirements(extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in {lock}: make lock"
        version = pins[name].version
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside pyproject's {requirement}: make lock")


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_locked_package_is_asked_for(lock: str, extras: tuple[str, ...]) -> None:
    """A pin must come from pyproject.toml or from another pin; none is left over."""
    pins = read_lock(REQUIREMENTS / lock)
    names = {pin.name for pin in pins}
    direct = {canonicalize_name(r.name) for r in direct_requirements(extras)}
    for pin in pins:
        if FROM_PYPROJECT in pin.via:
            assert pin.name in direct, (
                f"{lock} says pyproject.toml asks for {pin.name}; it does not: make lock")
        if pin.name not in direct:
            assert {canonicalize_name(v) for v in pin.via} & names, (
                f"{lock} holds {pin.name}, which nothing in pyproject.toml needs: make lock")


@pytest.mark.parametrize("lock", [*LOCKS, "lock-tool.txt"])
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    pins = read_lock(REQUIREMENTS / lock)
    assert pins
    for pin in pins:
        assert pin.hashes, f"{lock}: {pin.name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), pin


def test_the_staff_lock_holds_no_web_framework_and_the_site_no_test_tools() -> None:
    staff = {pin.name for pin in read_lock(REQUIREMENTS / "hotline.txt")}
    site = {pin.name for pin in read_lock(REQUIREMENTS / "site.txt")}
    assert not staff & WEB_ONLY, staff & WEB_ONLY
    assert not site & TEST_ONLY, site & TEST_ONLY
    assert {"pynacl", "click", "zxcvbn"} <= staff and {"flask", "gunicorn"} <= site
    desk = {pin.name for pin in read_lock(REQUIREMENTS / "desk.txt")}
    assert {"flask", "gunicorn", "pynacl"} <= desk and not desk & {"redis", "flask-limiter"}
    assert not desk & TEST_ONLY


def test_a_package_has_one_version_in_every_lock() -> None:
    """The site and the staff tool run the versions the tests ran."""
    tested = {(pin.name, str(pin.marker)): pin for pin in read_lock(REQUIREMENTS / "test.txt")}
    for lock in ("site.txt", "hotline.txt", "desk.txt"):
        for pin in read_lock(REQUIREMENTS / lock):
            twin = tested.get((pin.name, str(pin.marker)))
            assert twin is not None, f"{lock}: {pin.name} ({pin.marker}) is not in test.txt"
            assert (pin.version, sorted(pin.hashes)) == (twin.version, sorted(twin.hashes)), (
                f"{lock} pins {pin.name}=={pin.version}, test.txt {twin.version}")


def test_this_environment_is_exactly_the_test_lock() -> None:
    """What `make test` installed is what the lock says: no more, no less, no other version."""
    expected = {pin.name: pin.version for pin in read_lock(REQUIREMENTS / "test.txt")
                if pin.applies_here()}
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version
                 for dist in importlib.metadata.distributions()}
    # The project itself (installed from the checkout) and pip, the installer that
    # Python's venv brings, are the only things not from the lock.
    installed.pop(PROJECT, None)
    installed.pop("pip", None)
    assert installed == expected


# --- pip refuses what the lock did not promise ------------------------------------------

def make_wheel(folder: Path, name: str = "probe", version: str = "1.0") -> Path:
    """A minimal, valid pure-Python wheel, made here so the test needs no network."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 1\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test_lock\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def install_locked(
    tmp_path: Path, lock_line: str, wheels: Path
) -> subprocess.CompletedProcess[str]:
    """Install LOCK_LINE the way the Makefile does, from WHEELS only, into a scratch folder."""
    lock = tmp_path / "lock.txt"
    lock.write_text(lock_line + "\n")
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check",
         "--require-hashes", "--only-binary", ":all:", "--no-index", "--find-links", str(wheels),
         "--target", str(tmp_path / "target"), "-r", str(lock)],
        capture_output=True, text=True, timeout=120)


def flip_one_digit(sha: str) -> str:
    return sha[:-1] + ("0" if sha[-1] != "0" else "1")


def test_the_locked_hash_installs(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    result = install_locked(tmp_path, f"probe==1.0 --hash=sha256:{sha}", wheel.parent)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "target" / "probe" / "__init__.py").exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        # One changed digit in the hash: the file is not the one the lock promised.
        ("probe==1.0 --hash=sha256:{wrong}", "THESE PACKAGES DO NOT MATCH THE HASHES"),
        # An entry without a hash, or not pinned to one version, is refused outright.
        ("probe==1.0", "Hashes are required in --require-hashes mode"),
        ("probe>=1.0 --hash=sha256:{right}", "must have their versions pinned with =="),
    ],
    ids=["changed-hash", "no-hash", "not-pinned"],
)
def test_an_install_that_differs_from_the_lock_fails_clearly(
    tmp_path: Path, entry: str, message: str
) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    result = install_locked(tmp_path, entry.format(right=sha, wrong=flip_one_digit(sha)),
                            wheel.parent)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    if "{wrong}" in entry:
        # The message names the package, the expected hash and the one it got.
        assert f"Expected sha256 {flip_one_digit(sha)}" in result.stderr
        assert f"Got        {sha}" in result.stderr
    assert not (tmp_path / "target" / "probe").exists()  # nothing half installed


# --- the Debian programs `make test` needs ----------------------------------------------

SYSTEM_PACKAGES = REQUIREMENTS / "system-packages.sh"


def checkout_needing(tmp_path: Path, needed: str) -> Path:
    """A copy of the install files whose system-packages.sh asks for NEEDED instead."""
    repo = tmp_path / "repo"
    shutil.copytree(REQUIREMENTS, repo / "requirements")
    shutil.copy(ROOT / "Makefile", repo)
    shutil.copy(ROOT / "pyproject.toml", repo)
    script = repo / "requirements" / "system-packages.sh"
    text = script.read_text()
    patched = re.sub(r'^NEEDED=".*"$', f'NEEDED="{needed}"', text, count=1, flags=re.M)
    assert patched != text
    script.write_text(patched)
    return repo


def not_root_env(tmp_path: Path) -> dict[str, str]:
    """PATH with an `id` that says 1000: the script behaves as for a user, even under root."""
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake / "id").chmod(0o755)
    return {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}


def test_present_programs_need_nothing(tmp_path: Path) -> None:
    repo = checkout_needing(tmp_path, "sh:dash /bin/sh:dash")
    result = subprocess.run(["sh", "requirements/system-packages.sh"], cwd=repo,
                            env=not_root_env(tmp_path), capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_make_test_without_a_program_stops_first_naming_the_command(tmp_path: Path) -> None:
    repo = checkout_needing(tmp_path, "sh:dash no-such-program-tipsite:tipsite-fake-package")
    result = subprocess.run(["make", "--no-print-directory", "test"], cwd=repo,
                            env=not_root_env(tmp_path), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    [line, *make_says] = result.stderr.splitlines()
    install = "apt-get install -y --no-install-recommends tipsite-fake-package"
    if shutil.which("apt-get"):
        assert line.endswith(f"run: sudo apt-get update && sudo {install}"), line
    else:
        assert f"on Debian: {install}" in line, line
    assert all(said.startswith("make") for said in make_says)  # make's own "Error 1"
    # Stopped before anything was made: no environment, half or whole.
    assert not (repo / ".venv").exists()
