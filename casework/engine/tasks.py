"""Creating and closing the tasks a case's state routes to people."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from casework.engine import hooks
from casework.engine.calendar import add_working_days
from casework.engine.fields import case_date
from casework.engine.routing import resolve
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
            task = Task(case=case, kind=task_def.kind, state=case.state, role=routed.role or task_def.role,
                        unit_id=routed.unit_id, subject={"stage": case.stage, **routed.subject},
                        entry_seq=case.state_seq, due_date=due_date(task_def.due, case, today, rules))
            if now is not None:
                task.created_at = now
            session.add(task)
            created.append(task)
            hooks.task_created(session, task)
    return created


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
