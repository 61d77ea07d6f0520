"""The monitoring pages and the targets form in Chromium, at a phone's 390 px and a laptop's 1366 px, in
Vietnamese and English: no page scrolls sideways (wide tables scroll inside their own box), the pipeline table
fits a laptop's width even with every step of the procedure in it, and axe-core finds nothing critical or
serious."""

from __future__ import annotations

import pytest

from casework.engine.service import start_case
from casework.extensions import db
from casework.models import Case, Target, Unit, User
from tests.browser.conftest import sign_in

YEAR = 2026
PAGES = ["/monitoring/", "/monitoring/pipeline", "/monitoring/overdue", "/monitoring/committees",
         "/monitoring/durations", "/monitoring/figures/forecast", "/monitoring/figures/unions",
         "/monitoring/targets", "/monitoring/cases/admissions", "/monitoring/cases/overdue",
         "/monitoring/cases/waiting", "/monitoring/cases/forecast", "/monitoring/party-organisations"]


@pytest.fixture(scope="module")
def monitored(live_server):
    """A case at every open step of the procedure (so the pipeline table has a column for each), tasks gone
    overdue, and a target for the commune."""
    _, app, known = live_server
    engine = app.extensions["casework_engine"]
    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "union_officer"))
        states = list(dict.fromkeys(name for wf in engine.definitions() if wf.name == "admission"
                                    for name, state in wf.states.items() if not state.terminal))
        for i, state in enumerate(states):
            data = {**known["referral"], "full_name": f"Nguyễn Văn Bước {i}", "national_id": f"0010990{i:05d}"}
            case = start_case(workflow="admission", session=db.session, engine=engine, user=officer, data=data)
            if i:
                case.state = state  # placed there directly: only the counts matter here
        commune = db.session.scalar(db.select(Unit).where(Unit.kind == "commune_committee").order_by(Unit.id))
        db.session.add(Target(unit_id=commune.id, year_from=YEAR, year_to=YEAR,
                              amounts={"admissions": 5, "business_owners": 1, "new_party_orgs": 1}))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) >= len(states)
        db.session.remove()
    engine.clock.advance(days=40)  # the first steps' tasks are overdue by then
    yield states
    engine.clock.advance(days=-40)


def _open(page, path: str) -> None:
    response = page.goto(f"{path}?year={YEAR}")
    assert response.status == 200, path


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _in_language(page, language: str) -> None:
    """The language chosen through the page's switch (it is saved on the account, so each test sets its own)."""
    page.get_by_role("button", name={"vi": "Tiếng Việt", "en": "English"}[language]).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_monitoring_page_fits_the_screen_and_passes_axe(new_page, monitored, axe, width, language):
    page = new_page(width=width)
    sign_in(page, "organizer")
    _in_language(page, language)
    for path in PAGES:
        _open(page, path)
        assert page.locator("html").get_attribute("lang") == language
        assert _fits(page), f"{path} scrolls sideways at {width} px"
        assert axe(page) == [], path


def test_the_pipeline_table_with_every_step_fits_a_laptop_in_english(new_page, monitored):
    page = new_page(width=1366)
    sign_in(page, "organizer")
    _in_language(page, "en")
    _open(page, "/monitoring/pipeline")
    columns = page.locator("#pipeline thead th").count()
    assert columns >= len(monitored) + 1  # a column per step, the unit's and the total's
    table_width, box_width = page.evaluate("""() => {
        const box = document.querySelector('#pipeline .table-scroll');
        return [box.scrollWidth, box.clientWidth]; }""")
    assert table_width <= box_width, (table_width, box_width)
    assert page.locator("#pipeline tbody tr:last-child th[scope=row]").inner_text() == "Total"


def test_on_a_phone_wide_tables_scroll_in_their_box_and_labels_stay_readable(new_page, monitored):
    page = new_page(width=390)
    sign_in(page, "organizer")
    _in_language(page, "vi")
    for path in ("/monitoring/pipeline", "/monitoring/overdue"):
        _open(page, path)
        assert _fits(page)
        smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
            'table th, table td, table caption')].map(e => parseFloat(getComputedStyle(e).fontSize)))""")
        assert smallest >= 12, (path, smallest)
    row_labels = page.locator(".heat-map tbody th[scope=row]")
    assert row_labels.count() >= 1
    for i in range(row_labels.count()):  # the unit's name whole, never cut at the edge
        label = row_labels.nth(i)
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), label.inner_text()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_targets_form_ties_each_label_to_its_box_on_the_same_row(new_page, monitored, axe, width):
    page = new_page(width=width)
    sign_in(page, "organizer")
    _in_language(page, "vi")
    _open(page, "/monitoring/targets")
    for label in ("Đơn vị", "Từ năm", "Đến năm", "Kết nạp", "Chủ doanh nghiệp", "Tổ chức đảng mới"):
        box = page.locator("form.form-rows").first.get_by_label(label, exact=True)
        assert box.count() == 1, label
    page.locator("form.form-rows").first.get_by_label("Kết nạp", exact=True).fill("7")
    assert page.locator("#target-admissions").input_value() == "7"
    assert page.get_by_label("Bảng phân bổ (CSV hoặc XLSX)").count() == 1  # the file input has its label
    rows = page.locator("form.form-rows .form-row")
    for i in range(rows.count()):
        label_box = rows.nth(i).locator("label").bounding_box()
        input_box = rows.nth(i).locator("input, select").first.bounding_box()
        if width >= 1000:  # side by side: the label's line is its box's line
            assert abs(label_box["y"] + label_box["height"] / 2 - (input_box["y"] + input_box["height"] / 2)) < 12
        else:  # stacked: the label right above its own box, nothing between
            assert 0 <= input_box["y"] - (label_box["y"] + label_box["height"]) < 16
    assert _fits(page)
    assert axe(page) == []


@pytest.mark.parametrize("width", [390, 1366])
def test_an_error_page_is_in_the_apps_frame_fits_and_passes_axe(new_page, monitored, axe, width):
    page = new_page(width=width)
    sign_in(page, "organizer")
    _in_language(page, "vi")
    _open(page, "/monitoring/")
    came_from = page.url
    response = page.goto("/monitoring/no-such-tab", referer=came_from)
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy"
    assert _fits(page)
    assert axe(page) == []
    page.get_by_role("link", name="Quay lại trang trước").click()
    assert page.url == came_from
    page.goto("/monitoring/no-such-tab")
    page.get_by_role("link", name="Về công việc của tôi").click()
    page.wait_for_url("**/")
