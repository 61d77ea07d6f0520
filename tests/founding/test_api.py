"""The founding workflow through the generic API: its definition, its cases started and stepped through the same
endpoints as admission's, each member cell answering only its own transfer, and scoping across committees."""

from __future__ import annotations

from tests.api.helpers import act, action, codes


def _start(fapi, forg, today: str):
    members = [{"full_name": m.full_name, "member_id": m.id} for m in forg.members["sao_vang"]]
    return fapi("grassroots_committee").post("/api/v1/workflows/founding/cases", json={
        "enterprise_unit": forg.sao_vang.id, "workers": 420, "members": members, "identified_on": today})


def test_the_definition_is_served(fapi, web_forg):
    response = fapi("grassroots_committee").get("/api/v1/workflows/founding")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "founding" and "decide_founding" in str(body)


def test_one_enterprise_from_identification_to_a_founded_cell_through_the_api(fapi, web_forg, clock):
    today = clock.now.date().isoformat()
    created = _start(fapi, web_forg, today)
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["enterprise"]["name"] == "Công ty TNHH Sao Vàng"
    clients = {}

    def step(username, trigger, **fields):
        client = clients.setdefault(username, fapi(username))
        seen = client.get(f"/api/v1/cases/{case['id']}").get_json()
        if "task_id" not in fields and action(seen, trigger).get("task_ids"):
            fields["task_id"] = action(seen, trigger)["task_ids"][0]
        response = act(client, seen, trigger, **fields)
        assert response.status_code == 200, (username, trigger, response.get_json())
        return response.get_json()

    g = "grassroots_committee"
    step(g, "start_engagement", contact_person="Ông Park", zone_board_letter="120/ĐU-KCN")
    step(g, "record_owner_meeting", meeting_date=today, owner_position="supportive")
    step(g, "owner_agreed", agreement_date=today, agreement_document="CV 05/SV")
    # Each member cell finds its transfer among its tasks, and sees only what answering it needs.
    far = fapi("far_secretary")
    rows = inbox(fapi, "far_secretary")
    assert [(t["case_id"], t["kind"]) for t in rows] == [(case["id"], "confirm_transfer")]
    restricted = far.get(f"/api/v1/cases/{case['id']}").get_json()
    assert set(restricted["enterprise"]) == {"unit_id", "name"}
    home_task = inbox(fapi, "res_secretary")[0]
    refused = act(far, restricted, "confirm_transfer", task_id=home_task["id"], outcome="transferred",
                  transfer_number="1/GGT", transfer_date=today)
    assert refused.status_code == 403
    step("res_secretary", "confirm_transfer", outcome="transferred", transfer_number="7/GGT", transfer_date=today)
    step("far_secretary", "confirm_transfer", outcome="transferred", transfer_number="8/GGT", transfer_date=today)
    step(g, "complete_gathering")
    step(g, "submit_proposal", organisation_form="cell_under_grassroots", reports_to=web_forg.grassroots.id,
         interim_secretary=web_forg.members["sao_vang"][0].id, proposal_number="15-TTr/ĐU", proposal_date=today)
    step("organizer", "appraise", appraisal="Đủ điều kiện.", recommendation="found")
    founded = step("authority", "decide_founding", decision_number="210-QĐ/ĐU", decision_date=today,
                   cell_name="Chi bộ Công ty TNHH Sao Vàng")
    assert founded["state"] == "founded"


def inbox(fapi, username: str) -> list[dict]:
    return fapi(username).get("/api/v1/tasks").get_json()["tasks"]


def test_bad_input_is_refused_with_reasons_and_changes_nothing(fapi, web_forg, clock):
    client = fapi("grassroots_committee")
    response = client.post("/api/v1/workflows/founding/cases", json={
        "enterprise_unit": web_forg.sao_vang.id, "workers": -1, "members": [{"full_name": ""}],
        "identified_on": "soon"})
    assert response.status_code == 422
    assert {"too_small", "bad_member", "bad_date"} <= set(codes(response))
    assert client.get("/api/v1/cases").get_json()


def test_scoping_across_committees(fapi, web_forg, clock):
    """The other commune's organizer and authority, and a cell with no member listed, do not see the case."""
    case = _start(fapi, web_forg, clock.now.date().isoformat()).get_json()
    for outsider in ("other_organizer", "other_authority", "other_secretary", "far_committee"):
        assert fapi(outsider).get(f"/api/v1/cases/{case['id']}").status_code == 404, outsider
    for insider in ("organizer", "province_organizer", "authority", "grassroots_committee"):
        assert fapi(insider).get(f"/api/v1/cases/{case['id']}").status_code == 200, insider
    # Another committee cannot open a case for an enterprise that is not beneath it.
    response = fapi("other_organizer").post("/api/v1/workflows/founding/cases", json={
        "enterprise_unit": web_forg.sao_vang.id, "workers": 10, "identified_on": clock.now.date().isoformat()})
    assert response.status_code == 403
