"""Cells for the spreadsheets the app writes (CSV and XLSX): text never becomes a formula.

A referral or unit named ``=HYPERLINK(…)`` would otherwise run as a formula in whoever opens the export
(OWASP "CSV injection"). The one rule: text starting with a character a spreadsheet program reads as the start
of a formula is kept as text. In CSV it gets a leading apostrophe (the value stays readable); in XLSX it is
written as an explicit string with the quote-prefix style, so it stays exactly as typed. Numbers and dates
are left alone: a negative number is a number, not a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
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


# --------------------------------------------------------------------------------------------------
# Reading what people upload (units, members, cases in progress)


def read_rows(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The first sheet of an XLSX file, or a CSV file (UTF-8, comma or semicolon), as dicts keyed by the
    lower-cased header, each with its line number in ``_line``; blank lines are skipped. XLSX cells keep their
    types (a date cell is a ``datetime``). Unreadable content raises ``ValueError`` (or a decoding error)."""
    if filename.lower().endswith(".xlsx"):
        try:
            return _xlsx_rows(content)
        except (zipfile.BadZipFile, KeyError, TypeError) as exc:  # not a workbook, or a broken one
            raise ValueError(f"not an XLSX workbook: {exc}") from exc
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") > 0 else ",")
    return _rows(list(reader))


def _xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        return _rows([list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)])
    finally:
        workbook.close()


def _rows(table: list[list[Any]]) -> list[dict[str, Any]]:
    if not table:
        return []
    header = [str(h or "").strip().lower() for h in table[0]]
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        row = {name: values[i] if i < len(values) else None for i, name in enumerate(header) if name}
        row["_line"] = number
        rows.append(row)
    return rows
