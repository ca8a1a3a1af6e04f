"""The README's "Where each feature lives" table names modules and access functions that exist.

A reader follows the table to find a feature's code; a renamed module or a removed policy
function would leave them at a dead end, so the table is checked against the tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from alliance.care import access

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "alliance"


def _table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Where each feature lives", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| feature |"), "the table's header moved"
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _exists(name: str, under: Path) -> bool:
    path = under / name
    return path.exists() or (under / name.rstrip("/")).is_dir()


def test_the_table_has_a_row_per_feature() -> None:
    rows = _table_rows()
    assert len(rows) >= 14
    assert all(len(row) == 4 for row in rows)


def test_every_module_the_table_names_exists() -> None:
    missing = []
    for feature, owned, shown, _who in _table_rows():
        for name in _names(owned):
            if "/" in name and not _exists(name, PACKAGE):
                missing.append((feature, name))
        for name in _names(shown):
            if not _exists(name, PACKAGE / "web"):
                missing.append((feature, name))
    assert missing == []


def test_every_access_function_the_table_names_is_in_the_policy_module() -> None:
    missing = []
    for feature, _owned, _shown, who in _table_rows():
        for name in _names(who):
            if "/" in name or "." in name:
                continue  # a file, not a function
            if name.startswith("Act."):
                continue
            if not callable(getattr(access, name, None)):
                missing.append((feature, name))
    assert missing == []
