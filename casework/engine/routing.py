"""Where work goes: routing targets resolved to units of the organisation tree.

A target names a place relative to the case (its owning cell, the committee where the candidate lives…);
resolving it gives the unit, and for fan-out targets one entry per place with the people to verify there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.models import Case, Unit, UnitKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class Routed:
    """One place a task goes to. ``role`` overrides the task's role (relatives abroad go to the authority)."""

    unit_id: int
    role: str | None = None
    subject: dict = field(default_factory=dict)


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The unit's ancestors, nearest first, read in one query from its materialised path."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    by_id = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    return [by_id[i] for i in reversed(ids) if i in by_id]


def party_unit_for_place(session: Session, unit: Unit) -> Unit | None:
    """The party organisation responsible for a place: the unit itself if it is one, else the nearest
    party unit above it (a residential area's cell, or its commune committee when it has no cell)."""
    if unit.is_party_unit():
        return unit
    return next((u for u in ancestors(session, unit) if u.is_party_unit()), None)


def grassroots_of(session: Session, cell: Unit) -> Unit | None:
    """The committee between the cell and the authority; none when the cell reports to the authority."""
    parent = session.get(Unit, cell.parent_id) if cell.parent_id else None
    if parent is not None and parent.kind == UnitKind.GRASSROOTS_COMMITTEE and not parent.admits_members:
        return parent
    return None


def authority_of(session: Session, cell: Unit) -> Unit | None:
    """The nearest unit above the cell that admits members (cấp ủy có thẩm quyền)."""
    return next((u for u in ancestors(session, cell) if u.admits_members), None)


def organizing_department_of(session: Session, unit: Unit) -> Unit | None:
    """The organizing department that serves an authority: its own, or the nearest one above."""
    if unit.organizing_department:
        return unit
    return next((u for u in ancestors(session, unit) if u.organizing_department), None)


def _one(unit_id: int | None) -> list[Routed]:
    return [Routed(unit_id)] if unit_id is not None else []


def _residence_committee(session: Session, case: Case) -> list[Routed]:
    candidate = case.candidate
    place = session.get(Unit, candidate.residence_unit_id)
    committee = party_unit_for_place(session, place) if place else None
    if committee is None:
        return []
    person = {"full_name": candidate.full_name, "relation": "candidate", "birth_date": candidate.birth_date.isoformat(),
              "residence_unit": place.id}
    return [Routed(committee.id, subject={"people": [person]})]


def _relative_residence_committees(session: Session, case: Case) -> list[Routed]:
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


def _organizer(session: Session, case: Case) -> list[Routed]:
    authority = session.get(Unit, case.authority_unit_id) if case.authority_unit_id else None
    department = organizing_department_of(session, authority) if authority else None
    return _one(department.id if department else None)


TARGETS: dict[str, Callable[[Session, Case], list[Routed]]] = {
    "owning_cell": lambda s, c: _one(c.owning_cell_id),
    "grassroots": lambda s, c: _one(c.grassroots_unit_id),
    "authority": lambda s, c: _one(c.authority_unit_id),
    "referring_org": lambda s, c: _one(c.referring_org_id),
    "organizer": _organizer,
    "residence_committee": _residence_committee,
    "relative_residence_committee": _relative_residence_committees,
}


def resolve(session: Session, case: Case, targets: tuple[str, ...], role: str) -> list[Routed]:
    """Every place the targets name, merged so one place (and role) gets one task listing everyone."""
    merged: dict[tuple[int, str], Routed] = {}
    for target in targets:
        for routed in TARGETS[target](session, case):
            key = (routed.unit_id, routed.role or role)
            if key in merged:
                merged[key].subject.setdefault("people", []).extend(routed.subject.get("people", []))
            else:
                merged[key] = Routed(routed.unit_id, routed.role, {**routed.subject})
    return list(merged.values())


def resolve_unit(session: Session, case: Case, target: str) -> int | None:
    """The single unit a non-fan-out target names (None when the case has no such place)."""
    routed = TARGETS[target](session, case)
    return routed[0].unit_id if routed else None


# Conditions choosing between destinations of one trigger.
CONDITIONS: dict[str, Callable[[Session, Case], bool]] = {
    "has_grassroots_committee": lambda s, c: c.grassroots_unit_id is not None,
}
