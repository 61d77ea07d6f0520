"""The workflow definition, the organisation tree and the member register, as the API shows them."""

from casework.engine import Engine
from tests.engine.versions import V2_FROM, two_versions

STATES = {"referred", "sympathiser", "in_course", "dossier", "verification", "cell_review", "grassroots_review",
          "authority_review", "admitted", "probation", "recognition_review", "official_member", "declined",
          "rejected", "withdrawn", "removed"}
ROLES = {"union_officer", "youth_officer", "women_officer", "cell_secretary", "residential_committee",
         "grassroots_committee", "authority", "organizer"}


def test_the_workflow_lists_states_transitions_fields_and_roles(api):
    body = api("union_officer").get("/api/v1/workflows/admission").get_json()
    assert {s["name"] for s in body["states"]} == STATES
    assert {s["name"] for s in body["states"] if s["terminal"]} == {"official_member", "declined", "rejected",
                                                                   "withdrawn", "removed"}
    assert set(body["roles"]) >= ROLES
    refer = next(t for t in body["transitions"] if t["trigger"] == "refer")
    fields = {f["name"]: f for f in refer["fields"]}
    assert fields["national_id"]["type"] == "string" and fields["national_id"]["required"] is True
    assert fields["position"]["required"] is False
    assert fields["birth_date"]["type"] == "date"
    assert fields["source"]["choices"] == ["trade_union", "youth_union", "women_union", "party_member"]
    vote = next(t for t in body["transitions"] if t["trigger"] == "record_cell_vote")
    assert "cell_vote_threshold_reached" in vote["guards"]
    assert {d["state"] for d in vote["to"]} == {"grassroots_review", "authority_review"}


def test_an_unknown_workflow_is_a_json_404(api):
    response = api("union_officer").get("/api/v1/workflows/nothing")
    assert response.status_code == 404 and response.get_json()["error"]


def _reason(response) -> dict:
    return response.get_json()["reasons"][0]


def test_a_version_of_the_workflow_is_asked_for_with_version(app, api, tmp_path, clock):
    app.extensions["casework_engine"] = Engine.from_directory(two_versions(tmp_path), clock=clock)
    client = api("union_officer")
    current = client.get("/api/v1/workflows/admission").get_json()
    assert (current["version"], current["effective_from"]) == (1, None)
    v2 = client.get("/api/v1/workflows/admission?version=2").get_json()
    assert (v2["version"], v2["effective_from"]) == (2, "2026-12-01")
    assert "return_referral" in {t["trigger"] for t in v2["transitions"]}
    clock.set_day(V2_FROM)
    assert client.get("/api/v1/workflows/admission").get_json()["version"] == 2
    assert client.get("/api/v1/workflows/admission?version=1").get_json()["version"] == 1


def test_an_unknown_or_bad_version_is_refused_with_a_reason(api):
    client = api("union_officer")
    missing = client.get("/api/v1/workflows/admission?version=7")
    assert missing.status_code == 404
    assert _reason(missing)["code"] == "unknown_workflow_version" and _reason(missing)["params"]["version"] == 7
    assert _reason(client.get("/api/v1/workflows/nothing"))["code"] == "unknown_workflow"
    for bad in ("0", "two", "1.5", "99999999999"):
        response = client.get(f"/api/v1/workflows/admission?version={bad}")
        assert response.status_code == 422, bad
        assert _reason(response)["code"] == "bad_parameter" and _reason(response)["params"]["parameter"] == "version"


def test_units_form_a_tree_with_their_attributes(api, web_org):
    units = {u["id"]: u for u in api("union_officer").get("/api/v1/units").get_json()["units"]}
    cell = units[web_org.cell.id]
    assert cell["kind"] == "cell" and cell["cell_type"] == "workplace"
    assert cell["parent_id"] == web_org.grassroots.id
    enterprise = units[web_org.enterprise.id]
    assert enterprise["assigned_cell_id"] == web_org.cell.id and enterprise["ownership"] == "domestic_private"
    assert units[web_org.commune.id]["admits_members"] is True


def test_the_member_register_is_shown_within_the_lineage(api, web_org):
    url = f"/api/v1/units/{web_org.cell.id}/members"
    own = api("cell_secretary").get(url)
    assert own.status_code == 200
    members = own.get_json()["members"]
    assert len(members) == 6 and {m["status"] for m in members} == {"official", "probationary"}
    assert api("organizer").get(url).status_code == 200  # the commune is an ancestor of the cell
    assert api("province_organizer").get(url).status_code == 200


def test_the_register_outside_the_lineage_looks_missing(api, web_org):
    outsider = api("other_secretary")
    hidden = outsider.get(f"/api/v1/units/{web_org.cell.id}/members")
    missing = outsider.get("/api/v1/units/999999/members")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    assert api("other_organizer").get(f"/api/v1/units/{web_org.cell.id}/members").status_code == 404


def test_vietnamese_text_is_sent_as_written_not_escaped(api, web_org):
    response = api("cell_secretary").get("/api/v1/units")
    assert "Chi bộ".encode() in response.data
    assert b"\\u" not in response.data
