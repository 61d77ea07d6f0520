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


def test_each_relative_is_listed_with_their_relation_and_where_they_live(page, walker, web_org):
    """The admission package reads the people a task lists (``task_people``): the page names no field of theirs."""
    w = walker(full_name="Lý Thường Kiệt")
    w.to("dossier")
    w.request_verification(relatives=[
        {"full_name": "Lê Thị Mẹ", "relation": "mother", "residence_unit": web_org.far_area.id},
        {"full_name": "Lý Văn Cha", "relation": "father", "abroad": True, "country": "Pháp"}])
    at_home = text(page("far_committee").get("/verification/"))
    assert "Lê Thị Mẹ" in at_home and "(mother)" in at_home and "Thôn Đông" in at_home
    assert "Lý Thường Kiệt" not in at_home and "Lý Văn Cha" not in at_home
    abroad = text(page("authority").get("/verification/"))
    assert "Lý Văn Cha" in abroad and "ở nước ngoài Pháp" in abroad and "Thôn Đông" not in abroad
    candidate = text(page("residential_committee").get("/verification/"))
    assert "Lý Thường Kiệt" in candidate and "(người vào Đảng)" in candidate and "Khu phố 3" in candidate


def test_a_workplace_is_a_place_and_a_package_without_a_reader_lists_names_and_birth_dates(app, web_org):
    from datetime import date

    from casework.engine.packages import WorkflowPackage
    from workflows.admission.routing import task_people

    with app.test_request_context():
        (person,) = task_people({"people": [{"full_name": "Trần Văn Chú", "relation": "uncle",
                                             "workplace_unit": web_org.enterprise.id}]})
    assert (person.relation, person.places, person.birth_date, person.note) == ("uncle", (web_org.enterprise.id,),
                                                                                 None, None)
    bare = WorkflowPackage(name="bare", open_case=lambda *a: None)
    assert [(p.full_name, p.birth_date, p.places) for p in bare.people_listed(
        {"people": [{"full_name": "Nguyễn Văn A", "birth_date": "1990-02-03", "residence_unit": 7}]})] == [
        ("Nguyễn Văn A", date(1990, 2, 3), ())]
    assert bare.people_listed(None) == [] and bare.people_listed({}) == []
