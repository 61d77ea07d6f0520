"""The residential committee's inbox shows only what verification needs, and takes the reply."""

from __future__ import annotations

from casework.extensions import db
from casework.models import Case, Task
from tests.web.conftest import text


def _task(case):
    return db.session.query(Task).filter_by(case_id=case.id, kind="confirm_background", status="open").one()


def test_the_list_shows_what_verification_needs_and_not_the_dossier(page, walker):
    case = walker(full_name="Lý Thường Kiệt").to("verification")
    body = text(page("residential_committee").get("/verification/"))
    assert "Lý Thường Kiệt" in body and "12/04/1998" in body and "Khu phố 3" in body
    assert "Chi bộ Công ty Hòa Phát" in body, "the requesting cell"
    assert case.candidate.national_id not in body and "Công nhân" not in body


def test_the_reply_goes_through_the_engine(page, walker):
    case = walker().to("verification")
    task = _task(case)
    client = page("residential_committee")
    shown = text(client.get(f"/verification/{task.id}"))
    assert "Nội dung cần thẩm tra" in shown and case.candidate.national_id not in shown
    response = client.post(f"/verification/{task.id}", data={
        "confirm_background-outcome": "concerns", "confirm_background-notes": "Cần xác minh thêm.",
        "confirm_background-reply_number": "07/CV", "confirm_background-reply_date": "16/11/2026",
        "confirm_background-expected_version": str(case.version), "confirm_background-task_id": str(task.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).outcome["outcome"] == "concerns"


def test_a_reply_with_missing_fields_is_refused_with_reasons(page, walker):
    case = walker().to("verification")
    task = _task(case)
    response = page("residential_committee").post(f"/verification/{task.id}", data={
        "confirm_background-expected_version": str(case.version), "confirm_background-task_id": str(task.id)})
    assert response.status_code == 422 and "Kết quả: bắt buộc" in text(response)


def test_another_committee_cannot_open_the_task(page, walker):
    case = walker().to("verification")
    assert page("far_committee").get(f"/verification/{_task(case).id}").status_code == 404
    assert page("cell_secretary").get(f"/verification/{_task(case).id}").status_code == 404


def test_a_stale_reply_is_refused(page, walker):
    case = walker().to("verification")
    task = _task(case)
    response = page("residential_committee").post(f"/verification/{task.id}", data={
        "confirm_background-outcome": "clear", "confirm_background-reply_number": "1",
        "confirm_background-reply_date": "16/11/2026", "confirm_background-expected_version": "1",
        "confirm_background-task_id": str(task.id)})
    assert response.status_code == 409
    assert db.session.get(Case, case.id).state == "verification"
