"""Who is on a task, when several people hold its role at its unit (nhận việc, trả việc, giao việc).

The rules, one place for every face:

- **claim**: a person who holds the task's role at its unit (their own role, or one they stand in for today)
  takes an open task nobody has taken; a task someone else holds is refused, naming them.
- **release**: only the claimant, or an *overseer*, gives a task back.
- **assign**: a holder of the role at the unit hands an open task to a colleague who holds that role there too;
  taking a task away from the colleague who holds it needs an overseer.
- **complete**: a claimed task (and the step it stands for) is taken only by its claimant, or by the claimant's
  delegate acting for them; an overseer who wants someone else on it reassigns it first.

An **overseer** is an administrator (role ``admin``) of the task's unit or of a unit above it: they manage who
holds roles there, so they may also move work between those people. Every refusal is a ``Reason`` (vi/en) and
changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.engine.delegation import acting_for
from casework.engine.errors import Conflict, Invalid, PermissionDenied
from casework.engine.labels import role_label
from casework.engine.reasons import Reason
from casework.models import Task, TaskStatus, User

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy.orm import Session

    from casework.engine import Engine

OVERSEER_ROLE = "admin"


def may_hold(session: Session, user: User, task: Task, today: date) -> bool:
    """Whether this person holds the task's role at its unit today: their own, or as a delegate in force."""
    if user.holds_own(task.role, task.unit_id):
        return True
    return acting_for(session, user, task.role, task.unit_id, today) is not None


def is_overseer(user: User, task: Task) -> bool:
    """An administrator of the task's unit or of a unit above it (see the module's rules)."""
    return any(r.role == OVERSEER_ROLE and task.unit.is_within(r.unit) for r in user.roles)


def completion_reasons(task: Task, user: User, acting_for_id: int | None = None) -> list[Reason]:
    """Why this person may not complete a task because someone else is on it (none: they may)."""
    if task.claimed_by_id is None or task.claimed_by_id in (user.id, acting_for_id):
        return []
    return [_claimed_by_other(task)]


def _claimed_by_other(task: Task) -> Reason:
    name = task.claimed_by.full_name if task.claimed_by else "?"
    return Reason("task_claimed_by_other", f"{name} đã nhận việc này; chỉ người đó làm tiếp hoặc trả lại việc.",
                  f"{name} has taken this task; only they carry it on or give it back.",
                  {"task_id": task.id, "claimed_by": task.claimed_by_id})


def _not_holder(task: Task, who: str = "you") -> Reason:
    role_vi, role_en, unit = role_label(task.role), role_label(task.role, "en"), task.unit.name
    if who == "you":
        return Reason("claim_needs_role", f"Chỉ {role_vi} của {unit} mới nhận được việc này.",
                      f"Only a {role_en} of {unit} can take this task.", {"role": task.role, "unit_id": task.unit_id})
    return Reason("assignee_needs_role", f"Người được giao phải là {role_vi} của {unit}.",
                  f"The person you assign must be a {role_en} of {unit}.",
                  {"role": task.role, "unit_id": task.unit_id})


def _open(task: Task) -> None:
    if task.status != TaskStatus.OPEN:
        raise Invalid("task closed", [Reason("task_not_open", "Việc này đã được xử lý xong hoặc đã hủy.",
                                             "This task is already done or cancelled.", {"task_id": task.id})])


def _refuse(session: Session, exc_type, reasons: list[Reason]):
    session.rollback()
    raise exc_type("claim refused", reasons)


def _set_claimant(session: Session, engine: Engine, task: Task, user_id: int | None, *,
                  only_if: int | None | type[Ellipsis] = ...) -> None:
    """Write the claimant with a conditional UPDATE (``only_if``: the claimant the caller saw), so that two people
    taking the same task at once cannot both have it: the second is told who was first."""
    update = sa.update(Task).where(Task.id == task.id, Task.status == TaskStatus.OPEN)
    if only_if is not ...:
        update = update.where(Task.claimed_by_id.is_(None) if only_if is None else Task.claimed_by_id == only_if)
    done = session.execute(update.values(claimed_by_id=user_id, claimed_at=engine.now() if user_id else None))
    if done.rowcount != 1:
        session.rollback()
        session.refresh(task)
        raise Conflict("claimed meanwhile", [_claimed_by_other(task)] if task.claimed_by_id else [])
    session.commit()
    session.refresh(task)


def claim(*, session: Session, engine: Engine, task: Task, user: User) -> Task:
    """Take an open task nobody has taken (taking one's own again changes nothing)."""
    _open(task)
    if not may_hold(session, user, task, engine.today()):
        _refuse(session, PermissionDenied, [_not_holder(task)])
    if task.claimed_by_id == user.id:
        return task
    if task.claimed_by_id is not None:
        _refuse(session, Conflict, [_claimed_by_other(task)])
    _set_claimant(session, engine, task, user.id, only_if=None)
    return task


def release(*, session: Session, engine: Engine, task: Task, user: User) -> Task:
    """Give a task back to everyone holding its role: its claimant, or an overseer."""
    _open(task)
    if task.claimed_by_id is None:
        _refuse(session, Invalid, [Reason("task_not_claimed", "Chưa ai nhận việc này.", "Nobody has taken this task.",
                                          {"task_id": task.id})])
    if task.claimed_by_id != user.id and not is_overseer(user, task):
        _refuse(session, PermissionDenied, [Reason(
            "release_not_claimant", "Chỉ người đã nhận việc (hoặc quản trị đơn vị) mới trả lại được việc này.",
            "Only the person who took this task (or the unit's administrator) can give it back.",
            {"task_id": task.id, "claimed_by": task.claimed_by_id})])
    _set_claimant(session, engine, task, None, only_if=task.claimed_by_id)
    return task


def assign(*, session: Session, engine: Engine, task: Task, user: User, assignee_id: int) -> Task:
    """Hand a task to a colleague holding its role at its unit (see the module's rules for who may)."""
    _open(task)
    today = engine.today()
    overseer = is_overseer(user, task)
    if not overseer and not may_hold(session, user, task, today):
        _refuse(session, PermissionDenied, [Reason(
            "assign_needs_role", "Chỉ người giữ vai trò của việc này ở đơn vị (hoặc quản trị đơn vị) mới giao được.",
            "Only a holder of this task's role at its unit (or the unit's administrator) can assign it.",
            {"role": task.role, "unit_id": task.unit_id})])
    if task.claimed_by_id not in (None, user.id, assignee_id) and not overseer:
        _refuse(session, Conflict, [_claimed_by_other(task)])
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or not may_hold(session, assignee, task, today):
        _refuse(session, Invalid, [_not_holder(task, who="assignee")])
    _set_claimant(session, engine, task, assignee_id, only_if=task.claimed_by_id)
    return task


def colleagues(session: Session, task: Task) -> list[User]:
    """The active people holding the task's role at its unit themselves: whom it may be assigned to."""
    from casework.models import RoleAssignment

    query = (sa.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.role == task.role, RoleAssignment.unit_id == task.unit_id, User.active)
             .order_by(User.full_name, User.id))
    return list(session.scalars(query))
