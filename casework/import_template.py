"""The template for importing cases in progress, as CSV and as XLSX: the columns of one workflow version
(``casework.engine.importing.import_columns``) and an example row.

The XLSX template has a second sheet listing each column with its labels, whether it is required and, for a key
date a step's effect produces, that it may be left blank; every
cell of the first sheet is text, so a national ID keeps its leading zeros and a date is read as typed.
"""

from __future__ import annotations

import io

from casework.engine.definition import WorkflowDef
from casework.engine.effects import EFFECTS
from casework.engine.importing import example_row, import_columns
from casework.spreadsheets import CsvWriter, xlsx_row

COLUMNS_SHEET = {"vi": "Các cột", "en": "Columns"}
# A key date a step's effect produces (the end of probation, say) is worked out from the row's other dates when the
# effect can do it from them alone; the check names the date to type when it cannot (an effect taking the day).
WORKED_OUT = ("Có thể để trống: hệ thống tính từ các ngày khác của dòng; khi kiểm tra sẽ báo nếu cần nhập. / "
              "May be left blank: worked out from the row's other dates; the check says when it must be typed.")


def worked_out_dates(wf: WorkflowDef) -> frozenset[str]:
    """The key dates this version's steps' effects produce."""
    return frozenset(name for tdef in wf.transitions for effect in tdef.effects if effect in EFFECTS
                     for name in EFFECTS[effect].produces_dates)


def template_name(wf: WorkflowDef, extension: str) -> str:
    return f"{wf.name}-v{wf.version}-cases-in-progress.{extension}"


def template_csv(wf: WorkflowDef) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Vietnamese letters right."""
    columns = import_columns(wf)
    example = example_row(wf)
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow([c.name for c in columns])
    writer.writerow([example[c.name] for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(wf: WorkflowDef) -> bytes:
    from openpyxl import Workbook

    columns = import_columns(wf)
    example = example_row(wf)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "cases"
    sheet.append(xlsx_row(sheet, [c.name for c in columns]))
    sheet.append(xlsx_row(sheet, [example[c.name] for c in columns]))
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 2)
        for row in range(1, 502):  # text cells: leading zeros and dates stay as typed
            sheet.cell(row=row, column=index).number_format = "@"
    guide = workbook.create_sheet(f"{COLUMNS_SHEET['vi']} - {COLUMNS_SHEET['en']}")
    guide.append(["column", "Tên cột", "Label", "Bắt buộc / Required", "Ghi chú / Note"])
    worked_out = worked_out_dates(wf)
    for column in columns:
        note = WORKED_OUT if column.kind == "date" and column.name in worked_out else ""
        guide.append(xlsx_row(guide, [column.name, column.label.get("vi", ""), column.label.get("en", ""),
                                      "x" if column.required else "", note]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
