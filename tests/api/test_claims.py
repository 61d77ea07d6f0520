"""Who is on a task and acting for an absent colleague, through the JSON API: the engine's rules, its reasons,
404 outside the caller's scope, and the OpenAPI document listing the routes (tests/api/test_openapi.py)."""

from __future__ import annotations

from datetime import timedelta

from casework.extensions import db
from casework.models import Task
from tests.factories import RoleFactory, UserFactory, use_session
from tests.walk import Walker


def _open_task(app, web_org, **overrides) -> Task:
    walker = Walker(db.session, app.extensions["casework_engine"], web_org, **overrides)
    return next(t for t in walker.case.tasks if t.is_open)


def _deputy(web_org):
    use_session(db.session)
    deputy = UserFactory(username="deputy", full_name="Lê Văn Phó")
    RoleFactory(user=deputy, unit=web_org.cell, role="cell_secretary")
    db.session.commit()
    return deputy


def _codes(response) -> list[str]:
    return [r["code"] for r in response.get_json()["reasons"]]


def test_claim_release_and_assign(app, api, web_org):
    deputy = _deputy(web_org)
    task = _open_task(app, web_org)
    secretary = api("cell_secretary")
    taken = secretary.post(f"/api/v1/tasks/{task.id}/claim")
    assert taken.status_code == 200 and taken.get_json()["claimed_by"]["id"] == web_org.users["cell_secretary"].id
    other = api("deputy").post(f"/api/v1/tasks/{task.id}/claim")
    assert other.status_code == 409 and _codes(other) == ["task_claimed_by_other"]
    not_mine = api("deputy").post(f"/api/v1/tasks/{task.id}/release")
    assert not_mine.status_code == 403 and _codes(not_mine) == ["release_not_claimant"]
    handed = secretary.post(f"/api/v1/tasks/{task.id}/assign", json={"assignee_id": deputy.id})
    assert handed.status_code == 200 and handed.get_json()["claimed_by"]["full_name"] == "Lê Văn Phó"
    back = api("deputy").post(f"/api/v1/tasks/{task.id}/release")
    assert back.status_code == 200 and back.get_json()["claimed_by"] is None


def test_assign_to_someone_without_the_role_and_a_bad_body(app, api, web_org):
    task = _open_task(app, web_org)
    secretary = api("cell_secretary")
    outsider = secretary.post(f"/api/v1/tasks/{task.id}/assign",
                              json={"assignee_id": web_org.users["direct_secretary"].id})
    assert outsider.status_code == 422 and _codes(outsider) == ["assignee_needs_role"]
    bad = secretary.post(f"/api/v1/tasks/{task.id}/assign", json={"assignee_id": "x"})
    assert bad.status_code == 422 and "bad_id" in _codes(bad)


def test_a_task_outside_the_scope_is_not_found(app, api, web_org):
    task = _open_task(app, web_org, workplace_unit=web_org.other_enterprise.id, referrer="other_union_officer",
                      referring_org=web_org.other_union.id)
    response = api("cell_secretary").post(f"/api/v1/tasks/{task.id}/claim")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Task, task.id).claimed_by_id is None


def test_name_a_delegate_and_list_it(app, api, web_org, clock):
    use_session(db.session)
    stand_in = UserFactory(username="stand_in")
    db.session.commit()
    today = clock().date()
    body = {"delegate_id": stand_in.id, "unit_id": web_org.cell.id, "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=2)).isoformat()}
    made = api("cell_secretary").post("/api/v1/delegations", json=body)
    assert made.status_code == 201 and made.get_json()["in_force"] is True
    listed = api("stand_in").get("/api/v1/delegations").get_json()["delegations"]
    assert [d["id"] for d in listed] == [made.get_json()["id"]]
    inbox = api("stand_in").get("/api/v1/tasks")
    assert inbox.status_code == 200


def test_delegations_refused_with_reasons(api, web_org, clock):
    today = clock().date()
    secretary = api("cell_secretary")
    backwards = secretary.post("/api/v1/delegations", json={
        "delegate_id": web_org.users["direct_secretary"].id, "unit_id": web_org.cell.id,
        "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and _codes(backwards) == ["delegation_ends_before_start"]
    elsewhere = secretary.post("/api/v1/delegations", json={
        "delegate_id": web_org.users["direct_secretary"].id, "unit_id": web_org.other_cell.id,
        "starts_on": today.isoformat(), "ends_on": today.isoformat()})
    assert elsewhere.status_code == 403 and _codes(elsewhere) == ["no_role_to_delegate"]
    bad_day = secretary.post("/api/v1/delegations", json={
        "delegate_id": web_org.users["direct_secretary"].id, "unit_id": web_org.cell.id,
        "starts_on": "30/11/2026", "ends_on": today.isoformat()})
    assert bad_day.status_code == 422 and "bad_date" in _codes(bad_day)
