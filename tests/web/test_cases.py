"""The case page: card, progress line, history, steps offered and blocked; scope (404) and roles (403);
stale forms (409); the vote form."""

from __future__ import annotations

import pytest

from casework.engine import Engine
from casework.extensions import db
from casework.models import Case
from tests.engine.versions import V2_FROM, two_versions
from tests.web.conftest import step, text


def test_the_case_page_shows_card_progress_and_history(page, walker):
    case = walker(full_name="Ngô Bảo Châu").to("sympathiser")
    body = page("cell_secretary").get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'aria-current="step"' in body and "Cảm tình Đảng" in body
    shown = text(page("cell_secretary").get(f"/cases/{case.id}"))
    assert "Ngô Bảo Châu" in shown and "12/04/1998" in shown
    assert "Đưa vào danh sách cảm tình Đảng" in shown and "Bí thư chi bộ @ Chi bộ Công ty Hòa Phát" in shown
    assert "Cử đi học lớp nhận thức" in shown, "the next step is offered as a form"


@pytest.mark.parametrize("username, status", [
    ("cell_secretary", 200), ("union_officer", 200), ("grassroots_committee", 200), ("authority", 200),
    ("organizer", 200), ("province_organizer", 200),
    ("other_secretary", 404), ("other_authority", 404), ("other_organizer", 404), ("other_union_officer", 404),
    ("direct_secretary", 404), ("far_committee", 404),
])
def test_who_sees_a_case(page, walker, username, status):
    case = walker().case
    assert page(username).get(f"/cases/{case.id}").status_code == status


def test_another_units_case_is_not_found_for_documents_and_prints(page, walker):
    case = walker().case
    outsider = page("other_secretary")
    for url in (f"/cases/{case.id}/print/9-knd", f"/cases/{case.id}/documents/1"):
        assert outsider.get(url).status_code == 404
    assert outsider.post(f"/cases/{case.id}/actions/accept_referral", data={}).status_code == 404


def test_a_step_of_another_role_is_forbidden(page, walker, web_org):
    case = walker().case
    response = step(page("grassroots_committee"), case.id, "accept_referral", {"resolution_date": "16/11/2026"},
                    version=str(case.version))
    assert response.status_code == 403
    assert "Bí thư chi bộ" in text(response)


def test_blocked_steps_say_why(page, walker):
    case = walker().to("verification")
    body = text(page("cell_secretary").get(f"/cases/{case.id}"))
    assert "Tổng hợp ý kiến (5-KNĐ) — chưa thực hiện được" in body
    assert "chưa trả lời thẩm tra" in body


def test_blocked_steps_are_in_english_when_chosen(page, walker):
    case = walker().to("verification")
    client = page("cell_secretary")
    client.post("/language", data={"locale": "en"})
    body = text(client.get(f"/cases/{case.id}"))
    assert "Complete verification (5-KNĐ) — not possible yet" in body
    assert "16/11/2026" in body, "dates stay dd/mm/yyyy in English pages"


def test_engine_reasons_come_back_next_to_the_field(page, walker):
    case = walker().to("cell_review")
    response = step(page("cell_secretary"), case.id, "record_cell_vote", {
        "official_members": "6", "excluded_members": "0", "present": "6", "votes_for": "3", "votes_against": "3",
        "meeting_date": "16/11/2026"})
    assert response.status_code == 422
    assert "Cần ít nhất 4 phiếu tán thành" in text(response)
    assert db.session.get(Case, case.id).state == "cell_review"


def test_a_date_that_is_not_a_date_is_refused_before_the_engine(page, walker):
    case = walker().case
    response = step(page("cell_secretary"), case.id, "decline_referral", {"reason": "x"})
    assert response.status_code == 302
    case = walker().case
    bad = step(page("cell_secretary"), case.id, "accept_referral", {"helper_ids": "1", "resolution_date": "31/02/2026"})
    assert bad.status_code == 422 and "dd/mm/yyyy" in text(bad)


def test_the_vote_form_carries_what_the_live_count_needs(page, walker):
    case = walker().to("cell_review")
    body = page("cell_secretary").get(f"/cases/{case.id}").get_data(as_text=True)
    # the vote's fields as the definition names them (vote: counted, less, for)
    assert 'data-vote="votes_for" data-counted="official_members" data-less="excluded_members"' in body
    assert 'data-num="2"' in body and 'data-den="3"' in body
    assert "/static/vote.js" in body
    script = page("cell_secretary").get("/static/vote.js")
    assert script.status_code == 200 and b"Math.ceil" in script.data
    script.close()


def test_a_stale_form_is_refused_with_the_fresh_case(page, walker, web_org):
    case = walker().case
    client = page("cell_secretary")
    old = str(case.version)
    helper = str(web_org.members["cell"][0].id)
    assert step(client, case.id, "accept_referral", {"helper_ids": helper, "resolution_date": "16/11/2026"},
                version=old).status_code == 302
    again = step(client, case.id, "enrol_course", {"course": "K1", "course_mode": "online"}, version=old)
    assert again.status_code == 409
    shown = text(again)
    assert "vừa được người khác cập nhật" in shown and "Cử đi học lớp nhận thức" in shown
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "sympathiser"


def test_a_step_from_an_old_page_in_another_state_is_refused(page, walker):
    case = walker().to("sympathiser")
    response = step(page("cell_secretary"), case.id, "accept_referral", {}, version=str(case.version))
    assert response.status_code == 422
    assert "Không thể thực hiện bước này" in text(response)


def test_an_unknown_step_is_not_found(page, walker):
    case = walker().case
    assert page("cell_secretary").post(f"/cases/{case.id}/actions/fly", data={}).status_code == 404


def test_a_residential_committee_gets_the_verification_page_not_the_dossier(page, walker):
    case = walker().to("verification")
    committee = page("residential_committee")
    response = committee.get(f"/cases/{case.id}")
    assert response.status_code == 302 and "/verification/" in response.headers["Location"]
    assert committee.get(f"/cases/{case.id}/print/6-knd").status_code == 404


def test_a_case_page_offers_the_steps_of_the_version_the_case_started_under(app, page, walker, tmp_path, clock):
    app.extensions["casework_engine"] = Engine.from_directory(two_versions(tmp_path), clock=clock)
    old = walker().case
    clock.set_day(V2_FROM)  # version 2 adds "return the referral"; the case referred before stays on version 1
    new = walker().case
    secretary = page("cell_secretary")
    assert "Trả lại giới thiệu" not in text(secretary.get(f"/cases/{old.id}"))
    assert "Trả lại giới thiệu" in text(secretary.get(f"/cases/{new.id}"))
    assert step(secretary, old.id, "return_referral", {"reason": "trả lại"}).status_code == 404
    step(secretary, new.id, "return_referral", {"reason": "trả lại"})
    db.session.expire_all()
    assert (db.session.get(Case, old.id).state, db.session.get(Case, new.id).state) == ("referred", "declined")
