"""Where the admission workflow sends work beyond the case's own units: the committees where the candidate and
each relative live (background verification), and the organisation that referred the candidate."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from casework.engine.packages import ListedPerson
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


@target("relative_committee", fans_out=True)
def relative_committees(session: Session, case: Case) -> list[Routed]:
    """Version 2 (06-HD/TW §3.4a): as ``relative_residence_committee``, but a relative exempt from the field check
    (a party member who declared everything) gets no task, and one who names a workplace is verified there too
    (the party unit responsible for it: the cell assigned to an enterprise, else the party unit above it)."""
    checked = [r for r in case.facts.get("relatives") or [] if not r.get("exempt")]
    routed = relative_residence_committees(session, _RelativesOnly(case, checked)) if checked else []
    for relative in checked:
        workplace = session.get(Unit, relative["workplace_unit"]) if relative.get("workplace_unit") else None
        if workplace is None:
            continue
        committee = session.get(Unit, workplace.assigned_cell_id) if workplace.assigned_cell_id else None
        committee = committee or party_unit_for_place(session, workplace)
        if committee is not None:
            person = {k: relative[k] for k in ("full_name", "relation") if k in relative}
            person["workplace_unit"] = workplace.id
            routed.append(Routed(committee.id, subject={"people": [person]}))
    return routed


class _RelativesOnly:
    """The case as ``relative_residence_committees`` reads it, with only the relatives to verify."""

    def __init__(self, case: Case, relatives: list[dict]):
        self.facts = {"relatives": relatives}
        self.authority_unit_id = case.authority_unit_id


def task_people(subject: dict[str, Any]) -> list[ListedPerson]:
    """The people a verification task lists, as the targets above write them: the candidate or a relative (their
    relation), the candidate's birth date, where they live or work (units), or the country a relative lives in."""
    people = []
    for entry in subject.get("people") or []:
        relation = entry.get("relation")
        born = entry.get("birth_date")
        places = tuple(entry[key] for key in ("residence_unit", "workplace_unit") if entry.get(key))
        people.append(ListedPerson(
            full_name=entry.get("full_name", ""),
            relation=_("the candidate") if relation == "candidate" else relation or None,
            birth_date=date.fromisoformat(born) if born else None, places=places,
            note=f'{_("abroad")} {entry.get("country", "")}'.strip() if entry.get("abroad") else None))
    return people
