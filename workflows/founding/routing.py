"""Where the founding workflow sends work beyond the case's own units: its founding committee, and the cell each
listed party member attends today (one transfer task per cell, listing its members)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.engine.routing import Routed, target
from casework.models import Case, PartyMember, Unit
from workflows.founding.organisation import administrator_unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@target("founding_committee")
def founding_committee(session: Session, case: Case) -> list[Routed]:
    """The committee that owns the case (workflows/founding/subject.py put it in the case's owning unit)."""
    return [Routed(case.owning_cell_id)]


@target("member_cell", fans_out=True)
def member_cells(session: Session, case: Case) -> list[Routed]:
    """Each cell a listed member attends; ``resolve`` merges the members of one cell into one task."""
    routed = []
    for member in case.facts.get("members") or []:
        person = {k: member[k] for k in ("full_name", "member_id", "status") if k in member}
        routed.append(Routed(member["current_cell"], subject={"people": [person]}))
    return routed


@target("secretary_administrator")
def secretary_administrator(session: Session, case: Case) -> list[Routed]:
    """The administrator who gives the interim secretary an account and the role, when the decision found none."""
    if case.facts.get("interim_secretary_role") != "administrator_task":
        return []
    cell = session.get(Unit, case.facts["founded_cell_id"])
    member = session.get(PartyMember, case.facts["interim_secretary"])
    person = {"full_name": member.full_name, "member_id": member.id}
    return [Routed(administrator_unit(session, cell), subject={"people": [person], "cell": cell.id,
                                                               "cell_name": cell.name})]
