"""Text for CSV files that people open in a spreadsheet (OWASP, "CSV injection").

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula (a tab or a carriage return before it is skipped), and a formula can
open a link that carries other cells away or, through DDE, start a program. A leading
``'`` makes the cell text: the spreadsheet shows it and runs nothing.

A plain number (``-5``, ``+2.5``, ``-1,5``) is left as it is: no spreadsheet reads one as
anything but a number, and a ``'`` would turn a column of numbers into text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def formula_safe(cell: str) -> str:
    """``cell`` as a spreadsheet will show it and never run it."""
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def formula_safe_row(cells: Iterable[str]) -> list[str]:
    return [formula_safe(cell) for cell in cells]
