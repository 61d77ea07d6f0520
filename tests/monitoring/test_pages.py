"""The monitoring pages: organizers only, scoped to their subtree on screen and in every download."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from casework.extensions import db
from casework.models import Target
from tests.web.conftest import text
from workflows.founding.models import PartyOrgFounding


def _cases(walker):
    mine = walker(full_name="Trần Văn Mình")
    mine.to("verification")
    theirs = walker(full_name="Lê Thị Khác", workplace_unit=mine.org.other_enterprise.id,
                    referrer="other_union_officer", referring_org=mine.org.other_union.id)
    return mine.case, theirs.case


def test_the_dashboard_shows_the_organizers_cases_and_links_them(page, walker):
    mine, theirs = _cases(walker)
    body = page("organizer").get("/monitoring/overdue?year=2026")
    assert body.status_code == 200
    shown = text(body)
    assert "Trần Văn Mình" in shown and "Lê Thị Khác" not in shown
    html = body.get_data(as_text=True)
    assert f'href="/cases/{mine.id}"' in html and f"/cases/{theirs.id}" not in html


def test_only_organizers_see_monitoring_and_only_their_subtree(page, web_org):
    assert page("cell_secretary").get("/monitoring/").status_code == 403
    organizer = page("organizer")
    assert organizer.get(f"/monitoring/?unit={web_org.other_commune.id}").status_code == 404
    assert organizer.get(f"/monitoring/?unit={web_org.grassroots.id}").status_code == 200
    assert page("province_organizer").get(f"/monitoring/?unit={web_org.other_commune.id}").status_code == 200


def test_downloads_hold_only_the_organizers_cases(page, walker):
    mine, theirs = _cases(walker)
    client = page("organizer")
    events = client.get("/monitoring/events.csv").get_data(as_text=True)
    assert f"\n{mine.id}," in events and f"\n{theirs.id}," not in events
    xes = client.get("/monitoring/events.xes").get_data(as_text=True)
    trace = '<trace>\n    <string key="concept:name" value="{}"/>'
    assert trace.format(mine.id) in xes and trace.format(theirs.id) not in xes
    stuck = client.get("/monitoring/export/stuck_cases.csv?year=2026").get_data(as_text=True)
    assert f"/cases/{mine.id}" in stuck and f"/cases/{theirs.id}" not in stuck
    sheet = load_workbook(io.BytesIO(client.get("/monitoring/export/pipeline.xlsx?year=2026").data)).active
    assert [c.value for c in sheet[1]][0] == "unit"
    assert client.get("/monitoring/export/nothing.csv").status_code == 404


def test_targets_are_entered_and_imported_on_their_page(page, web_org):
    client = page("organizer")
    response = client.post("/monitoring/targets?year=2026", data={
        "unit_id": web_org.commune.id, "year_from": 2026, "year_to": 2026, "admissions": 3})
    assert response.status_code == 302
    bad = io.BytesIO(b"unit_code,year_from,year_to,admissions,business_owners,new_party_orgs\n"
                     + f"{web_org.other_commune.code},2026,2026,1,0,0\n".encode())
    shown = text(client.post("/monitoring/targets?year=2026", data={"table": (bad, "t.csv")},
                             content_type="multipart/form-data", follow_redirects=True))
    assert "Line 2" in shown or "Dòng 2" in shown
    assert [t.amounts for t in db.session.query(Target)] == [{"admissions": 3, "business_owners": 0,
                                                                "new_party_orgs": 0}]
    assert "0 / 3" in text(client.get("/monitoring/targets?year=2026"))


def test_the_register_of_new_party_organisations(page, web_org):
    client = page("organizer")
    client.post("/monitoring/party-organisations", data={
        "enterprise_id": web_org.enterprise.id, "founded_on": "2026-05-04", "decision_number": "88-QĐ/ĐU"})
    client.post("/monitoring/party-organisations", data={
        "enterprise_id": web_org.other_enterprise.id, "founded_on": "2026-05-04", "decision_number": "99-QĐ/ĐU"})
    assert [f.decision_number for f in db.session.query(PartyOrgFounding)] == ["88-QĐ/ĐU"]
    assert "88-QĐ/ĐU" in text(client.get("/monitoring/party-organisations"))


def test_the_register_refuses_what_it_cannot_keep_with_a_message(app, page, web_org):
    """The founding workflow's page (workflows/founding/imported.py): a decision number over its column's 50
    characters, a date after today or no enterprise is refused with a message, never a 500."""
    client = page("organizer")

    def record(number, day="2026-05-04", enterprise=web_org.enterprise.id):
        return client.post("/monitoring/party-organisations", data={
            "enterprise_id": enterprise, "founded_on": day, "decision_number": number}, follow_redirects=True)

    refused = record("9" * 51)
    assert refused.status_code == 200 and "Số quyết định dài tối đa 50 ký tự." in text(refused)
    today = app.extensions["casework_engine"].today()
    assert "không sau hôm nay" in text(record("1-QĐ", day=(today + timedelta(days=1)).isoformat()))
    assert "không sau hôm nay" in text(record("1-QĐ", enterprise="x"))
    assert db.session.query(PartyOrgFounding).count() == 0
    record("8" * 50, day=today.isoformat())
    assert [f.decision_number for f in db.session.query(PartyOrgFounding)] == ["8" * 50]


def test_the_overview_links_to_the_register_and_monitoring_stays_current_there(page, web_org):
    client = page("organizer")
    overview = client.get("/monitoring/").get_data(as_text=True)
    assert 'href="/monitoring/party-organisations?unit=' in overview
    register = client.get("/monitoring/party-organisations").get_data(as_text=True)
    assert 'href="/monitoring/" aria-current="page"' in register


def test_an_app_without_the_founding_workflow_has_no_register(tmp_path):
    from casework import create_app
    from tests.engine.versions import original, write

    write(tmp_path / "admission", "v1.yaml", original())
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "WORKFLOWS_DIR": str(tmp_path)})
    assert "founding_register.index" not in app.view_functions and "monitoring.dashboard" in app.view_functions



def test_the_dashboard_names_states_as_the_workflow_does(page, walker):
    _cases(walker)
    html = page("organizer").get("/monitoring/overdue?year=2026").get_data(as_text=True)
    # The verification state's label, whole (a comma once cut it short), in the stuck-case list.
    assert "<td>Thẩm tra, lấy ý kiến</td>" in html


def test_the_dashboard_tables_speak_the_page_language_and_downloads_keep_identifiers(page, walker):
    _cases(walker)
    organizer = page("organizer")
    headers = []
    for tab in ("pipeline", "durations", "committees", "overdue"):
        response = organizer.get(f"/monitoring/{tab}?year=2026")
        headers += re.findall(r'<th scope="col">(?:<span>)?([^<]*)</', response.get_data(as_text=True))
        assert "verification" not in text(response)
    assert headers and not [h for h in headers if re.fullmatch(r"[a-z0-9_]+", h)], headers
    assert "Thẩm tra, lấy ý kiến" in headers  # the pipeline's state column, by the workflow's label
    assert {"Đơn vị", "Trung vị (ngày)", "Chi ủy nơi cư trú"} <= set(headers)
    download = organizer.get("/monitoring/export/pipeline.csv?year=2026").get_data(as_text=True)
    assert download.splitlines()[0].startswith("unit,") and ",verification," in download.splitlines()[0]


def test_a_long_table_shows_its_first_rows_and_says_the_downloads_hold_all(app):
    from casework.monitoring.scope import Period, Scope

    rows = [[f"Công đoàn {i}"] for i in range(60)]
    with app.test_request_context():
        macro = app.jinja_env.get_template("monitoring/_table.html").module.table
        html = str(macro("unions", "Unions", (["organisation"], rows), Scope(1, "/1/", "Tỉnh"), Period.year(2026)))
    assert "<td>Công đoàn 49</td>" in html and "Công đoàn 50" not in html
    assert "50/60" in html or "50 of 60" in html


def test_every_tab_lands_on_its_page_marked_current_and_keeps_the_unit_and_year(page, walker, web_org):
    _cases(walker)
    client = page("organizer")
    html = client.get("/monitoring/?year=2026").get_data(as_text=True)
    nav = html[html.index('<nav class="tabs"'):html.index("</nav>", html.index('<nav class="tabs"'))]
    tabs = re.findall(r'href="([^"]+)"', nav)
    assert len(tabs) >= 6 and all(f"unit={web_org.commune.id}" in t and "year=2026" in t for t in tabs), tabs
    assert "Tổng quan" in nav and "Cấp ủy trả lời chậm" not in nav  # short tab names, the captions are on the tabs
    for url in tabs:
        tab = client.get(url.replace("&amp;", "&"))
        assert tab.status_code == 200, url
        assert re.search(r'aria-current="page">[^<]+</a>', tab.get_data(as_text=True)), url
    assert client.get("/monitoring/figures/nothing").status_code == 404


def test_the_pipeline_table_ends_with_a_labelled_total_row(page, walker):
    _cases(walker)
    html = page("organizer").get("/monitoring/pipeline?year=2026").get_data(as_text=True)
    assert '<th scope="row">Tổng</th>' in html or '<th scope="row">Tổng số</th>' in html
    assert "<td>*</td>" not in html


def test_dates_on_pages_are_written_as_people_do_and_downloads_keep_iso(page, walker):
    _cases(walker)
    client = page("organizer")
    html = client.get("/monitoring/overdue?year=2026").get_data(as_text=True)
    assert not re.search(r">\s*20\d\d-\d\d-\d\d\s*<", html)
    assert re.search(r">\d\d/\d\d/20\d\d<", html)
    download = client.get("/monitoring/export/stuck_cases.csv?year=2026").get_data(as_text=True)
    assert re.search(r",20\d\d-\d\d-\d\d,", download)


@pytest.mark.parametrize("field, value", [
    ("year_from", "99999999999999999999"), ("year_to", "²"), ("admissions", "10000000000"), ("admissions", "-1"),
    ("year_from", "1999"), ("year_to", "2101"), ("admissions", "1000001"), ("business_owners", "4"),
])
def test_a_target_form_with_a_number_out_of_bounds_saves_nothing_and_says_so(page, web_org, field, value):
    client = page("organizer")
    data = {"unit_id": web_org.commune.id, "year_from": "2026", "year_to": "2026", "admissions": "3", field: value}
    response = client.post("/monitoring/targets?year=2026", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "check the unit and the numbers" in text(response) or "kiểm tra đơn vị và các con số" in text(response)
    assert db.session.query(Target).count() == 0


def test_a_target_at_its_bounds_is_saved(page, web_org):
    client = page("organizer")
    data = {"unit_id": web_org.commune.id, "year_from": "2000", "year_to": "2100", "admissions": "1000000",
            "business_owners": "1000000"}
    assert client.post("/monitoring/targets?year=2026", data=data).status_code == 302
    assert [(t.year_from, t.year_to, t.value("admissions")) for t in db.session.query(Target)] == [
        (2000, 2100, 1_000_000)]


def test_no_monitoring_page_starts_a_thread_or_a_second_connection(page, walker, monkeypatch):
    """The figures run in turn on the request's own session: no pool of threads and connections per request."""
    import threading

    _cases(walker)
    client = page("organizer")
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread) or start(thread))
    for path in ("/monitoring/", "/monitoring/pipeline", "/monitoring/overdue", "/monitoring/committees",
                 "/monitoring/durations", "/monitoring/figures/forecast", "/monitoring/figures/unions",
                 "/monitoring/targets", "/monitoring/cases/waiting"):
        assert client.get(f"{path}?year=2026").status_code == 200, path
    assert started == []
