"""The work pages in Chromium at a phone's 390 px and a laptop's 1366 px: the inbox and its queues, a case page
with a long unbroken note in its history, search, who is on a task, acting for me, the notices, and a residential
committee's verification inbox and past replies. None scrolls sideways (``scrollWidth <= innerWidth``) and
axe-core finds nothing critical or serious."""

from __future__ import annotations

import pytest

from casework.engine.service import apply, start_case
from casework.extensions import db
from casework.models import Case, Task, User
from tests.browser.conftest import sign_in

LONG_NOTE = "Lớp-nhận-thức-" + "K12-" * 20 + "https://example.invalid/" + "x" * 70  # 188 characters, no space


def _user(name: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == name))


@pytest.fixture(scope="module")
def work(live_server):
    """Cases for the secretary's queues: one at the course step whose history holds a long unbroken note, one
    waiting on the residential committee, a few just referred."""
    _, app, known = live_server
    engine = app.extensions["casework_engine"]
    with app.app_context():
        officer, secretary = _user("union_officer"), _user("cell_secretary")
        today = engine.today().isoformat()
        cases = []
        for i in range(4):
            data = {**known["referral"], "full_name": f"Trần Thị Công Việc {i}", "national_id": f"0010770{i:05d}"}
            cases.append(start_case(workflow="admission", session=db.session, engine=engine, user=officer, data=data))
        noted = cases[0]
        apply(session=db.session, engine=engine, case=noted, trigger="accept_referral", user=secretary,
              data={"helper_ids": known["cell_members"][:1], "resolution_date": today},
              expected_version=noted.version)
        apply(session=db.session, engine=engine, case=noted, trigger="enrol_course", user=secretary,
              data={"course": LONG_NOTE, "course_mode": "in_person"}, expected_version=noted.version)
        ids = {"noted": noted.id,
               "task": db.session.scalar(db.select(Task.id).where(Task.case_id == cases[1].id, Task.status == "open"))}
        db.session.remove()
    yield ids
    with app.app_context():
        assert db.session.get(Case, ids["noted"]) is not None


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _check(page, path: str, axe) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    assert _fits(page), f"{path} scrolls sideways at {page.viewport_size['width']} px"
    assert axe(page) == [], path


@pytest.mark.parametrize("width", [390, 1366])
def test_the_secretarys_work_pages_fit_and_pass_axe(new_page, work, axe, width):
    page = new_page(width=width)
    sign_in(page, "cell_secretary")
    for path in ("/", "/?queue=overdue", "/?queue=week", "/?queue=waiting", "/?queue=done",
                 f"/cases/{work['noted']}", "/search/", "/search/?name=C%C3%B4ng+Vi%E1%BB%87c&status=open",
                 f"/tasks/{work['task']}", "/delegations", "/notifications/"):
        _check(page, path, axe)
    page.goto(f"/cases/{work['noted']}")
    assert LONG_NOTE[:20] in page.content(), "the long note is on the page"


@pytest.mark.parametrize("width", [390, 1366])
def test_the_residential_committees_pages_fit_and_pass_axe(new_page, work, axe, width):
    page = new_page(width=width)
    sign_in(page, "residential_committee")
    for path in ("/verification/", "/verification/?replied=1", "/delegations"):
        _check(page, path, axe)


def test_taking_a_task_by_clicking(new_page, work):
    page = new_page(width=390)
    sign_in(page, "cell_secretary")
    page.goto(f"/tasks/{work['task']}")
    page.get_by_role("button", name="Nhận việc").click()
    page.wait_for_load_state()
    assert "Bạn đang làm" in page.content()
    page.get_by_role("button", name="Trả lại việc").click()
    page.wait_for_load_state()
    assert "Chưa ai nhận việc này" in page.content()
