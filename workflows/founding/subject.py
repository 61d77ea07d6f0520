"""How a founding case starts: its subject, the enterprise (a unit of the tree), and the units it is routed to —
the founding committee (the directly-higher committee of the enterprise: the industrial-zone committee for a zone
enterprise, otherwise the commune or ward committee where it is) and the authority that decides."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from casework.engine.errors import Invalid
from casework.engine.reasons import Reason
from casework.engine.routing import ancestors, authority_of
from casework.models import Case, Unit
from workflows.founding.committees import COMMITTEE_KINDS, set_committee_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import WorkflowDef
    from casework.models import User

def founding_committee_of(session: Session, enterprise: Unit) -> Unit | None:
    """The committee an administrator set for the enterprise or a unit above it (``committees``: the nearest
    setting), else the nearest committee above the enterprise: where the tree places a zone enterprise (the zone's
    committee) or any other (its commune or ward committee). Moving the enterprise in the tree moves it too."""
    return set_committee_of(session, enterprise) \
        or next((u for u in ancestors(session, enterprise) if u.kind in COMMITTEE_KINDS), None)


def deciding_authority_of(session: Session, committee: Unit) -> Unit | None:
    """The committee itself when it admits members (a ward committee), else the nearest one above that does."""
    return committee if committee.admits_members else authority_of(session, committee)


def open_case(session: Session, wf: WorkflowDef, values: dict[str, Any], today: date, now: datetime) -> Case:
    """The new case (unsaved) for the enterprise, owned by its founding committee."""
    enterprise = session.get(Unit, values["enterprise_unit"])
    committee = founding_committee_of(session, enterprise)
    if committee is None:
        raise Invalid("no founding committee", [Reason(
            "no_founding_committee", f"{enterprise.name} không thuộc đảng ủy nào có thể thành lập tổ chức đảng.",
            f"{enterprise.name} lies under no committee that could found a party organisation.",
            {"unit_id": enterprise.id})])
    authority = deciding_authority_of(session, committee)
    return Case(workflow=wf.name, workflow_version=wf.version, subject_id=enterprise.id, state=wf.initial,
                stage=None, state_seq=1, source="survey", owning_cell_id=committee.id, grassroots_unit_id=committee.id,
                authority_unit_id=authority.id if authority else None, subject_key=str(enterprise.id),
                title=enterprise.name, opened_on=today, facts={}, dates={}, created_at=now, updated_at=now,
                state_entered_at=now)


def subject_json(case: Case, restricted: bool) -> tuple[str, dict[str, Any]] | None:
    """The case JSON's ``enterprise``: its name for a member cell answering a transfer (``restricted``), its
    ownership, zone and whether it has a party organisation for everyone else."""
    enterprise = case.enterprise
    if enterprise is None:
        return None
    body: dict[str, Any] = {"unit_id": enterprise.id, "name": enterprise.name}
    if not restricted:
        body.update({"ownership": enterprise.ownership, "industrial_zone": enterprise.industrial_zone,
                     "has_party_org": enterprise.has_party_org, "assigned_cell_id": enterprise.assigned_cell_id})
    return "enterprise", body


def form_defaults(session: Session, user: User) -> dict[str, Any]:
    """The start form fills in nothing from the person's role: the enterprise is chosen from the list."""
    return {}
