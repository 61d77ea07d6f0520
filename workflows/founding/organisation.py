"""What the founding decision does to the rest of the system, in the decision's own transaction (a failure in any
part refuses the decision and leaves everything as it was): the new cell under the unit it reports to, linked to
the enterprise, which now has a party organisation; the interim secretary's role (or the administrator's task to
give it, when the member has no account); the transferred members' register rows; and every open admission case
of a worker of the enterprise, moved to the new cell by admission's ``transfer_case`` step."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from casework.engine.context import StepContext
from casework.engine.races import lock_case
from casework.engine.step import take_step
from casework.models import (
    Case,
    CellType,
    PartyMember,
    Role,
    RoleAssignment,
    Task,
    TaskStatus,
    Unit,
    UnitKind,
    User,
)
from casework.models.base import utcnow
from workflows.admission.models import Candidate

ADMISSION = "admission"
# The administrator's task when the interim secretary has no account to hold the role.
SECRETARY_TASK = "assign_interim_secretary"


def found(ctx: StepContext) -> dict[str, Any]:
    """Do it all; answer what the case's history records of it."""
    enterprise = ctx.case.enterprise
    cell = _new_cell(ctx, enterprise)
    enterprise.has_party_org = True
    enterprise.assigned_cell_id = cell.id  # admission's new cases of its workers now go to the new cell
    moved = _move_register(ctx, cell)
    secretary = _interim_secretary(ctx, cell)
    transferred = _transfer_admission_cases(ctx, enterprise, cell)
    return {"founded_cell_id": cell.id, "moved_members": moved, "interim_secretary_role": secretary,
            "transferred_cases": transferred}


def _new_cell(ctx: StepContext, enterprise: Unit) -> Unit:
    """A workplace cell under the unit the proposal named, with a code derived from the enterprise's."""
    parent = ctx.session.get(Unit, ctx.case.facts["reports_to"])
    code = f"{enterprise.code}-CB"
    taken = set(ctx.session.scalars(sa.select(Unit.code).where(Unit.code.startswith(code))))
    n = 1
    while code in taken:
        n += 1
        code = f"{enterprise.code}-CB{n}"
    cell = Unit(kind=UnitKind.CELL, cell_type=CellType.WORKPLACE, name=ctx.data["cell_name"], code=code,
                parent_id=parent.id, path="")
    ctx.session.add(cell)
    ctx.session.flush()  # its id makes its path
    cell.path = f"{parent.path}{cell.id}/"
    return cell


def _move_register(ctx: StepContext, cell: Unit) -> list[dict[str, Any]]:
    """The transferred members' rows move to the new cell; their admission and official dates stay."""
    moved = []
    for person in ctx.case.facts.get("transferred_members") or []:
        member = ctx.session.get(PartyMember, person["member_id"]) if person.get("member_id") else None
        if member is None:
            continue  # a member not in this system's register: nothing to move
        moved.append({"member_id": member.id, "from_cell": member.cell_id,
                      "transfer_date": person.get("transfer_date")})
        member.cell_id = cell.id
    return moved


def _interim_secretary(ctx: StepContext, cell: Unit) -> str:
    """The cell secretary's role for the interim secretary's account; without one, the administrator's task (the
    decision's ``creates:``, routed by ``secretary_administrator`` once the history says it is needed)."""
    member = ctx.session.get(PartyMember, ctx.case.facts["interim_secretary"])
    user = ctx.session.get(User, member.user_id) if member.user_id else None
    if user is not None:
        user.roles.append(RoleAssignment(user_id=user.id, unit_id=cell.id, role=Role.CELL_SECRETARY))
        return "granted"
    return "administrator_task"


def administrator_unit(session: Session, cell: Unit) -> int:
    """The nearest unit above the cell where someone administers accounts (the root, failing that)."""
    ids = cell.ancestor_ids[:-1]
    held = set(session.scalars(sa.select(RoleAssignment.unit_id).where(RoleAssignment.role == Role.ADMIN,
                                                                       RoleAssignment.unit_id.in_(ids))))
    return next((i for i in reversed(ids) if i in held), ids[0])


def _transfer_admission_cases(ctx: StepContext, enterprise: Unit, cell: Unit) -> list[int]:
    """Each open admission case of a worker of the enterprise takes admission's ``transfer_case`` step to the new
    cell, as the deciding authority, in this transaction (its history records it; its tasks follow)."""
    query = (sa.select(Case).join(Candidate, Candidate.id == Case.subject_id)
             .where(Case.workflow == ADMISSION, Case.closed_on.is_(None), Candidate.workplace_unit_id == enterprise.id,
                    Case.owning_cell_id != cell.id).order_by(Case.id))
    moved = []
    for case in ctx.session.scalars(query).unique().all():
        lock_case(ctx.session, case)
        wf = ctx.engine.definition_of(case)
        tdef = next(t for t in wf.transitions if t.trigger == "transfer_case")
        step = StepContext(session=ctx.session, workflow=wf, transition=tdef, case=case, user=ctx.user,
                           rules=ctx.rules, today=ctx.today,
                           data={"to_cell": cell.id, "reason": f"{ctx.data['decision_number']}: {cell.name}"})
        take_step(ctx.session, ctx.engine, step, ("authority", ctx.case.authority_unit_id))
        moved.append(case.id)
    return moved


@event.listens_for(Session, "before_flush")
def _close_secretary_tasks(session: Session, flush_context, instances) -> None:
    """The administrator's task is done once someone holds the cell secretary's role for the new cell."""
    granted = {r.unit_id for r in session.new if isinstance(r, RoleAssignment) and r.role == Role.CELL_SECRETARY}
    if not granted:
        return
    with session.no_autoflush:
        tasks = session.scalars(sa.select(Task).where(Task.kind == SECRETARY_TASK, Task.status == TaskStatus.OPEN))
        for task in tasks:
            if (task.subject or {}).get("cell") in granted:
                task.status = TaskStatus.DONE
                task.completed_at = utcnow()
