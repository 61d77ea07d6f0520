"""Malformed ids through the API: a path id that is not one is a 404, a body's a 422 naming the field, a
query's a 422 naming the parameter; never a 500, and nothing is written."""

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case
from tests.api.helpers import act, codes
from tests.walk import referral

# 2147483647 is the largest id (PostgreSQL INTEGER); ² and ٣ pass str.isdigit(); the rest are plain wrong.
NOT_IDS = ["2147483648", "99999999999999999999", "²", "٣", "-1", "0"]
NOT_IDS_IN_JSON = [2147483648, 10**20, "²", "٣", -1, 0, True]


def _case_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


@pytest.mark.parametrize("bad", NOT_IDS)
def test_a_path_id_that_is_not_an_id_is_a_404(api, bad):
    client = api("cell_secretary")
    for url in (f"/api/v1/cases/{bad}", f"/api/v1/units/{bad}/members", f"/api/v1/cases/1/documents/{bad}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and response.get_json()["error"]


def test_the_largest_id_is_an_id_that_matches_nothing(api):
    response = api("cell_secretary").get("/api/v1/cases/2147483647")
    assert response.status_code == 404 and response.get_json()["error"] == "no such case"


@pytest.mark.parametrize("bad", NOT_IDS_IN_JSON)
def test_a_unit_id_in_a_referral_that_is_not_an_id_is_a_422(api, web_org, bad):
    response = api("union_officer").post("/api/v1/cases", json=referral(web_org, residence_unit=bad))
    assert response.status_code == 422, response.get_json()
    reason = response.get_json()["reasons"][0]
    assert codes(response) == ["bad_id"] and reason["params"]["field"] == "residence_unit"
    assert _case_count() == 0


def test_a_unit_id_at_the_boundary_is_read_and_found_missing(api, web_org):
    response = api("union_officer").post("/api/v1/cases", json=referral(web_org, residence_unit=2147483647))
    assert response.status_code == 422 and codes(response) == ["unknown_unit"]


@pytest.mark.parametrize("bad", NOT_IDS_IN_JSON)
def test_member_ids_that_are_not_ids_are_a_422(api, web_org, bad):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    response = act(api("cell_secretary"), case, "accept_referral", helper_ids=[bad], resolution_date="2026-11-16")
    assert response.status_code == 422
    assert codes(response) == ["bad_id"] and response.get_json()["reasons"][0]["params"]["field"] == "helper_ids"


@pytest.mark.parametrize("bad", NOT_IDS_IN_JSON)
def test_a_task_id_that_is_not_an_id_is_a_422_naming_it(api, web_org, bad):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    response = act(api("cell_secretary"), case, "accept_referral", task_id=bad)
    assert response.status_code == 422
    assert codes(response) == ["bad_id"] and response.get_json()["reasons"][0]["params"]["field"] == "task_id"


@pytest.mark.parametrize("bad", [True, "2", 2.0, 2147483648, 0])
def test_expected_version_must_be_a_version(api, web_org, bad):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    response = act(api("cell_secretary"), {**case, "version": bad}, "withdraw", reason="x")
    assert response.status_code == 422
    assert response.get_json()["reasons"][0]["params"]["field"] == "expected_version"


@pytest.mark.parametrize("bad", NOT_IDS)
def test_a_page_number_that_is_not_one_is_a_422(api, bad):
    response = api("cell_secretary").get(f"/api/v1/cases?page={bad}")
    assert response.status_code == 422 and codes(response) == ["bad_parameter"]
    assert response.get_json()["reasons"][0]["params"]["parameter"] == "page"


def test_the_last_page_number_is_accepted(api):
    response = api("cell_secretary").get("/api/v1/cases?page=2147483647")
    assert response.status_code == 200 and response.get_json()["cases"] == []


def test_every_refused_field_has_its_reason(api):
    response = api("cell_secretary").post("/api/v1/session", json={"username": 5, "extra": 1})
    assert response.status_code == 422
    reasons = {r["params"]["field"]: r["code"] for r in response.get_json()["reasons"]}
    assert reasons == {"username": "not_text", "password": "required", "extra": "unknown_field"}
    assert all(r["vi"] and r["en"] for r in response.get_json()["reasons"])
