"""The history as an object-centric event log (OCEL 2.0, its JSON format), so process-mining tools see how the
workflows interleave: an admission case owned by a residential cell until the founding of a cell in the
candidate's enterprise moves it, say.

Objects: each case (type ``case``), each unit the history touches, typed by its kind (``cell``, ``enterprise``,
committees …), and each case's subject as its workflow's package describes it (``WorkflowFigures.ocel_subjects``:
admission's candidate, related to the enterprise where they work; founding's subject is the enterprise unit itself).
Events: every step of the scope's cases, typed by its trigger, related to its case, its subject, the unit that
acted and the units the step moved the case to. Built in memory: meant for a committee's subtree, not the nation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.localtime import as_utc
from casework.models import Case, Event, Unit
from casework.monitoring import figures as registry
from casework.monitoring import queries
from casework.monitoring.figures import known
from casework.monitoring.scope import Period, Scope

# OCEL 2.0 attribute types by Python value.
_TYPES = ((bool, "boolean"), (int, "integer"), (float, "float"), (datetime, "time"), (str, "string"))
EVENT_ATTRIBUTES = (("workflow", "string"), ("from_state", "string"), ("to_state", "string"),
                    ("actor_role", "string"), ("seq", "integer"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class OcelObject:
    """One object: ``attributes`` name -> value (as of ``since``), ``relationships`` (object id, qualifier)."""

    id: str
    type: str
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: list[tuple[str, str]] = field(default_factory=list)
    since: datetime = _EPOCH


def unit_object_id(unit_id: int) -> str:
    return f"unit:{unit_id}"


def ocel_log(session: Session, *, scope: Scope, period: Period | None = None) -> dict[str, Any]:
    """The scope's cases and their steps (in the period, if one is given) as an OCEL 2.0 JSON document."""
    known()  # the packages' monitoring (their subjects' objects) registers once the workflows are read
    cases = list(session.scalars(sa.select(Case).where(scope.case_filter()).order_by(Case.id)))
    objects: dict[str, OcelObject] = {}
    subjects = _subjects(session, cases, objects)
    for case in cases:
        case_object = OcelObject(f"case:{case.id}", "case", {"workflow": case.workflow, "title": case.title,
                                                             "state": case.state}, since=as_utc(case.created_at))
        case_object.relationships.append((unit_object_id(case.owning_cell_id), "owned by"))
        if case.id in subjects:
            case_object.relationships.append((subjects[case.id], "about"))
        objects[case_object.id] = case_object
    events = [_event(row, subjects) for row in _event_rows(session, [c.id for c in cases], period)]
    _add_units(session, objects, events)
    return _document(objects, events)


def _subjects(session: Session, cases: list[Case], objects: dict[str, OcelObject]) -> dict[int, str]:
    """Each case's subject object id; the packages' objects join ``objects``."""
    by_workflow: dict[str, list[Case]] = {}
    for case in cases:
        by_workflow.setdefault(case.workflow, []).append(case)
    out: dict[int, str] = {}
    for name, of_workflow in by_workflow.items():
        package = registry.REGISTERED.get(name)
        if package is None or package.ocel_subjects is None:
            continue
        described = package.ocel_subjects(session, sorted({c.subject_id for c in of_workflow}))
        for obj in described.values():
            objects.setdefault(obj.id, obj)
        for case in of_workflow:
            if case.subject_id in described:
                out[case.id] = described[case.subject_id].id
    return out


def _event_rows(session: Session, case_ids: list[int], period: Period | None) -> list[sa.Row]:
    if not case_ids:
        return []
    stmt = (sa.select(Event.id, Event.case_id, Event.seq, Event.trigger, Event.occurred_at, Event.from_state,
                      Event.to_state, Event.actor_role, Event.actor_unit_id, Event.changes, Case.workflow)
            .join(Case, Case.id == Event.case_id).where(Event.case_id.in_(case_ids)).order_by(Event.occurred_at,
                                                                                              Event.id))
    if period is not None:
        stmt = stmt.where(queries._within(Event.occurred_at, period))
    return list(session.execute(stmt))


def _event(row, subjects: dict[int, str]) -> dict[str, Any]:
    relationships = [(f"case:{row.case_id}", "case")]
    if row.case_id in subjects:
        relationships.append((subjects[row.case_id], "subject"))
    if row.actor_unit_id is not None:
        relationships.append((unit_object_id(row.actor_unit_id), "actor unit"))
    for column, unit_id in sorted(((row.changes or {}).get("units") or {}).items()):
        if unit_id is not None:
            relationships.append((unit_object_id(unit_id), f"moved to ({column.removesuffix('_id')})"))
    attributes = {"workflow": row.workflow, "from_state": row.from_state or "", "to_state": row.to_state,
                  "actor_role": row.actor_role or "", "seq": row.seq}
    return {"id": f"event:{row.id}", "type": row.trigger, "time": _time(row.occurred_at),
            "attributes": [{"name": k, "value": v} for k, v in attributes.items()],
            "relationships": _relationships(relationships)}


def _add_units(session: Session, objects: dict[str, OcelObject], events: list[dict[str, Any]]) -> None:
    """Every unit an object or an event names, as an object typed by its kind (with its parent, when named)."""
    wanted = {rid for obj in objects.values() for rid, _q in obj.relationships}
    wanted |= {r["objectId"] for event in events for r in event["relationships"]}
    ids = sorted(int(rid.split(":", 1)[1]) for rid in wanted if rid.startswith("unit:") and rid not in objects)
    for unit in session.scalars(sa.select(Unit).where(Unit.id.in_(ids))) if ids else []:
        objects[unit_object_id(unit.id)] = OcelObject(unit_object_id(unit.id), unit.kind, {"name": unit.name,
                                                                                           "code": unit.code},
                                                      since=as_utc(unit.created_at))


def _document(objects: dict[str, OcelObject], events: list[dict[str, Any]]) -> dict[str, Any]:
    object_types: dict[str, dict[str, str]] = {}
    for obj in objects.values():
        object_types.setdefault(obj.type, {}).update({k: _type(v) for k, v in obj.attributes.items()})
    event_types = sorted({e["type"] for e in events})
    return {
        "objectTypes": [{"name": name, "attributes": [{"name": k, "type": t} for k, t in sorted(attrs.items())]}
                        for name, attrs in sorted(object_types.items())],
        "eventTypes": [{"name": name, "attributes": [{"name": k, "type": t} for k, t in EVENT_ATTRIBUTES]}
                       for name in event_types],
        "objects": [{"id": obj.id, "type": obj.type,
                     "attributes": [{"name": k, "value": v, "time": _time(obj.since)}
                                    for k, v in obj.attributes.items()],
                     "relationships": _relationships([r for r in obj.relationships if r[0] in objects])}
                    for obj in objects.values()],
        "events": events,
    }


def _relationships(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"objectId": object_id, "qualifier": qualifier} for object_id, qualifier in dict.fromkeys(pairs)]


def _type(value: Any) -> str:
    return next((name for kind, name in _TYPES if isinstance(value, kind)), "string")


def _time(moment: datetime) -> str:
    return as_utc(moment).isoformat()
