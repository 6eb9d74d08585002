"""The layout tells the architecture, and its two maps cannot drift from the tree.

Each subpackage's docstring lists its modules (``- ``name``  what it owns``); the
README's module table is made from those lists. A module added, removed or renamed
without its line fails here, with the table to paste printed in the message.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tipsite"
PARTS = ("core", "site", "hotline", "desk")
ENTRY = re.compile(r"^- ``(?P<name>[a-z_]+)``\s+(?P<what>.+)$")
TABLE_START = "The package, one idea per module:"
MAX_LINES = 400  # "none much over 400 lines": a longer module holds two ideas
# The staff tool's command line; every other module of tipsite/hotline is its service layer.
HOTLINE_CLI = {"cli", "ui", "editor", "commands"}


def docstring_map(part: str) -> dict[str, str]:
    """``{module: what it owns}`` as the subpackage's docstring lists them."""
    doc = importlib.import_module(f"tipsite.{part.replace('/', '.')}").__doc__ or ""
    found: dict[str, str] = {}
    name = ""
    for line in doc.splitlines():
        match = ENTRY.match(line)
        if match:
            name = match["name"]
            found[name] = match["what"].strip()
        elif name and line.startswith("  ") and line.strip():
            found[name] += " " + line.strip()  # a description wrapped onto the next line
        else:
            name = ""
    return found


def tree_modules(part: str) -> set[str]:
    """The modules and subpackages really in ``tipsite/PART``."""
    folder = PACKAGE / part
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
    return names


def expected_table() -> str:
    """The README's module table, made from the docstrings."""
    rows = ["| module | what it owns |", "| --- | --- |"]
    for part in PARTS:
        for name, what in docstring_map(part).items():
            path = f"tipsite/{part}/{name}" + ("/" if (PACKAGE / part / name).is_dir() else ".py")
            rows.append(f"| `{path}` | {what.replace('``', '`')} |")
    return "\n".join(rows)


def readme_table() -> str:
    """The table that follows TABLE_START in the README (its lines up to the first non-row)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in text.split(TABLE_START, 1)[1].lstrip("\n").splitlines():
        if not line.startswith("|"):
            break
        rows.append(line)
    return "\n".join(rows)


def test_the_top_level_shows_the_parts() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == {"__init__.py", "core", "site", "hotline", "desk", "translations"}


def test_each_part_docstring_lists_exactly_its_modules() -> None:
    for part in PARTS:
        listed = set(docstring_map(part))
        assert listed == tree_modules(part), (
            f"tipsite/{part}/__init__.py lists {sorted(listed - tree_modules(part))} "
            f"that do not exist and misses {sorted(tree_modules(part) - listed)}")


def test_the_readme_module_table_is_made_from_the_docstrings() -> None:
    assert readme_table() == expected_table(), (
        "README.md's module table differs from the subpackages' docstrings; "
        "paste this after '" + TABLE_START + "':\n\n" + expected_table())


def test_the_map_would_catch_a_module_missing_from_it() -> None:
    # The check above is only worth something if a real module absent from a docstring
    # shows up in the tree: every part holds modules the docstring must name.
    for part in PARTS:
        assert len(tree_modules(part)) >= 5
        assert "__init__" not in tree_modules(part)


def test_subpackages_inside_the_parts_list_their_modules_too() -> None:
    nested = [f"{part}/{p.parent.name}" for part in PARTS
              for p in (PACKAGE / part).glob("*/__init__.py")]
    assert "hotline/commands" in nested
    for sub in nested:
        listed = set(docstring_map(sub))
        assert listed == tree_modules(sub), (
            f"tipsite/{sub}/__init__.py lists {sorted(listed - tree_modules(sub))} "
            f"that do not exist and misses {sorted(tree_modules(sub) - listed)}")


def test_no_module_is_over_400_lines() -> None:
    lengths = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
               for path in PACKAGE.rglob("*.py")}
    assert len(lengths) > 40  # the walk found the package
    too_long = {path: count for path, count in lengths.items() if count > MAX_LINES}
    assert not too_long, f"split these modules, each holds more than one idea: {too_long}"


def test_the_no_click_contract_names_every_service_module_of_the_staff_tool() -> None:
    # A service module left out of the import-linter contract could import click unseen.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"]
                  if c["name"] == "The staff tool's service layer imports no click"]
    named = {module.removeprefix("tipsite.hotline.") for module in contract["source_modules"]}
    assert "click" in contract["forbidden_modules"]
    assert named == tree_modules("hotline") - HOTLINE_CLI
