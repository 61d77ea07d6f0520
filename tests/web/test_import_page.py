"""The administrator's page for importing cases in progress: upload, the dry run's report (problems by line and
column in the page's language, or what would be created), the import itself, the template to download, and
nobody else let in."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casework.extensions import db
from casework.models import Case, Event, Task
from tests.cli.test_import_cases import a_good_file, person
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import text


@pytest.fixture
def admin(app, web_org, page):
    """An administrator of the commune's subtree (not of the other commune)."""
    use_session(db.session)
    user = UserFactory(username="admin", full_name="Quản Trị Viên")
    RoleFactory(user=user, unit=web_org.commune, role="admin")
    db.session.commit()
    return page("admin")


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(name for row in rows for name in row)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def check(client, content: bytes, name: str = "cases.csv"):
    return client.post("/admin/cases/import", data={"workflow": "admission", "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def counts() -> tuple[int, int, int]:
    found = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Case, Event, Task))
    db.session.rollback()
    return found


def test_only_administrators_enter(page):
    client = page("cell_secretary")
    assert client.get("/admin/cases/import").status_code == 403
    assert client.get("/admin/cases/import/template.xlsx").status_code == 403
    assert check(client, b"state\n").status_code == 403


def test_the_page_links_the_templates_and_the_nav_leads_to_it(admin):
    body = admin.get("/admin/cases/import").get_data(as_text=True)
    assert 'href="/admin/cases/import/template.xlsx?workflow=admission"' in body
    assert 'href="/admin/cases/import/template.csv?workflow=admission"' in body
    assert 'href="/admin/cases/import" aria-current="page"' in body


def test_a_checked_file_shows_what_would_be_created_then_imports_it(admin, web_org):
    before = counts()
    response = check(admin, as_csv(a_good_file(web_org)[:4]))
    assert response.status_code == 200
    body = text(response)
    assert "4 hồ sơ sẽ được nhập" in body and "Thẩm tra, lấy ý kiến" in body and "Chi bộ khu phố 3" in body
    assert counts() == before  # the check wrote nothing
    page = response.get_data(as_text=True)
    content = re.search(r'id="content" name="content" type="hidden" value="([^"]+)"', page).group(1)
    assert base64.b64decode(content).startswith(b"state,owning_cell")
    response = admin.post("/admin/cases/import/confirm", data={"workflow": "admission", "version": "1",
                                                               "filename": "cases.csv", "content": content})
    assert response.status_code == 200
    assert "Đã nhập 4 hồ sơ" in text(response)
    cases = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
    assert [c.state for c in cases] == ["sympathiser", "dossier", "verification", "authority_review"]
    assert all(c.events[0].actor.username == "admin" for c in cases)
    assert f'href="/cases/{cases[0].id}"' in response.get_data(as_text=True)
    # The case page says where the case came from.
    assert "từ cases.csv, dòng 2" in text(admin.get(f"/cases/{cases[0].id}"))


def test_problems_are_listed_by_line_and_column_in_the_pages_language(admin, web_org):
    rows = [person(web_org, "dossier"), person(web_org, "cell_review", certificate_date="01/01/2020")]
    before = counts()
    response = check(admin, as_csv(rows))
    assert response.status_code == 422
    body = text(response)
    assert "Không nhập gì cả" in body
    assert ("2 certificate_date Ngày cấp giấy chứng nhận lớp nhận thức: bắt buộc với hồ sơ ở trạng thái "
            "“Lập hồ sơ”.") in body
    assert "3 certificate_date Ngày cấp giấy chứng nhận lớp nhận thức (01/01/2020) không được trước" in body
    assert 'name="content"' not in response.get_data(as_text=True)  # nothing to import
    admin.post("/language", data={"locale": "en"})
    body = text(check(admin, as_csv(rows)))
    assert "2 certificate_date Awareness-course certificate date: required for a case in “Dossier”." in body
    assert counts() == before


def test_a_confirmation_is_checked_again_and_refused_whole(admin, web_org):
    content = base64.b64encode(as_csv([person(web_org, "dossier", owning_cell=web_org.other_cell.code,
                                              certificate_date="15/06/2026")])).decode()
    response = admin.post("/admin/cases/import/confirm", data={"workflow": "admission", "version": "1",
                                                               "filename": "x.csv", "content": content})
    assert response.status_code == 422  # the other commune's cell is not this administrator's
    assert "không thuộc các đơn vị bạn quản trị" in text(response)
    response = admin.post("/admin/cases/import/confirm", data={"workflow": "admission", "version": "1",
                                                               "filename": "x.csv", "content": "%%%"})
    assert response.status_code == 422
    assert counts() == (0, 0, 0)


def test_an_unreadable_file_is_a_problem_not_an_error(admin):
    response = check(admin, b"\xff\xfe\x00garbage", name="cases.xlsx")
    assert response.status_code == 422 and "Không đọc được tệp" in text(response)


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_the_template_downloads_and_re_imports_once_filled_in(admin, web_org, extension):
    response = admin.get(f"/admin/cases/import/template.{extension}?workflow=admission")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'admission-v1-cases-in-progress.{extension}')
    codes = {"MA-CHI-BO": web_org.cell.code, "MA-KHU-DAN-CU": web_org.area.code,
             "MA-DOANH-NGHIEP": web_org.enterprise.code, "MA-CONG-DOAN": web_org.trade_union.code}
    if extension == "csv":
        filled = response.get_data(as_text=True)
        for placeholder, code in codes.items():
            filled = filled.replace(placeholder, code)
        content = filled.encode("utf-8")
    else:
        workbook = load_workbook(io.BytesIO(response.get_data()))
        assert workbook.sheetnames[1] == "Các cột - Columns"
        for cell in workbook.worksheets[0][2]:
            cell.value = codes.get(cell.value, cell.value)
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
    response = check(admin, content, name=f"filled.{extension}")
    assert response.status_code == 200, text(response)
    assert "1 hồ sơ sẽ được nhập" in text(response) and "Nguyễn Văn An" in text(response)


def test_the_templates_column_sheet_says_which_dates_may_be_left_blank(admin):
    """A key date a step's effect produces (the end of probation) is marked as one that may be left blank; a date
    only a person records (the ceremony) is not."""
    response = admin.get("/admin/cases/import/template.xlsx?workflow=admission")
    guide = load_workbook(io.BytesIO(response.get_data())).worksheets[1]
    header, *rows = [[cell.value for cell in row] for row in guide.iter_rows()]
    assert header[-1] == "Ghi chú / Note"
    notes = {row[0]: row[-1] or "" for row in rows}
    assert notes["probation_ends"].startswith("Có thể để trống") and "May be left blank" in notes["probation_ends"]
    assert notes["ceremony_date"] == ""
    assert all(notes[name] == "" for name in ("state", "national_id") if name in notes)
