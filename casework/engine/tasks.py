"""Creating and closing the tasks a case's state routes to people."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from casework.engine import hooks
from casework.engine.calendar import add_working_days
from casework.engine.fields import case_date
from casework.engine.routing import resolve
from casework.engine.rows import can_write_now, write_now
from casework.models import Case, Task, TaskStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import DueDef, TaskDef, WorkflowDef
    from casework.engine.rules import Rules


def due_date(due: DueDef | None, case: Case, today: date, rules: Rules) -> date | None:
    """A task's due date: an exact case date, or N working days from a case date (or from today)."""
    if due is None:
        return None
    if due.at:
        return case_date(case, due.at)
    start = (case_date(case, due.start) if due.start else None) or today
    return add_working_days(start, getattr(rules, due.working_days))


def create_tasks(session: Session, case: Case, defs: list[TaskDef], *, today: date, rules: Rules,
                 now: datetime | None = None) -> list[Task]:
    """One task per place each definition routes to; fan-out definitions give one per place. ``now`` is the
    engine's clock, so that waiting times (clock attribution) are measured on the same clock as events."""
    created = []
    for task_def in defs:
        for routed in resolve(session, case, task_def.routing, task_def.role):
            values = dict(kind=task_def.kind, state=case.state, role=routed.role or task_def.role,
                          unit_id=routed.unit_id, subject={"stage": case.stage, **routed.subject},
                          entry_seq=case.state_seq, due_date=due_date(task_def.due, case, today, rules))
            if now is not None:
                values["created_at"] = now
            task = _open_task(session, case, values)
            created.append(task)
            hooks.task_created(session, task)
    return created


def _open_task(session: Session, case: Case, values: dict) -> Task:
    """The task written now (``casework.engine.rows``) and linked to its case as a loaded task would be, the
    case's loaded tasks ending with it. A new case's first task waits for the flush that gives the case its id."""
    if case.id is None or not can_write_now(session):
        task = Task(case=case, **values)
        session.add(task)
        return task
    task = write_now(session, Task, {"case_id": case.id, **values})
    set_committed_value(task, "case", case)
    if "tasks" in sa.inspect(case).dict:
        set_committed_value(case, "tasks", [*case.tasks, task])
    return task


def open_tasks(case: Case) -> list[Task]:
    return [t for t in case.tasks if t.status == TaskStatus.OPEN]


def close_tasks(tasks: list[Task], *, actor_role: str | None, user_id: int | None, now: datetime) -> None:
    """Leaving a state: the actor's own step is done; whatever else was still waiting is cancelled."""
    for task in tasks:
        if task.kind == "step" and task.role == actor_role:
            task.status = TaskStatus.DONE
            task.completed_by_id = user_id
        else:
            task.status = TaskStatus.CANCELLED
        task.completed_at = now


def follow_up_tasks(wf: WorkflowDef, case: Case, completed_kind: str) -> list[TaskDef]:
    """Tasks that wait for every task of ``completed_kind`` in this round to be answered."""
    still_open = [t for t in open_tasks(case) if t.kind == completed_kind]
    if still_open:
        return []
    state = wf.states[case.state]
    return [t for t in state.tasks if t.after == completed_kind and t.stage == case.stage]
