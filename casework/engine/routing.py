"""Where work goes: routing targets resolved to units of the organisation tree.

A target names a place relative to the case (its owning cell, its authority; a workflow package adds its own,
such as the committee where a candidate lives);
resolving it gives the unit, and for fan-out targets one entry per place with the people to verify there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key

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
    """The unit's ancestors, nearest first, read in one query from its materialised path (none when the
    session holds them all already, loaded and unexpired: a bulk import reads its units up front)."""
    ids = unit.ancestor_ids[:-1]
    if not ids:
        return []
    held = [session.identity_map.get(identity_key(Unit, i)) for i in ids]
    if all(u is not None and _columns_loaded(u) for u in held):
        return list(reversed(held))
    by_id = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    return [by_id[i] for i in reversed(ids) if i in by_id]


def _columns_loaded(unit: Unit) -> bool:
    """Whether the session holds all of the unit's columns (what a query would have read), not expired."""
    state = sa.inspect(unit)
    return not state.expired and not state.expired_attributes & _unit_columns()


@functools.cache
def _unit_columns() -> frozenset[str]:
    return frozenset(attr.key for attr in sa.inspect(Unit).column_attrs)


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


def _organizer(session: Session, case: Case) -> list[Routed]:
    authority = session.get(Unit, case.authority_unit_id) if case.authority_unit_id else None
    department = organizing_department_of(session, authority) if authority else None
    return _one(department.id if department else None)


Target = Callable[["Session", Case], list[Routed]]

# The places every case has (its units for routing); a workflow package adds its own with ``target``.
TARGETS: dict[str, Target] = {
    "owning_cell": lambda s, c: _one(c.owning_cell_id),
    "grassroots": lambda s, c: _one(c.grassroots_unit_id),
    "authority": lambda s, c: _one(c.authority_unit_id),
    "organizer": _organizer,
}


# Targets that may name several places (one task each), even when a task is routed to them alone.
FAN_OUT_TARGETS: set[str] = set()


def target(name: str, *, fans_out: bool = False) -> Callable[[Target], Target]:
    """Register a routing target under the name definitions use (``routing: <name>``)."""
    def register(fn: Target) -> Target:
        TARGETS[name] = fn
        if fans_out:
            FAN_OUT_TARGETS.add(name)
        return fn

    return register


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
Condition = Callable[["Session", Case], bool]

CONDITIONS: dict[str, Condition] = {
    "has_grassroots_committee": lambda s, c: c.grassroots_unit_id is not None,
}


def condition(name: str) -> Callable[[Condition], Condition]:
    """Register a condition under the name definitions use (``when: <name>``)."""
    def register(fn: Condition) -> Condition:
        CONDITIONS[name] = fn
        return fn

    return register
