"""A NUL character anywhere in a request's text is a 400 before any view reads it, on pages and API alike.

PostgreSQL refuses U+0000 in text columns, so before this check a username or a referral name holding it
answered 500 there (SQLite stored it). Found by the API fuzzing once blank strings were refused.
"""

from __future__ import annotations

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case, Event
from tests.walk import referral
from tests.web.conftest import sign_in


def test_a_username_with_nul_is_refused_on_the_sign_in_page(client, web_org):
    assert sign_in(client, "cell_secretary\x00", "secret").status_code == 400
    assert sign_in(client, "cell_secretary", "secret").status_code == 302  # nothing was counted against her


def test_the_api_refuses_nul_in_a_body_at_any_depth_and_says_why(api, web_org):
    client = api("union_officer")
    for body in ({"username": "a\x00", "password": "x"}, {"username": "a", "password": "x", "more": ["\x00"]},
                 {"username": "a", "password": "x", "nested": {"key\x00": 1}}):
        response = client.post("/api/v1/session", json=body)
        assert response.status_code == 400, body
        assert "NUL" in response.get_json()["error"] and response.get_json()["reasons"] == []


def test_a_referral_with_nul_in_a_name_writes_nothing(api, web_org):
    response = api("union_officer").post("/api/v1/cases", json=referral(web_org, full_name="Trần\x00Bình"))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_step_with_nul_in_a_field_leaves_the_case_as_it_was(api, web_org):
    union = api("union_officer")
    case = union.post("/api/v1/cases", json=referral(web_org)).get_json()
    response = api("cell_secretary").post(f"/api/v1/cases/{case['id']}/actions/accept_referral",
                                          json={"expected_version": case["version"], "note": "ok\x00"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_a_query_parameter_with_nul_is_refused(api, client, web_org):
    assert api("cell_secretary").get("/api/v1/cases?state=referred%00").status_code == 400
    sign_in(client, "cell_secretary")
    assert client.get("/?unit=1%00").status_code == 400


def test_ordinary_text_passes(api, web_org):
    assert api("cell_secretary").get("/api/v1/cases?state=referred").status_code == 200
