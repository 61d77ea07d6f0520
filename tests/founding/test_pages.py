"""The founding workflow on the pages: the start form for the organizer and the founding committee, the generic
case page with the enterprise's panel, a member cell's transfer task in its inbox, and the printed proposal and
decision."""

from __future__ import annotations

import pytest

from casework.extensions import db
from casework.models import Case
from tests.founding.support import FoundingWalker
from tests.web.conftest import sign_in, text


@pytest.fixture
def fpage(app, web_forg):
    def signed_in(username: str):
        client = app.test_client()
        assert sign_in(client, username).status_code == 302
        return client

    return signed_in


def test_the_organizer_opens_a_founding_case_from_the_start_form(fpage, web_forg):
    organizer = fpage("organizer")
    listing = organizer.get("/referrals/start")
    assert listing.status_code == 200 and "/referrals/new/founding" in listing.get_data(as_text=True)
    form = organizer.get("/referrals/new/founding")
    assert form.status_code == 200 and "Công ty TNHH Sao Vàng" in text(form)
    member = web_forg.members["sao_vang"][0]
    response = organizer.post("/referrals/new/founding", data={
        "identify-enterprise_unit": str(web_forg.sao_vang.id), "identify-workers": "420",
        "identify-identified_on": "16/11/2026", "identify-members-0-full_name": member.full_name,
        "identify-members-0-member_id": str(member.id)})
    assert response.status_code == 302, text(response)
    case = db.session.query(Case).filter_by(workflow="founding").one()
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.facts["members"][0]["member_id"] == member.id
    page = organizer.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert "Công ty TNHH Sao Vàng" in text(page) and "Rà soát, khảo sát" in text(page)


def test_the_start_form_refuses_bad_input_next_to_the_field(fpage, web_forg):
    response = fpage("grassroots_committee").post("/referrals/new/founding", data={
        "identify-enterprise_unit": str(web_forg.enterprise.id), "identify-workers": "12",
        "identify-identified_on": "16/11/2026"})
    assert response.status_code == 422
    assert "đã có tổ chức đảng" in text(response)
    assert db.session.query(Case).count() == 0


def test_only_the_start_steps_actors_may_start_and_unknown_workflows_are_not_found(fpage, web_forg):
    secretary = fpage("res_secretary")
    assert secretary.get("/referrals/new/founding").status_code == 403
    assert secretary.get("/referrals/start").status_code == 403
    assert fpage("organizer").get("/referrals/new/nothing").status_code == 404
    assert "/referrals/start" in fpage("grassroots_committee").get("/").get_data(as_text=True)


def test_a_member_cell_finds_its_transfer_in_its_inbox_and_answers_it(app, fpage, web_forg, clock):
    from casework.extensions import db as flask_db

    walk = FoundingWalker(flask_db.session, app.extensions["casework_engine"], web_forg)
    walk.to("gathering_members")
    far = fpage("far_secretary")
    inbox = far.get("/")
    assert "Công ty TNHH Sao Vàng" in text(inbox)
    task = walk.open_tasks("confirm_transfer")
    far_task = next(t for t in task if t.unit_id == web_forg.far_cell.id)
    page = far.get(f"/cases/{walk.case.id}")
    assert page.status_code == 302 and f"/verification/{far_task.id}" in page.headers["Location"]
    shown = far.get(page.headers["Location"])
    assert shown.status_code == 200 and web_forg.members["sao_vang"][4].full_name in text(shown)


def test_the_proposal_and_the_decision_print(app, fpage, web_forg):
    from casework.extensions import db as flask_db

    walk = FoundingWalker(flask_db.session, app.extensions["casework_engine"], web_forg)
    walk.to("founded")
    organizer = fpage("organizer")
    proposal = organizer.get(f"/cases/{walk.case.id}/print/to-trinh")
    assert proposal.status_code == 200
    assert "TỜ TRÌNH" in text(proposal) and "15-TTr/ĐU" in text(proposal)
    assert web_forg.members["sao_vang"][0].full_name in text(proposal)
    decision = organizer.get(f"/cases/{walk.case.id}/print/qd-thanh-lap")
    assert decision.status_code == 200
    assert "Chi bộ Công ty TNHH Sao Vàng" in text(decision) and "210-QĐ/ĐU" in text(decision)
    # And as PDFs, like every printed form.
    import io

    from pypdf import PdfReader

    for code, words in (("to-trinh", "TỜ TRÌNH"), ("qd-thanh-lap", "QUYẾT ĐỊNH")):
        response = organizer.get(f"/cases/{walk.case.id}/print/{code}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        pages = PdfReader(io.BytesIO(response.data)).pages
        assert words in " ".join(page.extract_text() for page in pages)


def test_the_organizer_downloads_the_object_centric_log_of_their_scope(app, fpage, web_forg):
    import json

    from casework.extensions import db as flask_db

    walk = FoundingWalker(flask_db.session, app.extensions["casework_engine"], web_forg)
    response = fpage("organizer").get("/monitoring/events.jsonocel")
    assert response.status_code == 200 and response.mimetype == "application/json"
    log = json.loads(response.get_data(as_text=True))
    assert [e["type"] for e in log["events"]] == ["identify"]
    assert {"objectId": f"case:{walk.case.id}", "qualifier": "case"} in log["events"][0]["relationships"]
    other = json.loads(fpage("other_organizer").get("/monitoring/events.jsonocel").get_data(as_text=True))
    assert other["events"] == [] and other["objects"] == []
    xes = fpage("organizer").get("/monitoring/events.xes").get_data(as_text=True)
    assert '<string key="workflow" value="founding"/>' in xes


def test_the_committee_takes_the_founding_steps_from_the_generic_case_page(app, fpage, web_forg):
    from casework.extensions import db as flask_db
    from tests.web.conftest import step

    walk = FoundingWalker(flask_db.session, app.extensions["casework_engine"], web_forg)
    committee = fpage("grassroots_committee")
    refused = step(committee, walk.case.id, "start_engagement", {"contact_person": "Ông Park"})
    assert refused.status_code == 422 and "Ban quản lý khu công nghiệp" in text(refused)
    done = step(committee, walk.case.id, "start_engagement", {"contact_person": "Ông Park",
                                                             "zone_board_letter": "120/ĐU-KCN, 02/11/2026"})
    assert done.status_code == 302
    flask_db.session.expire_all()
    assert flask_db.session.get(Case, walk.case.id).state == "engaging_owner"
    page = committee.get(f"/cases/{walk.case.id}")
    assert "Ghi buổi gặp chủ doanh nghiệp" in text(page)
