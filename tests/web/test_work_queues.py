"""The inbox's work queues (overdue, due this week, waiting on another organisation, recently done by me), who is
on a task from the pages, and naming a delegate: each queue's count, its rows, and its statements."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Delegation, Event, Task, TaskStatus
from tests.factories import RoleFactory, UserFactory, use_session
from tests.web.conftest import step, text


def _count(body: str, label: str) -> int:
    match = re.search(r"(\d+)\s+" + re.escape(label), body)
    assert match, label
    return int(match.group(1))


def test_overdue_and_due_this_week_queues_with_their_counts(page, walker, clock):
    walker(full_name="Quá Hạn Rồi").to("sympathiser")  # its next task is due from an earlier day
    clock.advance(days=200)
    walker(full_name="Vừa Đến")
    client = page("cell_secretary")
    home = text(client.get("/"))
    assert _count(home, "Quá hạn") == 1 and _count(home, "Mọi việc đang chờ") == 2
    overdue = text(client.get("/?queue=overdue"))
    assert "Quá Hạn Rồi" in overdue and "Vừa Đến" not in overdue
    due_dates = db.session.scalars(sa.select(Task.due_date).where(Task.status == TaskStatus.OPEN)).all()
    this_week = text(client.get("/?queue=week"))
    expected = sum(1 for d in due_dates if d and clock().date() <= d <= clock().date() + timedelta(
        days=6 - clock().date().weekday()))
    assert _count(this_week, "Đến hạn tuần này") == expected
    assert "Quá Hạn Rồi" not in this_week


def test_waiting_on_another_organisation_and_recently_done(page, walker):
    walker(full_name="Chờ Thẩm Tra").to("verification")
    client = page("cell_secretary")
    waiting = text(client.get("/?queue=waiting"))
    assert "Chờ Thẩm Tra" in waiting and "Cấp ủy nơi cư trú @ Chi bộ khu phố 3" in waiting
    assert _count(waiting, "Đang chờ tổ chức khác") == 1
    done = text(client.get("/?queue=done"))
    assert "Chờ Thẩm Tra" in done and _count(done, "Tôi vừa làm xong") >= 4
    assert "Chờ Thẩm Tra" not in text(page("other_secretary").get("/?queue=waiting"))


def _statements(client, url: str) -> int:
    seen: list[str] = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    client.get(url)
    sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_each_queue_costs_the_same_statements_however_many_rows(page, walker):
    client = page("cell_secretary")
    for url in ("/", "/?queue=overdue", "/?queue=week", "/?queue=waiting", "/?queue=done"):
        walker().to("verification")
        before = _statements(client, url)
        for _ in range(3):
            walker().to("verification")
            walker()
        assert _statements(client, url) == before, url


def test_a_residential_committee_sees_its_past_replies(page, walker):
    case = walker(full_name="Đã Trả Lời").to("verification")
    task = next(t for t in case.tasks if t.kind == "confirm_background" and t.is_open)
    client = page("residential_committee")
    response = client.post(f"/verification/{task.id}", data={
        "confirm_background-outcome": "clear", "confirm_background-reply_number": "05/CV",
        "confirm_background-reply_date": "16/11/2026", "confirm_background-expected_version": str(case.version),
        "confirm_background-task_id": str(task.id)})
    assert response.status_code == 302, text(response)
    past = text(client.get("/verification/?replied=1"))
    assert "Đã Trả Lời" in past
    assert "Đã Trả Lời" not in text(page("far_committee").get("/verification/?replied=1"))


# --- who is on it, from the pages -------------------------------------------------------------------------


def _deputy(web_org):
    use_session(db.session)
    deputy = UserFactory(username="deputy", full_name="Lê Văn Phó")
    RoleFactory(user=deputy, unit=web_org.cell, role="cell_secretary")
    db.session.commit()
    return deputy


def test_take_a_task_and_a_colleague_sees_who_is_on_it(page, walker, web_org):
    _deputy(web_org)
    case = walker(full_name="Có Người Nhận").case
    task_id = next(t.id for t in case.tasks if t.is_open)
    deputy = page("deputy")
    assert deputy.post(f"/tasks/{task_id}/claim", data={"next": "/"}).status_code == 302
    assert "Bạn đang làm" in text(deputy.get("/"))
    secretary = page("cell_secretary")
    assert "Lê Văn Phó đang làm" in text(secretary.get("/"))
    assert "Lê Văn Phó đã nhận việc này" in text(secretary.get(f"/cases/{case.id}"))
    refused = secretary.post(f"/tasks/{task_id}/release", data={"next": "/"}, follow_redirects=True)
    assert "Chỉ người đã nhận việc (hoặc quản trị đơn vị) mới trả lại được việc này." in text(refused)
    db.session.expire_all()
    assert db.session.get(Task, task_id).claimed_by_id is not None
    deputy.post(f"/tasks/{task_id}/release", data={"next": "/"})
    db.session.expire_all()
    assert db.session.get(Task, task_id).claimed_by_id is None
    assert "Chưa ai nhận việc này" in text(secretary.get(f"/tasks/{task_id}"))


def test_assign_to_a_colleague_from_the_task_page(page, walker, web_org):
    deputy = _deputy(web_org)
    case = walker().case
    task_id = next(t.id for t in case.tasks if t.is_open)
    client = page("cell_secretary")
    body = text(client.get(f"/tasks/{task_id}"))
    assert "Giao cho đồng chí khác" in body and "Lê Văn Phó" in body
    response = client.post(f"/tasks/{task_id}/assign", data={"assignee": str(deputy.id)}, follow_redirects=True)
    assert "Đã giao việc cho Lê Văn Phó." in text(response)
    db.session.expire_all()
    assert db.session.get(Task, task_id).claimed_by_id == deputy.id


def test_a_task_of_another_unit_is_not_found(page, walker, web_org):
    case = walker(workplace_unit=web_org.other_enterprise.id, referrer="other_union_officer",
                  referring_org=web_org.other_union.id).case
    task_id = next(t.id for t in case.tasks if t.is_open)
    client = page("cell_secretary")
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}/claim").status_code == 404
    assert db.session.get(Task, task_id).claimed_by_id is None


def test_name_a_delegate_who_then_acts_and_is_named_in_the_history(page, walker, web_org, clock):
    use_session(db.session)
    UserFactory(username="stand_in", full_name="Đỗ Thị Thay")
    db.session.commit()
    client = page("cell_secretary")
    today = clock().date()
    last = today + timedelta(days=3)
    response = client.post("/delegations", data={"unit": str(web_org.cell.id), "delegate": "stand_in",
                                                  "starts_on": today.strftime("%d/%m/%Y"),
                                                  "ends_on": last.strftime("%d/%m/%Y")}, follow_redirects=True)
    assert "Đỗ Thị Thay làm thay bạn" in text(response)
    case = walker(full_name="Làm Thay").case
    clock.set_day(last)
    stand_in = page("stand_in")
    assert "Làm Thay" in text(stand_in.get("/"))
    done = step(stand_in, case.id, "accept_referral", {"resolution_date": last.strftime("%d/%m/%Y"),
                                                       "helper_ids": str(web_org.members["cell"][0].id)})
    assert done.status_code == 302, text(done)
    event = db.session.scalars(sa.select(Event).where(Event.case_id == case.id).order_by(Event.seq.desc())).first()
    assert event.acting_for_id == web_org.users["cell_secretary"].id
    history = text(page("cell_secretary").get(f"/cases/{case.id}"))
    assert f"Đỗ Thị Thay (làm thay {web_org.users['cell_secretary'].full_name})" in history
    clock.set_day(last + timedelta(days=1))
    assert "Làm Thay" not in text(page("stand_in").get("/"))


def test_a_delegation_that_cannot_be_says_why_and_saves_nothing(page, web_org, clock):
    client = page("cell_secretary")
    today = clock().date()
    response = client.post("/delegations", data={"unit": str(web_org.cell.id), "delegate": "direct_secretary",
                                                  "starts_on": today.strftime("%d/%m/%Y"),
                                                  "ends_on": (today - timedelta(days=1)).strftime("%d/%m/%Y")})
    assert response.status_code == 422 and "Ngày kết thúc phải từ ngày bắt đầu trở đi." in text(response)
    unknown = client.post("/delegations", data={"unit": str(web_org.cell.id), "delegate": "nobody",
                                                "starts_on": today.strftime("%d/%m/%Y"),
                                                "ends_on": today.strftime("%d/%m/%Y")})
    assert unknown.status_code == 422 and "Không có tài khoản nào có tên đăng nhập này" in text(unknown)
    assert db.session.scalar(sa.select(sa.func.count(Delegation.id))) == 0


def test_after_acting_the_page_says_done_not_warnings_about_other_roles(page, walker, web_org):
    case = walker().to("authority_review")
    task = next(t for t in case.tasks if t.kind == "appraise" and t.is_open)
    client = page("organizer")
    response = step(client, case.id, "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "admit",
                                                  "task_id": str(task.id)})
    assert response.status_code == 302, text(response)
    body = text(client.get(f"/cases/{case.id}"))
    assert "Xong: phần việc của bạn đã được ghi nhận." in body
    assert "chưa thực hiện được" not in body and "Không có việc nào đang chờ cho bước này" not in body
    assert "Cấp ủy có thẩm quyền @" in body  # what the case waits for is still listed


def test_a_referrer_lands_on_the_inbox_with_the_refer_button_in_sight(page):
    body = page("union_officer").get("/").get_data(as_text=True)
    assert 'href="/referrals/new"' in body and "Giới thiệu" in body
    assert 'href="/referrals/new"' not in page("residential_committee").get("/").get_data(as_text=True)


def test_the_vote_form_starts_from_the_register(page, walker, web_org):
    case = walker().to("cell_review")
    body = page("cell_secretary").get(f"/cases/{case.id}").get_data(as_text=True)
    official = len([m for m in web_org.members["cell"] if m.status == "official"])
    assert f'name="record_cell_vote-official_members" type="number" value="{official}"' in body or \
        re.search(rf'name="record_cell_vote-official_members"[^>]*value="{official}"', body)
    assert re.search(r'name="record_cell_vote-excluded_members"[^>]*value="0"', body)


def test_a_long_queue_s_count_stops_at_its_cap(page, walker, monkeypatch):
    from casework import inbox

    for name in ("Chờ Một", "Chờ Hai", "Chờ Ba"):
        walker(full_name=name).to("verification")
    client = page("cell_secretary")
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    assert _count(text(client.get("/?queue=waiting")), "Đang chờ tổ chức khác") == 3  # at the cap: exact
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    assert "2+ Đang chờ tổ chức khác" in text(client.get("/?queue=waiting"))
