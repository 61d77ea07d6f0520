"""Who is on a task, and acting for an absent colleague, in the JSON API: thin faces over
``casework.engine.claims`` and ``casework.engine.delegation`` (the rules, and their refusals as reasons, are
theirs). A task outside the caller's scope answers 404, as if it did not exist."""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields as f

from casework.api import bp
from casework.api.openapi import errors
from casework.api.schemas import DATE, Id, refusal
from casework.engine import Engine, NotFound
from casework.engine import claims as rules
from casework.engine import delegation as delegations
from casework.engine.scope import can_view
from casework.extensions import db
from casework.models import Delegation, Task, User


def _engine() -> Engine:
    return current_app.extensions["casework_engine"]


def _caller() -> User:
    from casework.api.routes import caller

    return caller()


class IsoDay(f.String):
    """A calendar day as ISO text (2026-11-30); anything else is a bad_date reason naming the field."""

    def __init__(self, **kwargs):
        super().__init__(required=True, metadata={**DATE, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise _bad(self.name, value)


def _bad(name: str, value: Any) -> ma.ValidationError:
    return refusal("bad_date", f"{name}: phải là ngày dạng YYYY-MM-DD", f"{name}: must be a date as YYYY-MM-DD",
                  field=name, value=value)


class AssignIn(ma.Schema):
    assignee_id = Id(required=True, metadata={"description": "a colleague holding the task's role at its unit"})


class DelegationIn(ma.Schema):
    delegate_id = Id(required=True, metadata={"description": "the person who acts for the caller"})
    unit_id = Id(required=True, metadata={"description": "a unit where the caller holds a role"})
    starts_on = IsoDay(metadata={"description": "the first day the delegate acts"})
    ends_on = IsoDay(metadata={"description": "the last day the delegate acts (included)"})


class PersonRef(ma.Schema):
    id = f.Integer(required=True)
    full_name = f.String(required=True)


class ClaimOut(ma.Schema):
    task_id = f.Integer(required=True)
    status = f.String(required=True)
    claimed_by = f.Nested(PersonRef, required=True, allow_none=True,
                          metadata={"description": "who is on it; null: anyone holding its role at its unit"})
    claimed_at = f.String(required=True, allow_none=True, metadata={"description": "ISO date and time"})


class DelegationOut(ma.Schema):
    id = f.Integer(required=True)
    delegator = f.Nested(PersonRef, required=True)
    delegate = f.Nested(PersonRef, required=True)
    unit_id = f.Integer(required=True)
    starts_on = f.String(required=True, metadata=DATE)
    ends_on = f.String(required=True, metadata=DATE)
    in_force = f.Boolean(required=True, metadata={"description": "whether the delegate acts today"})


class DelegationsOut(ma.Schema):
    delegations = f.List(f.Nested(DelegationOut), required=True)


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "full_name": user.full_name} if user else None


def _claim_json(task: Task) -> dict[str, Any]:
    return {"task_id": task.id, "status": task.status, "claimed_by": _person(task.claimed_by),
            "claimed_at": task.claimed_at.isoformat() if task.claimed_at else None}


def _delegation_json(d: Delegation, today: date) -> dict[str, Any]:
    return {"id": d.id, "delegator": _person(d.delegator), "delegate": _person(d.delegate), "unit_id": d.unit_id,
            "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(), "in_force": d.covers(today)}


def _task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not can_view(db.session, _caller(), task.case_id):
        raise NotFound("no such task")
    return task


@bp.post("/tasks/<id:task_id>/claim")
@bp.response(200, ClaimOut)
@errors(401, 403, 404, 409, 415, 422)
def claim_task(task_id: int):
    """Take an open task nobody has taken: colleagues holding its role see that you are on it, and only you (or
    your delegate) complete it."""
    task = rules.claim(session=db.session, engine=_engine(), task=_task(task_id), user=_caller())
    return _claim_json(task)


@bp.post("/tasks/<id:task_id>/release")
@bp.response(200, ClaimOut)
@errors(401, 403, 404, 409, 415, 422)
def release_task(task_id: int):
    """Give a task back: its claimant, or an administrator of its unit or above."""
    task = rules.release(session=db.session, engine=_engine(), task=_task(task_id), user=_caller())
    return _claim_json(task)


@bp.post("/tasks/<id:task_id>/assign")
@bp.arguments(AssignIn)
@bp.response(200, ClaimOut)
@errors(400, 401, 403, 404, 409, 415, 422)
def assign_task(body: dict[str, Any], task_id: int):
    """Hand a task to a colleague holding its role at its unit (a task someone else holds: administrators only)."""
    task = rules.assign(session=db.session, engine=_engine(), task=_task(task_id), user=_caller(),
                        assignee_id=body["assignee_id"])
    return _claim_json(task)


@bp.get("/delegations")
@bp.response(200, DelegationsOut)
@errors(401)
def list_delegations():
    """The delegations the caller gave or received that have not ended."""
    today = _engine().today()
    return {"delegations": [_delegation_json(d, today)
                            for d in delegations.delegations_of(db.session, _caller(), today)]}


@bp.post("/delegations")
@bp.arguments(DelegationIn)
@bp.response(201, DelegationOut)
@errors(400, 401, 403, 415, 422)
def create_delegation(body: dict[str, Any]):
    """Name a delegate who acts with the caller's roles at one unit from ``starts_on`` to ``ends_on`` included
    (at most 366 days); the history then names both."""
    made = delegations.delegate(session=db.session, engine=_engine(), delegator=_caller(),
                                delegate_id=body["delegate_id"], unit_id=body["unit_id"],
                                starts_on=body["starts_on"], ends_on=body["ends_on"])
    return _delegation_json(made, _engine().today()), 201
