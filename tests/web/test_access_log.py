"""The access log of personal data: every opening is recorded once, with the role that allowed it; the log
cannot be rewritten; organizers and administrators read their subtree's rows and nothing else."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casework.extensions import db
from casework.models import AccessLog, AccessLogIsAppendOnly, Document, Task
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import text

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _rows() -> list[AccessLog]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AccessLog).order_by(AccessLog.id)))


def _only_row() -> AccessLog:
    rows = _rows()
    assert len(rows) == 1, [(r.kind, r.role) for r in rows]
    return rows[0]


def _attach(case) -> Document:
    doc = Document(case_id=case.id, form_code="2-KNĐ", filename="scan.png", content_type="image/png",
                   size=len(PNG), sha256="0" * 64, content=PNG)
    db.session.add(doc)
    db.session.commit()
    return doc


def _other_commune_case(walker, web_org):
    return walker(referrer="other_union_officer", workplace_unit=web_org.other_enterprise.id,
                  referring_org=web_org.other_union.id, residence_unit=web_org.far_area.id).case


# --- What is recorded ---------------------------------------------------------------------------------------


def test_the_case_page_records_the_secretary_through_the_owning_cell(page, walker, web_org):
    case = walker().case
    assert page("cell_secretary").get(f"/cases/{case.id}").status_code == 200
    row = _only_row()
    assert (row.kind, row.case_id, row.role, row.unit_id, row.face) == (
        "case", case.id, "cell_secretary", web_org.cell.id, "page")
    assert (row.scope_unit_id, row.scope_path) == (web_org.cell.id, web_org.cell.path)
    assert row.user_id == web_org.users["cell_secretary"].id and row.accessed_at is not None


@pytest.mark.parametrize(("username", "unit"), [("organizer", "commune"), ("province_organizer", "province")])
def test_an_organizer_is_recorded_through_the_nearest_organizing_unit(page, walker, web_org, username, unit):
    case = walker().case
    assert page(username).get(f"/cases/{case.id}").status_code == 200
    row = _only_row()
    assert (row.role, row.unit_id) == ("organizer", web_org.units[unit].id)


def test_a_refused_case_records_nothing(page, walker, web_org):
    case = _other_commune_case(walker, web_org)
    assert page("cell_secretary").get(f"/cases/{case.id}").status_code == 404
    assert _rows() == []


def test_the_case_page_costs_exactly_one_insert(app, page, walker, monkeypatch):
    """Recording reads nothing the page had not loaded: one INSERT more, no SELECT."""
    import casework.web.cases.routes as case_routes

    url = f"/cases/{walker().case.id}"
    client = page("cell_secretary")
    client.get(url)  # warm every cache a first request fills
    with monkeypatch.context() as patch:
        patch.setattr(case_routes, "record_case_access", lambda *a, **k: None)
        without = _statements(client, url)
    with_log = _statements(client, url)
    assert len(with_log) == len(without) + 1
    extra = [s for s in with_log if s.lstrip().upper().startswith("INSERT")]
    assert len(extra) == 1 and "access_log" in extra[0]
    assert sorted(s for s in with_log if s not in extra) == sorted(without)


def _statements(client, url: str) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    db.session.remove()  # a request of its own starts with an empty session; the tests share one app context
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_the_api_records_the_case_with_face_api(api, walker, web_org):
    case = walker().case
    assert api("grassroots_committee").get(f"/api/v1/cases/{case.id}").status_code == 200
    row = _only_row()
    assert (row.kind, row.role, row.unit_id, row.face) == ("case", "grassroots_committee", web_org.grassroots.id,
                                                          "api")


def test_a_residential_committees_restricted_view_is_recorded_with_its_role(api, walker, web_org):
    case = walker().to("verification")
    body = api("residential_committee").get(f"/api/v1/cases/{case.id}").get_json()
    assert body["id"] == case.id
    row = _only_row()
    assert (row.kind, row.role, row.unit_id, row.face) == ("case", "residential_committee",
                                                          web_org.residential_cell.id, "api")


def test_the_verification_task_page_is_recorded_and_a_reply_is_not_a_second_view(page, walker, web_org):
    case = walker().to("verification")
    task = db.session.query(Task).filter_by(case_id=case.id, kind="confirm_background", status="open").one()
    client = page("residential_committee")
    assert client.get(f"/verification/{task.id}").status_code == 200
    row = _only_row()
    assert (row.kind, row.case_id, row.task_id, row.role, row.unit_id, row.scope_unit_id) == (
        "verification_task", case.id, task.id, "residential_committee", web_org.residential_cell.id, web_org.cell.id)
    client.post(f"/verification/{task.id}", data={"confirm_background-outcome": "good"})  # refused: incomplete
    assert len(_rows()) == 1


def test_the_case_page_of_a_verifying_committee_records_only_the_task_it_redirects_to(page, walker):
    case = walker().to("verification")
    client = page("residential_committee")
    assert client.get(f"/cases/{case.id}", follow_redirects=True).status_code == 200
    assert [r.kind for r in _rows()] == ["verification_task"]


def test_document_downloads_are_recorded_on_the_page_and_the_api(page, api, walker, web_org):
    case = walker().case
    doc = _attach(case)
    download = page("cell_secretary").get(f"/cases/{case.id}/documents/{doc.id}")
    assert download.data == PNG
    download.close()
    through_api = api("cell_secretary").get(f"/api/v1/cases/{case.id}/documents/{doc.id}")
    assert through_api.data == PNG
    through_api.close()
    assert [(r.kind, r.document_id, r.case_id, r.face) for r in _rows()] == [
        ("document", doc.id, case.id, "page"), ("document", doc.id, case.id, "api")]


def test_a_document_uploaded_through_the_api_is_not_a_view(api, walker):
    case = walker().case
    response = api("cell_secretary").post(f"/api/v1/cases/{case.id}/documents", json={
        "form_code": "2-KNĐ", "filename": "a.png", "content_type": "image/png",
        "content_base64": base64.b64encode(PNG).decode()})
    assert response.status_code == 201 and _rows() == []


def test_printables_are_recorded_with_their_form(page, walker):
    """A form shown, as a page or a PDF, is recorded; one whose step has not happened showed nothing and is not."""
    case = walker().to("admitted")
    client = page("cell_secretary")
    for form in ("5-knd", "6-knd", "9-knd", "9-knd.pdf"):
        assert client.get(f"/cases/{case.id}/print/{form}").status_code == 200
    assert client.get(f"/cases/{case.id}/print/13-knd").status_code == 404
    assert [(r.kind, r.export_name) for r in _rows()] == [
        ("printable", "5-knd"), ("printable", "6-knd"), ("printable", "9-knd"), ("printable", "9-knd.pdf")]


def test_monitoring_downloads_are_recorded_when_they_name_people(page, walker, web_org):
    walker()
    client = page("organizer")
    for url in ("/monitoring/export/pipeline.csv", "/monitoring/export/stuck_cases.csv",
                "/monitoring/export/stuck_cases.xlsx", "/monitoring/events.csv", "/monitoring/events.xes"):
        response = client.get(url)
        assert response.status_code == 200, url
        response.get_data()
        response.close()
    rows = _rows()
    assert [(r.kind, r.export_name) for r in rows] == [
        ("export", "stuck_cases"), ("export", "stuck_cases"), ("export", "events"), ("export", "events")]
    assert {(r.role, r.unit_id, r.scope_unit_id) for r in rows} == {
        ("organizer", web_org.commune.id, web_org.commune.id)}


def test_a_drilled_down_export_is_recorded_for_the_unit_asked_for(page, walker, web_org):
    walker()
    response = page("province_organizer").get(f"/monitoring/events.csv?unit={web_org.commune.id}")
    response.get_data()
    response.close()
    row = _only_row()
    assert (row.unit_id, row.scope_unit_id, row.scope_path) == (
        web_org.province.id, web_org.commune.id, web_org.commune.path)


# --- Append-only ---------------------------------------------------------------------------------------------


def test_a_row_cannot_be_changed_or_deleted(page, walker):
    case = walker().case
    page("cell_secretary").get(f"/cases/{case.id}")
    row = _only_row()
    row.role = "admin"
    with pytest.raises(AccessLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_only_row())
    with pytest.raises(AccessLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for statement in (sa.update(AccessLog).values(role="admin"), sa.delete(AccessLog)):
        with pytest.raises(AccessLogIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
    assert _only_row().role == "cell_secretary"


# --- Who reads it ---------------------------------------------------------------------------------------------


@pytest.fixture
def logged(web_org):
    """One row about a case of each commune's cells, and one export of each commune, at known times."""
    rows = [("cell_secretary", "cell_secretary", "cell", "cell", "case", datetime(2026, 11, 10, 3, tzinfo=UTC)),
            ("organizer", "organizer", "commune", "direct_cell", "case", datetime(2026, 11, 12, 3, tzinfo=UTC)),
            ("other_secretary", "cell_secretary", "other_cell", "other_cell", "case",
             datetime(2026, 11, 12, 4, tzinfo=UTC)),
            ("other_organizer", "organizer", "other_commune", "other_commune", "export",
             datetime(2026, 11, 13, 3, tzinfo=UTC))]
    for username, role, unit, scope, kind, when in rows:
        db.session.add(AccessLog(accessed_at=when, user_id=web_org.users[username].id, kind=kind,
                                 scope_unit_id=web_org.units[scope].id, scope_path=web_org.units[scope].path,
                                 role=role, unit_id=web_org.units[unit].id, face="page"))
    db.session.commit()
    return rows


@pytest.fixture
def admin_of_commune(app, web_org, page):
    use_session(db.session)
    user = UserFactory(username="admin", full_name="Quản Trị Viên")
    RoleFactory(user=user, unit=web_org.commune, role="admin")
    db.session.commit()
    return page("admin")


def _listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [row[2] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:]


def test_an_organizer_reads_only_their_subtrees_rows_newest_first(page, logged):
    assert _listed(page("organizer"), "/monitoring/access-log.csv") == ["organizer", "cell_secretary"]
    assert _listed(page("other_organizer"), "/monitoring/access-log.csv") == ["other_organizer", "other_secretary"]
    assert len(_listed(page("province_organizer"), "/monitoring/access-log.csv")) == 4


def test_the_page_lists_the_same_rows_with_names(page, logged, web_org):
    shown = text(page("organizer").get("/monitoring/access-log"))
    assert "Nhật ký truy cập dữ liệu cá nhân" in shown
    assert web_org.users["cell_secretary"].full_name in shown and "Chi bộ Công ty Hòa Phát" in shown
    assert web_org.users["other_secretary"].full_name not in shown and "Chi bộ Công ty Tiên Sơn" not in shown


def test_an_administrator_reads_their_subtree_only(admin_of_commune, logged):
    assert _listed(admin_of_commune, "/admin/access-log.csv") == ["organizer", "cell_secretary"]
    assert "Nhật ký truy cập" in text(admin_of_commune.get("/admin/units"))  # linked from the admin pages


@pytest.mark.parametrize("url", ["/monitoring/access-log", "/monitoring/access-log.csv", "/admin/access-log",
                                 "/admin/access-log.xlsx"])
def test_nobody_else_reads_it(page, logged, url):
    for username in ("cell_secretary", "residential_committee", "authority", "union_officer"):
        assert page(username).get(url).status_code == 403, username


def test_an_organizer_is_not_an_administrator_of_the_log(page, logged):
    assert page("organizer").get("/admin/access-log").status_code == 403


def test_filters_by_person_case_kind_and_day(page, logged, walker, web_org):
    client = page("province_organizer")
    other = web_org.users["other_secretary"]
    other.full_name = "Trần Văn Đặc Biệt"
    db.session.commit()
    assert _listed(client, f"/monitoring/access-log.csv?person={other.username}") == ["other_secretary"]
    assert _listed(client, "/monitoring/access-log.csv?person=Văn Đặc") == ["other_secretary"]
    assert _listed(client, "/monitoring/access-log.csv?kind=export") == ["other_organizer"]
    # Vietnamese days: 12/11 runs from 11/11 17:00 UTC to 12/11 17:00 UTC.
    assert _listed(client, "/monitoring/access-log.csv?date_from=2026-11-12&date_to=2026-11-12") == [
        "other_secretary", "organizer"]
    case = walker().case
    client.get(f"/cases/{case.id}")
    assert _listed(client, f"/monitoring/access-log.csv?case_id={case.id}") == ["province_organizer"]


def test_pages_are_keyset_and_carry_the_filters(page, logged, monkeypatch):
    from casework.web.access_log import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    client = page("organizer")
    first = client.get("/monitoring/access-log?kind=case").get_data(as_text=True)
    assert "Chi bộ Công ty Minh Long" in text(client.get("/monitoring/access-log?kind=case"))
    link = re.search(r'href="(/monitoring/access-log\?[^"]*before=[^"]*)"', first).group(1)
    assert "kind=case" in link
    second = text(client.get(html.unescape(link)))
    assert "Chi bộ Công ty Hòa Phát" in second and "Chi bộ Công ty Minh Long" not in second
    assert "Trang sau" not in second, "the last page"


def test_the_xlsx_export_holds_the_same_rows(page, logged):
    response = page("organizer").get("/monitoring/access-log.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("id", "accessed_at", "username", "full_name", "kind")
    assert [r[2] for r in rows[1:]] == ["organizer", "cell_secretary"]



def test_the_export_keeps_formula_like_names_as_text(page, logged, web_org):
    web_org.users["cell_secretary"].full_name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    body = page("organizer").get("/monitoring/access-log.csv").get_data(as_text=True)
    assert [row[3] for row in csv.reader(io.StringIO(body))][-1] == "'=HYPERLINK(\"http://x\")"
