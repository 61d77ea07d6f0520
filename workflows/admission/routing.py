"""Where the admission workflow sends work beyond the case's own units: the committees where the candidate and
each relative live (background verification), and the organisation that referred the candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.engine.routing import Routed, party_unit_for_place, target
from casework.models import Case, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@target("referring_org")
def referring_org(session: Session, case: Case) -> list[Routed]:
    return [Routed(case.referring_org_id)] if case.referring_org_id is not None else []


@target("residence_committee")
def residence_committee(session: Session, case: Case) -> list[Routed]:
    candidate = case.candidate
    place = session.get(Unit, candidate.residence_unit_id)
    committee = party_unit_for_place(session, place) if place else None
    if committee is None:
        return []
    person = {"full_name": candidate.full_name, "relation": "candidate", "birth_date": candidate.birth_date.isoformat(),
              "residence_unit": place.id}
    return [Routed(committee.id, subject={"people": [person]})]


@target("relative_residence_committee", fans_out=True)
def relative_residence_committees(session: Session, case: Case) -> list[Routed]:
    routed: list[Routed] = []
    for relative in case.facts.get("relatives") or []:
        person = {k: relative[k] for k in ("full_name", "relation") if k in relative}
        if relative.get("abroad"):
            person["abroad"] = True
            person["country"] = relative.get("country", "")
            if case.authority_unit_id is not None:
                routed.append(Routed(case.authority_unit_id, role="authority", subject={"people": [person]}))
            continue
        place = session.get(Unit, relative["residence_unit"])
        committee = party_unit_for_place(session, place) if place else None
        if committee is not None:
            person["residence_unit"] = place.id
            routed.append(Routed(committee.id, subject={"people": [person]}))
    return routed
