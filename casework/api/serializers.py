"""How cases, tasks, units and workflows look in JSON. Dates are ISO (YYYY-MM-DD)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from casework.engine.definition import FieldDef, TransitionDef, WorkflowDef
from casework.engine.packages import PACKAGES
from casework.engine.service import Action
from casework.models import Case, Event, PartyMember, Task, Unit, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def unit_json(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "parent_id": unit.parent_id, "kind": unit.kind, "name": unit.name, "code": unit.code,
            "cell_type": unit.cell_type, "ownership": unit.ownership, "industrial_zone": unit.industrial_zone,
            "has_party_org": unit.has_party_org, "assigned_cell_id": unit.assigned_cell_id,
            "admits_members": unit.admits_members, "organizing_department": unit.organizing_department}


def member_json(member: PartyMember) -> dict[str, Any]:
    return {"id": member.id, "cell_id": member.cell_id, "full_name": member.full_name,
            "status": member.status, "member_since": iso(member.member_since),
            "official_since": iso(member.official_since), "excluded_from_votes": member.excluded_from_votes}


def task_json(task: Task, today: date) -> dict[str, Any]:
    return {"id": task.id, "case_id": task.case_id, "kind": task.kind, "state": task.state, "role": task.role,
            "unit": {"id": task.unit_id, "name": task.unit.name}, "status": task.status, "subject": task.subject,
            "due_date": iso(task.due_date), "overdue": task.is_overdue(today),
            "completed_at": task.completed_at.isoformat() if task.completed_at else None}


def event_json(event: Event, usernames: dict[int, str]) -> dict[str, Any]:
    """One event of the history; ``usernames`` holds its actor's (``actor_usernames``)."""
    return {"seq": event.seq, "trigger": event.trigger, "from_state": event.from_state, "to_state": event.to_state,
            "actor": usernames.get(event.actor_id) if event.actor_id else None, "actor_role": event.actor_role,
            "actor_unit_id": event.actor_unit_id, "task_id": event.task_id,
            "occurred_at": event.occurred_at.isoformat(), "data": event.data, "flags": event.flags}


def case_json(case: Case, *, actions: list[Action], today: date, restricted: bool,
              viewer: User | None = None, key_dates: Iterable[str] = ()) -> dict[str, Any]:
    """The full case; ``restricted`` (the viewer sees the case only through tasks marked ``view: task``, as a
    residential committee verifying) keeps to what those tasks need: the viewer's own open tasks, not those (and
    the people named in them) of other places. ``key_dates`` are the dates the case's definition declares: each
    is in ``dates``, null until reached. The subject (an admission case's ``candidate``) is as the workflow's
    package gives it (``WorkflowPackage.subject_json``)."""
    package = PACKAGES.get(case.workflow)
    subject = package.subject_json(case, restricted) if package and package.subject_json else None
    body: dict[str, Any] = {"id": case.id, "workflow": case.workflow, "workflow_version": case.workflow_version,
                            "state": case.state, "stage": case.stage, "version": case.version, "title": case.title,
                            "owning_cell": {"id": case.owning_cell_id, "name": case.owning_cell.name},
                            "actions": [a.as_dict() for a in actions]}
    if subject is not None:
        body[subject[0]] = subject[1]
    if restricted:
        # Restricted: every task the viewer holds on the case is one they see alone (``view: task``).
        body["tasks"] = [task_json(t, today) for t in case.tasks
                         if t.is_open and viewer is not None and viewer.holds(t.role, t.unit_id)]
        return body
    body.update({
        "source": case.source, "referring_org_id": case.referring_org_id,
        "grassroots_unit_id": case.grassroots_unit_id, "authority_unit_id": case.authority_unit_id,
        "opened_on": iso(case.opened_on), "closed_on": iso(case.closed_on),
        "dates": {name: iso(case.date(name)) for name in dict.fromkeys([*key_dates, *(case.dates or {})])},
        "facts": case.facts,
        "tasks": [task_json(t, today) for t in case.tasks if t.is_open],
        "documents": [{"id": d.id, "form_code": d.form_code, "filename": d.filename, "size": d.size,
                       "content_type": d.content_type} for d in _documents(case)],
        "history": _history(case),
    })
    return body


def _history(case: Case) -> list[dict[str, Any]]:
    events = case.events
    usernames = actor_usernames(object_session(case), events)
    return [event_json(e, usernames) for e in events]


def actor_usernames(session: Session, events: Iterable[Event]) -> dict[int, str]:
    """The username of every actor of ``events``, in one query: a history read actor by actor would load each
    person, and their roles with them, one after another."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _documents(case: Case):
    from casework.models import Document

    session = object_session(case)
    return session.query(Document).filter(Document.case_id == case.id).order_by(Document.id).all()


def field_json(field: FieldDef) -> dict[str, Any]:
    out: dict[str, Any] = {"name": field.name, "type": field.type, "required": field.required, "label": field.label}
    for key in ("choices", "unit_kinds"):
        if getattr(field, key):
            out[key] = list(getattr(field, key))
    for key in ("min", "max_length", "form_code", "pattern"):
        if getattr(field, key) is not None:
            out[key] = getattr(field, key)
    return out


def transition_json(t: TransitionDef) -> dict[str, Any]:
    return {"trigger": t.trigger, "label": t.label, "from": list(t.sources), "stage": t.stage,
            "to": [{"state": d.state, "when": d.when} for d in t.destinations],
            "task": t.task_kind,
            "actors": "task" if t.actor_is_task else [{"role": a.role, "routing": a.routing} for a in t.actors],
            "fields": [field_json(f) for f in t.fields], "guards": [g.name for g in t.guards]}


def workflow_json(wf: WorkflowDef) -> dict[str, Any]:
    roles = sorted({a.role for t in wf.transitions for a in t.actors}
                   | {task.role for s in wf.states.values() for task in s.tasks})
    return {
        "name": wf.name, "version": wf.version, "label": wf.label, "initial": wf.initial, "start": wf.start,
        "effective_from": wf.effective_from.isoformat() if wf.effective_from else None,
        "states": [{"name": s.name, "label": s.label, "terminal": s.terminal, "stages": list(s.stages),
                    "tasks": [{"kind": t.kind, "role": t.role, "routing": list(t.routing), "stage": t.stage}
                              for t in s.tasks]} for s in wf.states.values()],
        "transitions": [transition_json(t) for t in wf.transitions],
        "roles": roles,
    }
