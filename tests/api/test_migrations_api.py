"""POST /api/v1/workflows/<name>/migrations: administrators move (or preview moving) running cases to another
workflow version; everyone else is refused, and a bad request is a 4xx with reasons, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import Engine
from casework.extensions import db
from casework.models import Case, Event
from tests.api.helpers import codes
from tests.engine.migration_catalog import catalog, write_plan
from tests.factories import RoleFactory, UserFactory, use_session
from tests.walk import Walker

URL = "/api/v1/workflows/admission/migrations"


@pytest.fixture
def root(app, tmp_path, clock):
    root = catalog(tmp_path / "workflows")
    app.config["WORKFLOWS_DIR"] = str(root)
    app.extensions["casework_engine"] = Engine.from_directory(root, clock=clock)
    return root


@pytest.fixture
def cases(app, root, web_org):
    use_session(db.session)
    admin = UserFactory(username="admin")
    RoleFactory(user=admin, unit=web_org.units["province"], role="admin")
    elsewhere = UserFactory(username="other_admin")
    RoleFactory(user=elsewhere, unit=web_org.units["other_commune"], role="admin")
    db.session.commit()
    engine = app.extensions["casework_engine"]
    walked = {state: Walker(db.session, engine, web_org).to(state).id for state in ("in_course", "verification")}
    db.session.commit()
    return walked


def _events() -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    db.session.rollback()
    return count


def test_an_administrator_previews_then_moves_the_cases(api, cases):
    client = api("admin")
    before = _events()
    preview = client.post(URL, json={"from": 1, "to": 2, "dry_run": True})
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert _events() == before
    assert (body["from"], body["to"], body["dry_run"], body["plan"]) == (1, 2, True, "migrations/1-to-2.yaml")
    assert body["summary"]["would_move"] == 1 and body["summary"]["cannot_move"] == 1
    by_case = {c["case_id"]: c for c in body["cases"]}
    assert by_case[cases["verification"]]["to"] == {"state": "background_check", "stage": None}
    assert by_case[cases["in_course"]]["reasons"][0]["code"] == "state_unmapped"
    assert by_case[cases["in_course"]]["reasons"][0]["vi"]

    assert client.post(URL, json={"from": 1, "to": 2}).get_json()["dry_run"] is True  # the default

    done = client.post(URL, json={"from": 1, "to": 2, "dry_run": False, "where": {"state": "verification"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["summary"]["moved"] == 1 and done.get_json()["summary"]["total"] == 1
    case = db.session.get(Case, cases["verification"])
    assert (case.workflow_version, case.state, case.events[-1].trigger) == (2, "background_check", "migrate")
    db.session.rollback()

    seen = client.get(f"/api/v1/cases/{cases['verification']}").get_json()
    assert seen["history"][-1]["trigger"] == "migrate" and seen["history"][-1]["data"]["to"]["version"] == 2
    again = client.post(URL, json={"from": 1, "to": 2, "dry_run": False, "where": {"case": [cases["verification"]]}})
    assert [c["outcome"] for c in again.get_json()["cases"]] == ["already_migrated"]


def test_only_administrators_and_only_within_their_subtree(api, cases):
    for username in ("cell_secretary", "organizer", "province_organizer"):
        response = api(username).post(URL, json={"from": 1, "to": 2, "dry_run": True})
        assert response.status_code == 403 and codes(response) == ["admin_only"], username
    response = api("other_admin").post(URL, json={"from": 1, "to": 2, "dry_run": False})
    assert response.status_code == 200 and response.get_json()["cases"] == []
    assert api().post(URL, json={"from": 1, "to": 2}).status_code == 401


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"to": 2}, 422, "required"),
    ({"from": "one", "to": 2}, 422, "bad_value"),
    ({"from": 1, "to": 2, "dry_run": "perhaps"}, 422, "bad_value"),
    ({"from": 1, "to": 2, "surprise": 1}, 422, "unknown_field"),
    ({"from": 1, "to": 2, "where": {"colour": "red"}}, 422, "unknown_field"),
    ({"from": 1, "to": 2, "where": {"unit": "x"}}, 422, "bad_id"),
    ({"from": 1, "to": 2, "where": {"state": "background_check"}}, 422, "bad_where"),
    ({"from": 1, "to": 2, "where": {"unit": 99999}}, 422, "bad_where"),
    ({"from": 1, "to": 2, "where": "state=dossier"}, 422, "not_object"),
    ({"from": 1, "to": 1}, 422, "same_version"),
    ({"from": 0, "to": 2}, 422, "bad_version"),
    ({"from": 1, "to": 9}, 404, "unknown_workflow_version"),
    ({"from": 2, "to": 1}, 404, "no_migration_plan"),
])
def test_a_bad_request_is_refused_with_a_reason(api, cases, body, status, code):
    response = api("admin").post(URL, json=body)
    assert response.status_code == status, response.get_json()
    assert code in codes(response), response.get_json()


def test_not_json_and_unknown_workflow(api, cases):
    client = api("admin")
    assert client.client.post(URL, data="from=1").status_code == 415
    assert client.client.post(URL, data="[1]", content_type="application/json").status_code == 400
    response = client.post("/api/v1/workflows/nothing/migrations", json={"from": 1, "to": 2})
    assert response.status_code == 404 and codes(response) == ["unknown_workflow"]


def test_an_invalid_plan_is_a_422_naming_the_element(api, cases, root):
    write_plan(root, {"from": 1, "to": 2, "states": {"in_course": "limbo"}})
    response = api("admin").post(URL, json={"from": 1, "to": 2})
    assert response.status_code == 422 and codes(response) == ["invalid_migration_plan"]
    assert response.get_json()["reasons"][0]["params"] == {"element": "states.in_course.to"}


def test_fuzzed_requests_from_an_administrator_answer_as_documented(app, api, cases, clock):
    """Schemathesis, as tests/api/test_fuzz.py does for every operation, but as an administrator over a catalog
    that has a plan, so generated bodies reach the planning and the moving, not only the 403."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    from casework.auth import create_token
    from casework.models import User
    from tests.api.test_fuzz import CHECKS

    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    headers = {"Authorization": f"Bearer {create_token(db.session, admin, 'fuzz', now=clock())}"}
    db.session.commit()
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(op.ok() for op in document.get_all_operations()
                     if op.ok().path.endswith("/workflows/{name}/migrations"))
    modes = [operation.as_strategy(mode, path_parameters={"name": "admission"})
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(modes))
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
