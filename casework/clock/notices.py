"""The clock's acts on one case: each writes its notice to the history (``engine.clock.record_notice``), a
``ClockMark`` that makes it happen once, and in-app notices for the people concerned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.clock.escalation import escalation_target
from casework.engine import hooks
from casework.engine.clock import record_notice
from casework.engine.routing import resolve_unit
from casework.models import ClockMark, Task, TaskStatus
from casework.notifications import inbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine
    from casework.engine.definition import TransitionDef
    from casework.engine.reasons import Reason
    from casework.models import Case


def _mark(session: Session, key: str, kind: str, case: Case, task: Task | None, event, copy: Task | None = None):
    session.add(ClockMark(key=key, kind=kind, case_id=case.id, task_id=task.id if task else None, event=event,
                          copy_task=copy))


def _owners(session: Session, task: Task):
    return inbox.recipients(session, task.role, task.unit_id)


def _task_words(engine: Engine, case: Case, task: Task) -> tuple[dict[str, str], dict[str, str]]:
    return inbox.step_label(engine.workflows, case, task.kind, task.state), inbox.case_name(case)


def remind(session: Session, engine: Engine, case: Case, task: Task, lead: int, days_left: int) -> None:
    """A reminder ``lead`` working days before the due date (``days_left`` is what actually remains)."""
    key = f"reminder:task:{task.id}:{lead}"
    event = record_notice(session=session, engine=engine, case=case, kind="reminder", task=task,
                          data={"lead_working_days": lead, "working_days_left": days_left, "due_date": task.due_date,
                                "role": task.role, "unit_id": task.unit_id})
    _mark(session, key, "reminder", case, task, event)
    label, name = _task_words(engine, case, task)
    texts = {"vi": f"Nhắc hạn: {label['vi']} — {name['vi']}, còn {days_left} ngày làm việc "
                   f"(hạn {task.due_date.strftime('%d/%m/%Y')}).",
             "en": f"Reminder: {label['en']} — {name['en']}, {days_left} working day(s) left "
                   f"(due {task.due_date.isoformat()})."}
    inbox.notify(session, _owners(session, task), kind="reminder", case=case, task=task, texts=texts, key=key,
                 now=engine.now())


def overdue(session: Session, engine: Engine, case: Case, task: Task, late_by: int) -> None:
    """The task is past its due date by the working-day calendar: its owners are told, once."""
    key = f"overdue:task:{task.id}"
    event = record_notice(session=session, engine=engine, case=case, kind="task_overdue", task=task,
                          data={"due_date": task.due_date, "working_days_late": late_by, "role": task.role,
                                "unit_id": task.unit_id})
    _mark(session, key, "overdue", case, task, event)
    label, name = _task_words(engine, case, task)
    texts = {"vi": f"Quá hạn: {label['vi']} — {name['vi']} (hạn {task.due_date.strftime('%d/%m/%Y')}).",
             "en": f"Overdue: {label['en']} — {name['en']} (was due {task.due_date.isoformat()})."}
    inbox.notify(session, _owners(session, task), kind="overdue", case=case, task=task, texts=texts, key=key,
                 now=engine.now())


def escalate(session: Session, engine: Engine, case: Case, task: Task, late_by: int) -> None:
    """The task stays with its owner; a copy goes to the unit above (see ``escalation``), whose holders are
    told through the engine's new-task listener like for any task."""
    key = f"escalation:task:{task.id}"
    target = escalation_target(session, task)
    copy = None
    if target is not None:
        copy = Task(case=case, kind=inbox.ESCALATION_KIND, state=case.state, role=target[0], unit_id=target[1],
                    entry_seq=task.entry_seq, due_date=None, created_at=engine.now(),
                    subject={"stage": case.stage, "escalated_task_id": task.id, "kind": task.kind,
                             "role": task.role, "unit_id": task.unit_id, "due_date": task.due_date.isoformat()})
        session.add(copy)
        hooks.task_created(session, copy)
    event = record_notice(session=session, engine=engine, case=case, kind="escalation", task=task,
                          data={"due_date": task.due_date, "working_days_late": late_by, "role": task.role,
                                "unit_id": task.unit_id, "to_role": target[0] if target else None,
                                "to_unit_id": target[1] if target else None})
    _mark(session, key, "escalation", case, task, event, copy)


def close_settled_copies(session: Session, engine: Engine, case: Case) -> int:
    """An escalation copy is done once the task it copies is no longer waiting."""
    by_id = {t.id: t for t in case.tasks}
    closed = 0
    for copy in [t for t in case.tasks if t.is_open and t.kind == inbox.ESCALATION_KIND]:
        original = by_id.get((copy.subject or {}).get("escalated_task_id"))
        if original is None or not original.is_open:
            copy.status = TaskStatus.DONE if original is not None and original.status == TaskStatus.DONE \
                else TaskStatus.CANCELLED
            copy.completed_at = engine.now()
            closed += 1
    return closed


def clock_step_blocked(session: Session, engine: Engine, case: Case, transition: TransitionDef,
                       reasons: list[Reason], key: str) -> None:
    """The date has come but a guard fails (no new-member course recorded): say so in the history and to the
    step's own actors instead of waiting silently. The state's tasks, due on that date, will then go overdue
    and climb like any other."""
    event = record_notice(session=session, engine=engine, case=case, kind="clock_step_blocked",
                          data={"trigger": transition.trigger, "reasons": [r.as_dict() for r in reasons]})
    _mark(session, key, "blocked", case, None, event)
    actor = transition.actors[0]
    unit_id = resolve_unit(session, case, actor.routing)
    users = inbox.recipients(session, actor.role, unit_id) if unit_id is not None else []
    why_vi = " ".join(r.vi for r in reasons)
    why_en = " ".join(r.en for r in reasons)
    name = inbox.case_name(case)
    texts = {"vi": f"Chưa thể tự động {transition.label['vi'].lower()} — {name['vi']}: {why_vi}",
             "en": f"Could not {transition.label['en'].lower()} automatically — {name['en']}: {why_en}"}
    inbox.notify(session, users, kind="blocked", case=case, task=None, texts=texts, key=key, now=engine.now())
