"""Version 2's relatives on the pages: the relation picked from the listed ones, and a relative who is a declared
party member exempt from the field check (no verification task for them)."""

from __future__ import annotations

from casework.extensions import db
from casework.models import Case
from tests.engine.test_admission_v2 import V2_DAY
from tests.web.conftest import page, step, text, walker  # noqa: F401  (fixtures)


def test_the_request_form_offers_the_listed_relations_and_records_an_exempt_member(page, walker, web_org,  # noqa: F811
                                                                                   clock):
    clock.set_day(V2_DAY)
    w = walker()
    w.to("dossier")
    w.attach_dossier()
    assert w.case.workflow_version == 2
    secretary = page("cell_secretary")
    form = text(secretary.get(f"/cases/{w.case.id}"))
    assert "Cha đẻ" in form and "Con (đủ năng lực hành vi dân sự)" in form
    members = web_org.members["cell"]
    response = step(secretary, w.case.id, "request_verification", {
        "introducers-0-member_id": str(members[0].id), "introducers-0-known_since": "01/01/2024",
        "introducers-1-member_id": str(members[1].id), "introducers-1-known_since": "01/01/2024",
        "relatives-0-full_name": "Trần Văn Bố", "relatives-0-relation": "father", "relatives-0-party_member": "y",
        "relatives-0-fully_declared": "y", "relatives-0-residence_unit": str(web_org.far_area.id),
        "relatives-1-full_name": "Lê Thị Mẹ", "relatives-1-relation": "mother",
        "relatives-1-residence_unit": str(web_org.far_area.id)})
    assert response.status_code == 302, text(response)[:2000]
    db.session.expire_all()
    case = db.session.get(Case, w.case.id)
    assert case.state == "verification" and case.facts["relatives"][0]["exempt"] is True
    people = [p["full_name"] for t in case.tasks if t.kind == "confirm_background" for p in t.subject["people"]]
    assert "Trần Văn Bố" not in people and "Lê Thị Mẹ" in people
    assert "Trần Văn Bố" in text(secretary.get(f"/cases/{case.id}"))
