"""One case from referral to probation, through the pages only, each step by the person it belongs to."""

from __future__ import annotations

from casework.extensions import db
from casework.models import Case, Document, Task
from tests.web.conftest import step, text


def _referral(org) -> dict:
    return {"full_name": "Trần Văn Đức", "birth_date": "12/04/1998", "gender": "male", "national_id": "001098001234",
            "residence_unit": str(org.area.id), "workplace_unit": str(org.enterprise.id), "position": "Kỹ sư",
            "source": "trade_union", "referring_org": str(org.trade_union.id), "referral_number": "12/NQ-CĐ",
            "referral_date": "02/11/2026"}


def _ok(response):
    assert response.status_code == 302, text(response)[:3000]
    return response


def test_referral_to_probation_through_the_pages(page, web_org, clock):
    union = page("union_officer")
    created = union.post("/referrals/new", data={f"refer-{k}": v for k, v in _referral(web_org).items()})
    _ok(created)
    case = db.session.query(Case).one()
    assert "Trần Văn Đức" in text(union.get("/referrals/"))

    secretary = page("cell_secretary")
    assert "Trần Văn Đức" in text(secretary.get("/"))
    helper = web_org.members["cell"][0].id
    _ok(step(secretary, case.id, "accept_referral", {"helper_ids": str(helper), "resolution_date": "16/11/2026"}))
    _ok(step(secretary, case.id, "enrol_course", {"course": "Lớp K12", "course_mode": "in_person"}))
    _ok(step(secretary, case.id, "pass_course", {"certificate_number": "CN-1", "certificate_date": "16/11/2026"}))
    for code in ("1-KNĐ", "2-KNĐ"):
        from io import BytesIO

        _ok(secretary.post(f"/cases/{case.id}/documents", data={
            "form_code": code, "file": (BytesIO(b"%PDF-1.4 test"), f"{code}.pdf")},
            content_type="multipart/form-data"))
    assert db.session.query(Document).count() == 2
    members = web_org.members["cell"]
    _ok(step(secretary, case.id, "request_verification", {
        "introducers-0-member_id": str(members[0].id), "introducers-0-known_since": "01/01/2024",
        "introducers-1-member_id": str(members[1].id), "introducers-1-known_since": "01/01/2024"}))

    committee = page("residential_committee")
    task = db.session.query(Task).filter_by(kind="confirm_background", status="open").one()
    assert "Trần Văn Đức" in text(committee.get("/verification/"))
    reply = committee.post(f"/verification/{task.id}", data={
        "confirm_background-outcome": "clear", "confirm_background-reply_number": "05/CV",
        "confirm_background-reply_date": "16/11/2026", "confirm_background-expected_version": str(
            db.session.get(Case, case.id).version), "confirm_background-task_id": str(task.id)})
    _ok(reply)

    _ok(step(secretary, case.id, "complete_verification", {"opinions_summary": "Các ý kiến đều tốt."}))
    _ok(step(secretary, case.id, "record_cell_vote", {
        "official_members": "5", "excluded_members": "0", "present": "5", "votes_for": "5", "votes_against": "0",
        "meeting_date": "16/11/2026"}))
    grassroots = page("grassroots_committee")
    _ok(step(grassroots, case.id, "record_grassroots_resolution", {
        "committee_members": "9", "votes_for": "9", "resolution_number": "45-NQ/ĐU", "resolution_date": "16/11/2026"}))
    organizer = page("organizer")
    _ok(step(organizer, case.id, "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "admit"}))
    authority = page("authority")
    _ok(step(authority, case.id, "decide_admission", {"decision_number": "120-QĐ/ĐU", "decision_date": "16/11/2026"}))
    _ok(step(secretary, case.id, "hold_ceremony", {"ceremony_date": "16/11/2026", "helper_ids": str(helper)}))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "probation"
    shown = text(secretary.get(f"/cases/{case.id}"))
    assert "Đảng viên dự bị" in shown and "16/11/2027" in shown
    for url in ("5-knd", "6-knd", "9-knd"):
        assert secretary.get(f"/cases/{case.id}/print/{url}").status_code == 200
