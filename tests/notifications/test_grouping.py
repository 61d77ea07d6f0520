"""Notices grouped per case (one entry however many tasks a case created), closed cases' notices not counted as
unread, one "mark read" per case and one for everything, and a bell drawn without an emoji."""

from __future__ import annotations

import re

from casework.extensions import db
from tests.walk import Walker


def _walker(app, web_org, **kw) -> Walker:
    return Walker(db.session, app.extensions["casework_engine"], web_org, **kw)


def _entries(html: str) -> int:
    return len(re.findall(r'<li class="notice ', html))


def _unread(client) -> int:
    return client.get("/api/v1/notifications").get_json()["unread_count"]


def test_one_entry_per_case_however_many_tasks(app, api, web_org):
    first = _walker(app, web_org, full_name="Nhiều Việc Một")
    first.to("dossier")  # several steps, each a new task for the secretary
    _walker(app, web_org, full_name="Nhiều Việc Hai")
    secretary = api("cell_secretary")
    html = secretary.get("/notifications/").get_data(as_text=True)
    assert _entries(html) == 2
    assert "Nhiều Việc Một" in html and "Nhiều Việc Hai" in html
    assert "thông báo về hồ sơ này" in html  # the earlier ones are folded under the newest
    assert _unread(secretary) >= 4


def test_mark_one_case_read_then_everything(app, api, web_org):
    one = _walker(app, web_org).to("in_course")
    _walker(app, web_org)
    secretary = api("cell_secretary")
    before = _unread(secretary)
    assert secretary.client.post(f"/notifications/cases/{one.id}/read").status_code == 302
    after = _unread(secretary)
    assert 0 < after < before
    secretary.client.post("/notifications/read-all")
    assert _unread(secretary) == 0


def test_a_closed_cases_notices_are_not_unread(app, api, web_org):
    walker = _walker(app, web_org, full_name="Đã Khép Lại")
    secretary = api("cell_secretary")
    assert _unread(secretary) == 1
    walker.act("cell_secretary", "decline_referral", {"reason": "Chưa đủ điều kiện."})
    assert not walker.case.is_open
    assert _unread(secretary) == 0
    html = secretary.get("/notifications/").get_data(as_text=True)
    assert "Đã Khép Lại" in html and 'class="bell has-unread"' not in html


def test_the_bell_is_drawn_not_an_emoji(api, web_org):
    html = api("cell_secretary").get("/notifications/").get_data(as_text=True)
    bell = html[html.index('class="bell'):html.index("</a>", html.index('class="bell'))]
    assert "<svg" in bell and "🔔" not in bell
