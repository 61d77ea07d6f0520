"""Taking steps through the API: 200, 403 (role or unit), 409 stale, 422 guards and fields, task steps."""

from datetime import timedelta

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Event, Task
from tests.api.helpers import act, codes
from tests.factories import RoleFactory, UserFactory
from tests.walk import Walker, referral


def _referred(api, web_org) -> dict:
    return api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()


def _event_count(case_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))


def _accept(web_org) -> dict:
    return {"helper_ids": [web_org.members["cell"][0].id], "resolution_date": "2026-11-16"}


def test_a_step_answers_200_with_the_updated_case(api, web_org):
    case = _referred(api, web_org)
    response = act(api("cell_secretary"), case, "accept_referral", **_accept(web_org))
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "sympathiser" and body["version"] == 2
    assert body["history"][-1]["trigger"] == "accept_referral"
    assert body["facts"]["helper_ids"] == [web_org.members["cell"][0].id]


def test_the_wrong_role_gets_a_403_and_nothing_is_written(api, web_org):
    case = _referred(api, web_org)
    response = act(api("grassroots_committee"), case, "accept_referral", **_accept(web_org))
    assert response.status_code == 403 and codes(response) == ["wrong_role"]
    assert _event_count(case["id"]) == 1


def test_the_right_role_for_another_unit_gets_a_403(app, api, web_org):
    # Sees the case as the commune's organizer, but is cell secretary of a different cell.
    user = UserFactory(username="two_hats")
    RoleFactory(user=user, unit=web_org.commune, role="organizer")
    RoleFactory(user=user, unit=web_org.direct_cell, role="cell_secretary")
    db.session.commit()
    case = _referred(api, web_org)
    response = act(api("two_hats"), case, "accept_referral", **_accept(web_org))
    assert response.status_code == 403 and codes(response) == ["wrong_unit"]
    assert response.get_json()["reasons"][0]["params"]["unit_id"] == web_org.cell.id


def test_a_stale_version_is_a_409_and_writes_nothing(api, web_org):
    case = _referred(api, web_org)
    secretary = api("cell_secretary")
    assert act(secretary, case, "accept_referral", **_accept(web_org)).status_code == 200
    stale = act(secretary, case, "withdraw", reason="Chuyển công tác.")
    assert stale.status_code == 409 and codes(stale) == ["stale_version"]
    assert stale.get_json()["reasons"][0]["params"] == {"expected_version": 1, "current_version": 2}
    current = secretary.get(f"/api/v1/cases/{case['id']}").get_json()
    assert current["state"] == "sympathiser" and _event_count(case["id"]) == 2


def test_expected_version_is_required(api, web_org):
    case = _referred(api, web_org)
    response = api("cell_secretary").post(f"/api/v1/cases/{case['id']}/actions/accept_referral",
                                          json=_accept(web_org))
    assert response.status_code == 422 and codes(response) == ["expected_version_required"]
    as_text = act(api("cell_secretary"), {**case, "version": "1"}, "accept_referral", **_accept(web_org))
    assert as_text.status_code == 422


def test_a_failing_guard_is_a_422_with_every_reason(api, web_org):
    case = _referred(api, web_org)
    probationary = web_org.members["cell"][-1]
    outsider = web_org.members["direct_cell"][0]
    response = act(api("cell_secretary"), case, "accept_referral", helper_ids=[probationary.id, outsider.id],
                   resolution_date="2026-11-16")
    assert response.status_code == 422
    assert codes(response) == ["helper_not_official_in_cell", "helper_not_official_in_cell"]
    assert {r["params"]["member_id"] for r in response.get_json()["reasons"]} == {probationary.id, outsider.id}
    assert _event_count(case["id"]) == 1


def test_bad_fields_are_a_422(api, web_org):
    case = _referred(api, web_org)
    response = act(api("cell_secretary"), case, "accept_referral", helper_ids="everyone",
                   resolution_date="2026-11-30", mood="good")
    assert response.status_code == 422
    assert set(codes(response)) == {"unknown_field", "not_list", "date_in_future"}


def test_an_unknown_or_unavailable_step(api, web_org):
    case = _referred(api, web_org)
    secretary = api("cell_secretary")
    unknown = act(secretary, case, "promote_to_secretary")
    assert unknown.status_code == 404
    not_now = act(secretary, case, "pass_course", certificate_number="CN-1", certificate_date="2026-11-16")
    assert not_now.status_code == 422 and codes(not_now) == ["not_available_in_state"]


def test_a_step_needs_a_json_body(api, web_org):
    case = _referred(api, web_org)
    client = api("cell_secretary").client
    response = client.post(f"/api/v1/cases/{case['id']}/actions/accept_referral", data="expected_version=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.is_json
    assert client.post("/api/v1/cases", data="x", content_type="text/plain").status_code == 415


def test_a_step_on_a_hidden_case_is_a_404(api, web_org):
    case = _referred(api, web_org)
    response = act(api("other_secretary"), case, "accept_referral", **_accept(web_org))
    assert response.status_code == 404
    assert _event_count(case["id"]) == 1


def _in_verification(app, web_org) -> Walker:
    """A case whose candidate lives in Khu phố 3 and whose father lives in Thôn Đông: two committees."""
    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    walker.to("dossier")
    father = {"full_name": "Nguyễn Văn Tư", "relation": "father", "residence_unit": web_org.far_area.id}
    walker.request_verification(relatives=[father])
    return walker


def _task_for(case_id: int, unit_id: int) -> Task:
    return db.session.scalar(sa.select(Task).where(Task.case_id == case_id, Task.kind == "confirm_background",
                                                   Task.unit_id == unit_id))


def test_confirm_background_only_by_the_committee_it_is_routed_to(app, api, web_org):
    walker = _in_verification(app, web_org)
    case_id = walker.case.id
    near, far = _task_for(case_id, web_org.residential_cell.id), _task_for(case_id, web_org.far_cell.id)
    committee = api("residential_committee")
    case = committee.get(f"/api/v1/cases/{case_id}").get_json()
    reply = {"outcome": "clear", "reply_number": "07/CV", "reply_date": "2026-11-16"}
    theirs = act(committee, case, "confirm_background", task_id=far.id, **reply)
    assert theirs.status_code == 403 and codes(theirs) == ["wrong_unit"]
    assert [t["id"] for t in case["tasks"]] == [near.id]  # not the other place's task, nor who is verified there
    ours = act(committee, case, "confirm_background", task_id=near.id, **reply)
    assert ours.status_code == 200
    assert ours.get_json()["tasks"] == []
    again = act(committee, ours.get_json(), "confirm_background", task_id=near.id, **reply)
    assert again.status_code == 422 and codes(again) == ["task_not_open"]
    db.session.expire_all()
    assert far.status == "open" and near.status == "done"


def test_a_task_step_picks_the_callers_only_task_or_asks_for_task_id(app, api, web_org):
    walker = _in_verification(app, web_org)
    far = api("far_committee")
    case = far.get(f"/api/v1/cases/{walker.case.id}").get_json()
    reply = {"outcome": "concerns", "notes": "Cần làm rõ.", "reply_number": "3/CV", "reply_date": "2026-11-16"}
    assert act(far, case, "confirm_background", **reply).status_code == 200
    secretary = api("cell_secretary")
    case = secretary.get(f"/api/v1/cases/{walker.case.id}").get_json()
    no_task = act(secretary, case, "confirm_background", **reply)
    assert no_task.status_code == 422 and codes(no_task) == ["task_id_required"]
    near = _task_for(walker.case.id, web_org.residential_cell.id)
    not_theirs = act(secretary, case, "confirm_background", task_id=near.id, **reply)
    assert not_theirs.status_code == 403 and codes(not_theirs) == ["wrong_role"]
    bogus = act(secretary, case, "confirm_background", task_id=999999, **reply)
    assert bogus.status_code == 422 and codes(bogus) == ["unknown_task"]


def test_complete_verification_waits_for_every_reply(app, api, web_org, clock):
    walker = _in_verification(app, web_org)
    secretary = api("cell_secretary")
    case = secretary.get(f"/api/v1/cases/{walker.case.id}").get_json()
    early = act(secretary, case, "complete_verification", opinions_summary="Tốt.")
    assert early.status_code == 422 and codes(early) == ["verification_pending"]
    clock.set_day(clock.now.date() + timedelta(days=1))
    assert _event_count(walker.case.id) == walker.case.version
