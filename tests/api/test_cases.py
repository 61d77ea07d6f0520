"""Referring a candidate and reading cases: scope, actions with reasons, the restricted view."""

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case, Event
from tests.api.helpers import action, codes
from tests.walk import Walker, referral


def test_a_referral_opens_a_case_with_its_history(api, web_org):
    response = api("union_officer").post("/api/v1/cases", json=referral(web_org, full_name="Trần Văn Bình"))
    assert response.status_code == 201
    case = response.get_json()
    assert case["state"] == "referred" and case["version"] == 1
    assert case["candidate"]["full_name"] == "Trần Văn Bình"
    assert case["referring_org_id"] == web_org.trade_union.id
    assert case["owning_cell"]["id"] == web_org.cell.id
    assert [e["trigger"] for e in case["history"]] == ["refer"]
    assert case["history"][0]["actor"] == "union_officer"
    assert case["dates"]["referral_date"] == "2026-11-02"
    assert [t["role"] for t in case["tasks"]] == ["cell_secretary"]


def test_a_bad_referral_is_a_422_naming_each_field(api, web_org):
    data = referral(web_org, birth_date="12/04/1998", national_id="12AB", gender="other")
    del data["full_name"]
    response = api("union_officer").post("/api/v1/cases", json=data)
    assert response.status_code == 422
    reasons = {r["params"].get("field"): r["code"] for r in response.get_json()["reasons"]}
    assert reasons == {"full_name": "required", "birth_date": "bad_date", "national_id": "bad_format",
                       "gender": "bad_choice"}
    assert all(r["vi"] and r["en"] for r in response.get_json()["reasons"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_source_that_is_not_text_is_a_422_not_a_crash(api, web_org):
    """Found by Schemathesis against a live server: {"source": {}} reached a dictionary lookup as a key."""
    for source in ({}, [], 7, None):
        response = api("union_officer").post("/api/v1/cases", json=referral(web_org, source=source))
        assert response.status_code == 422, source
        assert "source" in {r["params"].get("field") for r in response.get_json()["reasons"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_second_open_case_for_the_same_person_is_refused(api, web_org):
    union = api("union_officer")
    assert union.post("/api/v1/cases", json=referral(web_org, national_id="001298000123")).status_code == 201
    again = union.post("/api/v1/cases", json=referral(web_org, national_id="001298000123"))
    assert again.status_code == 422 and codes(again) == ["open_case_exists"]


def test_who_may_not_refer_gets_a_403(api, web_org):
    no_role = api("grassroots_committee").post("/api/v1/cases", json=referral(web_org))
    assert no_role.status_code == 403 and codes(no_role) == ["wrong_role"]
    other_union = api("other_union_officer").post("/api/v1/cases", json=referral(web_org))
    assert other_union.status_code == 403 and codes(other_union) == ["wrong_unit"]


def test_actions_say_who_may_act_and_why_not(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    referrer_view = api("union_officer").get(f"/api/v1/cases/{case['id']}").get_json()
    accept = action(referrer_view, "accept_referral")
    assert accept["allowed"] is False
    assert accept["reasons"][0]["code"] == "wrong_role"
    assert accept["reasons"][0]["vi"] and accept["reasons"][0]["en"]
    secretary_view = api("cell_secretary").get(f"/api/v1/cases/{case['id']}").get_json()
    assert action(secretary_view, "accept_referral") == {**action(secretary_view, "accept_referral"),
                                                         "allowed": True, "reasons": []}
    # The authority's transfer to another cell is listed too, not allowed to the secretary.
    assert {a["trigger"] for a in secretary_view["actions"]} == {"accept_referral", "decline_referral", "withdraw",
                                                                 "transfer_case"}
    assert action(secretary_view, "transfer_case")["allowed"] is False


def test_another_units_case_is_indistinguishable_from_a_missing_one(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    for username in ("other_secretary", "other_authority", "other_organizer", "far_committee"):
        client = api(username)
        hidden = client.get(f"/api/v1/cases/{case['id']}")
        missing = client.get("/api/v1/cases/999999")
        assert hidden.status_code == missing.status_code == 404, username
        assert hidden.get_json() == missing.get_json()
        assert client.get("/api/v1/cases").get_json()["cases"] == []


def test_the_organizer_above_and_the_grassroots_committee_see_the_case(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    for username in ("organizer", "province_organizer", "grassroots_committee", "authority"):
        assert api(username).get(f"/api/v1/cases/{case['id']}").status_code == 200, username


def test_a_residential_committee_sees_only_what_verification_needs(app, api, web_org):
    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    walker.to("verification")
    body = api("residential_committee").get(f"/api/v1/cases/{walker.case.id}").get_json()
    assert body["state"] == "verification"
    for private in ("history", "documents", "facts", "source"):
        assert private not in body
    assert "national_id" not in body["candidate"]
    assert [t["kind"] for t in body["tasks"]] == ["confirm_background"]
    assert action(body, "confirm_background")["allowed"] is True
    upload = api("residential_committee").post(f"/api/v1/cases/{walker.case.id}/documents", json={})
    assert upload.status_code == 404


def test_the_case_list_is_paged_and_filtered(api, web_org):
    union = api("union_officer")
    for n in range(3):
        union.post("/api/v1/cases", json=referral(web_org, national_id=f"00129800010{n}"))
    secretary = api("cell_secretary")
    first = secretary.get("/api/v1/cases?per_page=2").get_json()
    second = secretary.get("/api/v1/cases?per_page=2&page=2").get_json()
    assert len(first["cases"]) == 2 and len(second["cases"]) == 1
    assert {c["id"] for c in first["cases"]}.isdisjoint({c["id"] for c in second["cases"]})
    assert len(secretary.get("/api/v1/cases?state=referred").get_json()["cases"]) == 3
    assert secretary.get("/api/v1/cases?state=dossier").get_json()["cases"] == []


def test_bad_paging_parameters_are_a_clear_422(api):
    client = api("cell_secretary")
    for query in ("page=0", "page=abc", "per_page=0", "per_page=201", "per_page=-5", "page=1.5"):
        response = client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 422, query
        assert codes(response) == ["bad_parameter"]
        assert response.get_json()["reasons"][0]["params"]["parameter"] == query.split("=")[0]
    unknown_state = client.get("/api/v1/cases?state=limbo")
    assert unknown_state.status_code == 422 and codes(unknown_state) == ["unknown_state"]


def test_the_history_in_the_api_is_the_event_table(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    events = db.session.scalars(sa.select(Event).where(Event.case_id == case["id"])).all()
    assert [(e.seq, e.trigger, e.to_state) for e in events] == [
        (h["seq"], h["trigger"], h["to_state"]) for h in case["history"]]


def test_a_case_of_any_workflow_starts_at_its_own_address(api, web_org):
    union = api("union_officer")
    response = union.post("/api/v1/workflows/admission/cases", json=referral(web_org, full_name="Lê Thị Hoa"))
    assert response.status_code == 201
    case = response.get_json()
    assert (case["workflow"], case["state"], case["title"]) == ("admission", "referred", "Lê Thị Hoa")
    assert [e["trigger"] for e in case["history"]] == ["refer"]


def test_starting_a_case_of_an_unknown_workflow_is_a_404_and_writes_nothing(api, web_org):
    response = api("union_officer").post("/api/v1/workflows/no_such/cases", json=referral(web_org))
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_bad_start_at_the_workflow_address_is_a_422_naming_each_field(api, web_org):
    data = referral(web_org, gender="other")
    del data["national_id"]
    response = api("union_officer").post("/api/v1/workflows/admission/cases", json=data)
    assert response.status_code == 422
    reasons = {r["params"].get("field"): r["code"] for r in response.get_json()["reasons"]}
    assert reasons == {"national_id": "required", "gender": "bad_choice"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_list_rows_name_the_case_by_its_title_and_as_its_package_calls_it(api, web_org):
    union = api("union_officer")
    assert union.post("/api/v1/cases", json=referral(web_org, full_name="Đỗ Minh Châu")).status_code == 201
    row = union.get("/api/v1/cases").get_json()["cases"][0]
    assert (row["workflow"], row["title"], row["candidate"]) == ("admission", "Đỗ Minh Châu", "Đỗ Minh Châu")
    task = api("cell_secretary").get("/api/v1/tasks").get_json()["tasks"][0]
    assert task["title"] == task["candidate"] == "Đỗ Minh Châu"
