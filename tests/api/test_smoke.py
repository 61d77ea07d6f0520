"""The API walks a referral as the right people."""

from tests.walk import referral


def test_refer_then_accept_through_the_api(api, web_org):
    union = api("union_officer")
    created = union.post("/api/v1/cases", json=referral(web_org))
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["state"] == "referred" and case["version"] == 1
    secretary = api("cell_secretary")
    helper = web_org.members["cell"][0].id
    moved = secretary.post(f"/api/v1/cases/{case['id']}/actions/accept_referral",
                           json={"helper_ids": [helper], "resolution_date": "2026-11-16", "expected_version": 1})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["state"] == "sympathiser"
    stale = secretary.post(f"/api/v1/cases/{case['id']}/actions/enrol_course",
                           json={"course": "K1", "course_mode": "online", "expected_version": 1})
    assert stale.status_code == 409
    outsider = api("other_secretary")
    assert outsider.get(f"/api/v1/cases/{case['id']}").status_code == 404
