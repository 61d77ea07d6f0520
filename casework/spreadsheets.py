"""Cells for the spreadsheets the app writes (CSV and XLSX): text never becomes a formula.

A referral or unit named ``=HYPERLINK(…)`` would otherwise run as a formula in whoever opens the export
(OWASP "CSV injection"). The one rule: text starting with a character a spreadsheet program reads as the start
of a formula is kept as text. In CSV it gets a leading apostrophe (the value stays readable); in XLSX it is
written as an explicit string with the quote-prefix style, so it stays exactly as typed. Numbers and dates
are left alone: a negative number is a number, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The ASCII leads, and the full-width forms some spreadsheet programs accept as the same.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_formula_like(value: Any) -> bool:
    """Would a spreadsheet read this cell as a formula? Only text can be."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: formula-like text behind an apostrophe, ``None`` empty, the rest as it is."""
    if value is None:
        return ""
    return "'" + value if is_formula_like(value) else value


class CsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def xlsx_row(sheet, row: Iterable[Any]) -> list[Any]:
    """A row for a write-only openpyxl sheet's ``append``: formula-like text as an explicit string cell."""
    return [_text_cell(sheet, v) if is_formula_like(v) else v for v in row]


def _text_cell(sheet, value: str):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # not "f": stored as the text itself
    cell.quotePrefix = True  # and editing it in the spreadsheet keeps it text
    return cell
