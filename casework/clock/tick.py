"""One run of the clock: everything that happens because time passed, done once.

``run_tick`` visits every case that may need the clock, each in its own transaction that starts by locking
the case row (``SELECT … FOR UPDATE SKIP LOCKED``): a case another tick (or a person's step) holds right now
is left for the next run instead of waited for. What was done is remembered in ``clock_marks`` whose unique
keys refuse a second copy even if two ticks got past the locks, so running the tick again, or on several
machines at once, does nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.clock import notices
from casework.engine.calendar import add_working_days, working_days_between
from casework.engine.clock import clock_transitions_due, take_clock_step
from casework.engine.errors import Conflict
from casework.engine.races import is_lost_race
from casework.models import Case, ClockMark, Task, TaskStatus
from casework.notifications import inbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one run did, for the command's output and the tests."""

    cases_due: int = 0  # cases found needing the clock when the run began (its backlog)
    cases_visited: int = 0
    cases_skipped_locked: int = 0
    clock_steps: int = 0
    clock_steps_blocked: int = 0
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    copies_closed: int = 0
    duplicates_refused: int = 0
    mails_queued: int = 0
    mails_sent: int = 0
    mails_failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run_tick(session: Session, engine: Engine, *, mail_settings=None) -> TickReport:
    """Do everything time-driven once: clock steps, overdue marks, escalations, reminders, then e-mail."""
    from casework.notifications import mail

    inbox.install(engine)
    report = TickReport()
    due = cases_needing_the_clock(session, engine)
    report.cases_due = len(due)
    for case_id in due:
        attend_case(session, engine, case_id, report)
    mail.deliver(session, engine, mail_settings, report)
    return report


def cases_needing_the_clock(session: Session, engine: Engine) -> list[int]:
    """Open cases with a clock date that has come, a task due within the reminder horizon and not yet
    escalated, or an escalation copy whose original may be settled."""
    rules, today = engine.rules, engine.today()
    horizon = add_working_days(today, max(rules.first_reminder_working_days, rules.last_reminder_working_days))
    escalated = sa.select(ClockMark.id).where(ClockMark.task_id == Task.id, ClockMark.kind == "escalation")
    due_tasks = sa.select(Task.case_id).where(Task.status == TaskStatus.OPEN, Task.due_date.is_not(None),
                                              Task.due_date <= horizon, ~sa.exists(escalated))
    copies = sa.select(Task.case_id).where(Task.status == TaskStatus.OPEN, Task.kind == inbox.ESCALATION_KIND)
    queries = [due_tasks, copies, *_clock_date_queries(engine, today)]
    ids: set[int] = set()
    for query in queries:
        ids.update(session.scalars(query))
    return sorted(ids)


def _clock_date_queries(engine: Engine, today) -> list[sa.Select]:
    """Cases in a state with a clock transition whose date column has come."""
    queries = []
    for wf in engine.definitions():  # each case follows the version it started under
        for tdef in wf.transitions:
            column = getattr(Case, tdef.clock, None) if tdef.clock else None
            if column is None:
                continue
            queries.append(sa.select(Case.id).where(Case.workflow == wf.name, Case.workflow_version == wf.version,
                                                    Case.closed_on.is_(None),
                                                    Case.state.in_([s for s in tdef.sources if s]), column <= today))
    return queries


def attend_case(session: Session, engine: Engine, case_id: int, report: TickReport) -> None:
    """Lock one case and do what the clock owes it, in one transaction."""
    session.expire_all()  # what another process committed since must be seen, not a cached copy
    try:
        case = session.scalar(sa.select(Case).where(Case.id == case_id)
                              .with_for_update(skip_locked=True, of=Case))
        if case is None:
            report.cases_skipped_locked += 1
            session.rollback()
            return
        if case.is_open:
            report.cases_visited += 1
            _attend(session, engine, case, report)
        session.commit()
    except Exception as exc:
        if not (isinstance(exc, Conflict) or is_lost_race(exc)):
            raise
        session.rollback()  # another tick or a person got there first; the next run looks again
        report.duplicates_refused += 1
        log.info("clock: case %s changed concurrently, left for the next run", case_id)


def _attend(session: Session, engine: Engine, case: Case, report: TickReport) -> None:
    done = set(session.scalars(sa.select(ClockMark.key).where(ClockMark.case_id == case.id)))
    _clock_steps(session, engine, case, done, report)
    session.flush()  # tasks the clock step opened need their ids for the marks below
    report.copies_closed += notices.close_settled_copies(session, engine, case)
    for task in [t for t in case.tasks if t.is_open and t.due_date is not None]:
        _attend_task(session, engine, case, task, done, report)


def _clock_steps(session: Session, engine: Engine, case: Case, done: set[str], report: TickReport) -> None:
    wf = engine.definition_of(case)
    for transition in clock_transitions_due(wf, case, engine.today()):
        reasons = take_clock_step(session=session, engine=engine, case=case, transition=transition)
        if not reasons:
            report.clock_steps += 1
            return  # the state changed; other clock steps belong to the old state
        key = f"blocked:{transition.trigger}:case:{case.id}:{case.state_seq}"
        if key not in done:
            notices.clock_step_blocked(session, engine, case, transition, reasons, key)
            done.add(key)
            report.clock_steps_blocked += 1


def _attend_task(session: Session, engine: Engine, case: Case, task: Task, done: set[str],
                 report: TickReport) -> None:
    """Overdue and escalation once a task is late by the working-day calendar; reminders before."""
    today, rules = engine.today(), engine.rules
    late_by = working_days_between(task.due_date, today)
    if late_by >= 1:
        if f"overdue:task:{task.id}" not in done:
            notices.overdue(session, engine, case, task, late_by)
            report.overdue += 1
        if late_by >= rules.escalation_grace_working_days and f"escalation:task:{task.id}" not in done:
            notices.escalate(session, engine, case, task, late_by)
            report.escalations += 1
        return
    lead = reminder_lead(-late_by, rules)
    if lead is not None and f"reminder:task:{task.id}:{lead}" not in done:
        notices.remind(session, engine, case, task, lead, -late_by)
        report.reminders += 1


def reminder_lead(working_days_left: int, rules) -> int | None:
    """Which reminder is due with this many working days left: the nearest configured lead that is not
    smaller than them, so a task created 3 days before its due date gets the 5-day reminder now (not
    twice) and the 1-day reminder later; none once no lead covers the days left."""
    leads = sorted({rules.first_reminder_working_days, rules.last_reminder_working_days})
    return next((lead for lead in leads if lead > 0 and working_days_left <= lead), None)
