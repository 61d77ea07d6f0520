"""Clock attribution: whose time a case is spending.

Every routed task is a period during which the case waits on the role at the unit the task went to:
a residential committee from the verification request to its reply, the organizing department while it
appraises, the authority until its decision. The owning cell's own tasks count against the cell only
for the working days on which no other organisation was holding the case (a case waiting on a reply is
not the cell's delay). Escalation copies are not waiting time (the original task already is).

Used by the monitoring reports; nothing here needs Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.engine.calendar import working_days_between
from casework.localtime import local_date
from casework.models import Case, Task, TaskStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ESCALATION_KIND = "escalation"


@dataclass(frozen=True)
class WaitingInterval:
    """One period a case waited on one (unit, role) for one step.

    ``step`` is ``"<state>:<task kind>"`` (``verification:confirm_background``, ``authority_review:step``).
    ``ended_on`` is None while it still waits (then ``working_days`` counts up to ``until``).
    ``on_cell`` is True for the owning cell's own tasks; ``working_days`` is then only the cell's share,
    the days when no other organisation held the case, and ``elapsed_working_days`` the whole period.
    """

    case_id: int
    task_id: int
    unit_id: int
    role: str
    step: str
    started_on: date
    ended_on: date | None
    working_days: int
    elapsed_working_days: int
    on_cell: bool

    @property
    def key(self) -> tuple[int, str, str]:
        return self.unit_id, self.role, self.step




def waiting_intervals(session: Session, case_ids: Iterable[int] | None = None, *,
                      until: date) -> list[WaitingInterval]:
    """Every waiting period of the given cases (all cases when ``case_ids`` is None), from their tasks.

    Args:
        session: a SQLAlchemy session (read only).
        case_ids: the cases to look at; None for every case.
        until: the day open periods are counted to (usually ``engine.today()``).

    Returns:
        ``WaitingInterval`` rows ordered by case and start; cancelled tasks count up to their cancellation
        (the case waited on them until it moved on). Working days skip weekends and public holidays; a
        period that starts and ends on the same day is 0 working days.
    """
    query = sa.select(Task, Case.owning_cell_id).join(Case, Case.id == Task.case_id).where(
        Task.kind != ESCALATION_KIND).order_by(Task.case_id, Task.created_at, Task.id)
    if case_ids is not None:
        ids = list(case_ids)
        if not ids:
            return []
        query = query.where(Task.case_id.in_(ids))
    by_case: dict[int, list[tuple[Task, int]]] = {}
    for task, cell_id in session.execute(query):
        by_case.setdefault(task.case_id, []).append((task, cell_id))
    out: list[WaitingInterval] = []
    for rows in by_case.values():
        out.extend(_case_intervals(rows, until))
    return out


def _span(task: Task, until: date) -> tuple[date, date | None, date]:
    started = local_date(task.created_at)
    ended = local_date(task.completed_at) if task.status != TaskStatus.OPEN and task.completed_at else None
    stop = min(ended, until) if ended is not None else until
    return started, ended, max(stop, started)


def _case_intervals(rows: list[tuple[Task, int]], until: date) -> list[WaitingInterval]:
    spans = [(task, cell_id, *_span(task, until)) for task, cell_id in rows]
    others = _merge([(start, stop) for task, cell_id, start, _, stop in spans
                     if task.unit_id != cell_id and stop > start])
    out = []
    for task, cell_id, start, ended, stop in spans:
        elapsed = max(working_days_between(start, stop), 0)
        on_cell = task.unit_id == cell_id
        share = _working_days_outside(start, stop, others) if on_cell else elapsed
        out.append(WaitingInterval(task.case_id, task.id, task.unit_id, task.role, f"{task.state}:{task.kind}",
                                   start, ended, share, elapsed, on_cell))
    return out


def _merge(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _working_days_outside(start: date, stop: date, others: list[tuple[date, date]]) -> int:
    """Working days in (start, stop] not inside any of the (merged) other organisations' periods."""
    total = max(working_days_between(start, stop), 0)
    for other_start, other_stop in others:
        lo, hi = max(start, other_start), min(stop, other_stop)
        if hi > lo:
            total -= working_days_between(lo, hi)
    return max(total, 0)


def attributed_working_days(session: Session, case_ids: Iterable[int] | None = None, *,
                            until: date) -> dict[tuple[int, str, str], int]:
    """Total working days per (unit id, role, step) over the given cases (all when None): the figure a
    bottleneck report ranks. The owning cell is charged only its own share (see ``WaitingInterval``)."""
    totals: dict[tuple[int, str, str], int] = {}
    for interval in waiting_intervals(session, case_ids, until=until):
        totals[interval.key] = totals.get(interval.key, 0) + interval.working_days
    return totals
