"""What the clock does to a case without a person: take the steps a date triggers, and write notices.

The clock is an actor of its own: its events carry ``actor_role = "clock"`` and no ``actor_id``, so the
history says plainly that nobody clicked. It may only take transitions whose definition names a ``clock``
date (``start_recognition`` at ``probation_ends``), and only when their guards hold, exactly as for a person.

Notices (reminders, overdue tasks, escalations, a clock step that is blocked) go into the same append-only
history through ``record_notice``, the only code that writes them: an event that changes nothing.
Both functions write in the caller's transaction; the caller (``casework.clock``) commits once per case.
"""

from __future__ import annotations

from datetime import date as date_type
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm.attributes import set_committed_value

from casework.engine.context import StepContext
from casework.engine.errors import Conflict, Invalid
from casework.engine.fields import FieldContext, case_date, parse_fields, to_json
from casework.engine.races import lock_case
from casework.engine.step import take_step
from casework.models import Case, Event

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine
    from casework.engine.definition import TransitionDef, WorkflowDef
    from casework.engine.reasons import Reason
    from casework.models import Case, Task

CLOCK_ROLE = "clock"

#: Notice kinds, with the label a history shows for each.
NOTICES: dict[str, dict[str, str]] = {
    "reminder": {"vi": "Nhắc hạn", "en": "Reminder"},
    "task_overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "escalation": {"vi": "Báo cáo lên cấp trên", "en": "Escalated"},
    "clock_step_blocked": {"vi": "Chưa thể tự động chuyển bước", "en": "Clock step blocked"},
}


def clock_transitions_due(wf: WorkflowDef, case: Case, today: date_type) -> list[TransitionDef]:
    """Clock transitions from the case's state whose date has come."""
    due = []
    for tdef in wf.transitions_from(case.state, case.stage):
        when = case_date(case, tdef.clock) if tdef.clock else None
        if when is not None and when <= today:
            due.append(tdef)
    return due


def take_clock_step(*, session: Session, engine: Engine, case: Case, transition: TransitionDef) -> list[Reason]:
    """Take a clock transition as the clock. Returns the guards' reasons when it may not be taken yet, and
    then writes nothing; otherwise writes the state, event and tasks like any step (no commit).

    Like a person's step it holds the case's row lock first (the tick already took it with SKIP LOCKED, so
    this does not wait there), so it never writes over a step that committed meanwhile; a race the
    database still catches is the caller's to roll back (``casework.engine.races.is_lost_race``)."""
    if not transition.clock:
        raise ValueError(f"{transition.trigger} is not a clock transition")
    lock_case(session, case)
    wf = engine.definition_of(case)
    if transition not in wf.transitions_from(case.state, case.stage):
        raise Conflict("the case moved on before the clock step")  # a person's step committed first
    today = engine.today()
    values, reasons = parse_fields(transition.fields, {}, FieldContext(session, case, today))
    if reasons:
        return reasons
    ctx = StepContext(session=session, workflow=wf, transition=transition, case=case, user=None, rules=engine.rules,
                      today=today, data=values)
    try:
        take_step(session, engine, ctx, (CLOCK_ROLE, None))
    except Invalid as blocked:
        return blocked.reasons
    return []


def claim_notice_seq(session: Session, case: Case) -> int:
    """A notice's event number: one past the case's last (``cases.last_event_seq``), claimed by an UPDATE of
    that column alone, so the case's version stays as it was, and a step holding the case's row is waited for
    rather than raced. The case in the session is told the new number without being marked changed."""
    cases = Case.__table__
    seq = session.execute(cases.update().where(cases.c.id == case.id)
                          .values(last_event_seq=cases.c.last_event_seq + 1)
                          .returning(cases.c.last_event_seq)).scalar_one()
    set_committed_value(case, "last_event_seq", seq)
    return seq


def record_notice(*, session: Session, engine: Engine, case: Case, kind: str, data: dict[str, Any],
                  task: Task | None = None) -> Event:
    """Append a notice to the case's history: same state before and after, no changes, the clock as actor.

    It does not touch ``case.version``: a reminder must not make a person's open form stale.
    """
    if kind not in NOTICES:
        raise ValueError(f"unknown notice kind {kind}")
    event = Event(case=case, seq=claim_notice_seq(session, case), trigger=kind, from_state=case.state,
                  to_state=case.state, actor_id=None, actor_role=CLOCK_ROLE, actor_unit_id=None,
                  task_id=task.id if task is not None else None,
                  occurred_at=engine.now(), data=to_json({"label": NOTICES[kind], **data}), changes={}, flags=[])
    session.add(event)
    return event
