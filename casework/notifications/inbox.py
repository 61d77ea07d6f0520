"""In-app notices (the bell), written in the transaction of whatever caused them. No Flask here: the engine's
task listener and the clock both call into this module.

Who is told: every active person holding the task's role at the unit the task is routed to.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, lazyload, scoped_session

from casework.engine import hooks
from casework.engine.labels import ROLE_LABELS
from casework.models import Notification, RoleAssignment, Task, Unit, User
from casework.models.notifications import MailStatus

if TYPE_CHECKING:
    from casework.engine import Engine
    from casework.engine.definition import Catalog
    from casework.models import Case

LISTENER_NAME = "notifications.new_task"
ESCALATION_KIND = "escalation"


def install(engine: Engine) -> None:
    """Tell holders of the role about every new task, with the workflow's labels for the step and the
    engine's clock for the time (the engine's, so that tests and replays agree)."""
    workflows = engine.workflows

    @hooks.on_task_created(LISTENER_NAME)
    def _notify_new_task(session: Session, task: Task) -> None:
        kind = "escalation" if task.kind == ESCALATION_KIND else "new_task"
        texts = escalation_texts(session, workflows, task) if kind == "escalation" else new_task_texts(workflows, task)
        _waiting(session).append((task, kind, texts, engine.now()))

    if not sa_event.contains(Session, "after_flush", _tell_holders):
        sa_event.listen(Session, "after_flush", _tell_holders)
    # The engine writes a step's new tasks at once (casework.engine.rows): one opened after the step's last
    # flush leaves nothing for the commit to flush, so its holders are told before the commit instead.
    if not sa_event.contains(Session, "before_commit", _tell_holders):
        sa_event.listen(Session, "before_commit", _tell_holders)


# The new tasks whose holders are told once the task is written (the flush gives it its id): in one
# INSERT … SELECT from the role assignments, instead of reading the holders and then inserting their notices.
_WAITING = "casework_waiting_notices"


def _waiting(session: Session) -> list[tuple[Task, str, dict[str, str], datetime]]:
    """This transaction's new tasks not yet notified (a rolled-back transaction's are forgotten with it)."""
    if isinstance(session, scoped_session):  # the app hands Flask-SQLAlchemy's proxy
        session = session()
    transaction = session.get_transaction()
    kept = session.info.get(_WAITING)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_WAITING] = (transaction, [])
    return kept[1]


def _tell_holders(session: Session, flush_context=None) -> None:
    """After a flush, or before a commit: a notice to every active holder of each new task written, in one
    statement."""
    kept = session.info.get(_WAITING)
    if not kept or not kept[1] or kept[0] is not session.get_transaction():
        return
    written = [item for item in kept[1] if item[0].id is not None]
    if not written:
        return
    kept[1][:] = [item for item in kept[1] if item[0].id is None]
    params = {}
    for i, (task, kind, texts, now) in enumerate(written):
        params.update({f"kind_{i}": kind, f"case_id_{i}": task.case_id, f"task_id_{i}": task.id,
                       f"text_vi_{i}": texts["vi"], f"text_en_{i}": texts["en"], f"created_at_{i}": now,
                       f"role_{i}": task.role, f"unit_id_{i}": task.unit_id})
    session.connection().execute(_notices_insert(len(written)), params)


_NOTICE_COLUMNS = ("user_id", "kind", "case_id", "task_id", "text_vi", "text_en", "created_at", "mail_status")


@functools.cache
def _notices_insert(tasks: int) -> sa.Insert:
    """INSERT INTO notifications … SELECT, one notice per active holder of each task's role at its unit (the
    values of task ``i`` are the parameters suffixed ``_i``). Built once per number of tasks: building it took
    longer than running it."""
    cols = Notification.__table__.c
    ra, users = RoleAssignment.__table__, User.__table__

    def param(name: str, i: int):
        return sa.bindparam(f"{name}_{i}", type_=cols[name].type).label(name)

    parts = [sa.select(ra.c.user_id.label("user_id"), param("kind", i), param("case_id", i), param("task_id", i),
                       param("text_vi", i), param("text_en", i), param("created_at", i),
                       sa.literal(MailStatus.PENDING.value, cols.mail_status.type).label("mail_status"))
             .join(users, users.c.id == ra.c.user_id)
             .where(ra.c.role == sa.bindparam(f"role_{i}"), ra.c.unit_id == sa.bindparam(f"unit_id_{i}"),
                    users.c.active.is_(True))
             for i in range(tasks)]
    rows = (parts[0] if tasks == 1 else sa.union_all(*parts)).subquery()
    ordered = sa.select(*(rows.c[name] for name in _NOTICE_COLUMNS)).order_by(rows.c.task_id, rows.c.user_id)
    return sa.insert(Notification.__table__).from_select(_NOTICE_COLUMNS, ordered)


def recipients(session: Session, role: str, unit_id: int) -> list[User]:
    """Active people holding ``role`` for exactly ``unit_id``. Their roles are not loaded with them (a notice
    needs only the person): every step told its new task's holders, and loading their roles was a second
    statement per step."""
    query = (sa.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id, User.active.is_(True))
             .order_by(User.id).options(lazyload(User.roles)))
    return list(session.scalars(query).unique())


def notify(session: Session, users: list[User], *, kind: str, case: Case | None, task: Task | None,
           texts: dict[str, str], now: datetime, key: str | None = None) -> list[Notification]:
    """One notice per person, added to the caller's transaction (by relationship: nothing is flushed)."""
    notices = [Notification(user=user, kind=kind, key=key, case=case, task=task, text_vi=texts["vi"],
                            text_en=texts["en"], created_at=now) for user in users]
    session.add_all(notices)
    return notices


# --- Texts ----------------------------------------------------------------------------------------------


def step_label(workflows: Catalog, case: Case, task_kind: str, state: str) -> dict[str, str]:
    """What a task asks for: the state's label for the step of a state, else the label of its trigger."""
    wf = workflows.get(case.workflow, {}).get(case.workflow_version)  # the labels of the case's own version
    if wf is None:
        return {"vi": task_kind, "en": task_kind}
    if task_kind == "step":
        return wf.states[state].label
    transition = next((t for t in wf.transitions if t.trigger == task_kind), None)
    return transition.label if transition else {"vi": task_kind, "en": task_kind}


def case_name(case: Case) -> dict[str, str]:
    who = case.title or ""
    ref = f"#{case.id}" if case.id is not None else ""
    return {"vi": f"hồ sơ {ref} ({who})".replace("  ", " "), "en": f"case {ref} ({who})".replace("  ", " ")}


def due_text(due: date | None) -> dict[str, str]:
    if due is None:
        return {"vi": "", "en": ""}
    return {"vi": f", hạn {due.strftime('%d/%m/%Y')}", "en": f", due {due.isoformat()}"}


def new_task_texts(workflows: Catalog, task: Task) -> dict[str, str]:
    label, name, due = step_label(workflows, task.case, task.kind, task.state), case_name(task.case), due_text(
        task.due_date)
    return {"vi": f"Việc mới: {label['vi']} — {name['vi']}{due['vi']}.",
            "en": f"New task: {label['en']} — {name['en']}{due['en']}."}


def escalation_texts(session: Session, workflows: Catalog, copy: Task) -> dict[str, str]:
    """The copy of an overdue task, as the unit above reads it: what, where, since when."""
    subject = copy.subject or {}
    label = step_label(workflows, copy.case, subject.get("kind", "step"), copy.state)
    unit = session.get(Unit, subject.get("unit_id")) if subject.get("unit_id") else None
    where = unit.name if unit else "?"
    role = ROLE_LABELS.get(subject.get("role", ""), {"vi": "", "en": ""})
    due = date.fromisoformat(subject["due_date"]) if subject.get("due_date") else None
    name = case_name(copy.case)
    return {
        "vi": f"Quá hạn, báo cáo lên cấp trên: {label['vi']} — {name['vi']}, do {role['vi']} {where} xử lý"
              f"{due_text(due)['vi']}.",
        "en": f"Overdue, escalated to you: {label['en']} — {name['en']}, with the {role['en']} of {where}"
              f"{due_text(due)['en']}.",
    }


def unread(user: User) -> sa.ColumnElement[bool]:
    """A person's notices still to read: not read, and not about a case that has closed since (its tasks are
    gone; nothing is left to do about it)."""
    from casework.models import Case

    closed = sa.exists().where(Case.id == Notification.case_id, Case.closed_on.is_not(None))
    return sa.and_(Notification.user_id == user.id, Notification.read_at.is_(None), ~closed)


def mark_read(session: Session, user: User, notification_ids: list[int] | None, now: datetime, *,
              case_id: int | None = None) -> int:
    """Mark some (or, with ``None``, all; with ``case_id``, that case's) of a person's unread notices read;
    returns how many changed."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    if case_id is not None:
        query = query.where(Notification.case_id == case_id)
    count = session.execute(query.values(read_at=now)).rowcount
    session.commit()
    return count


def unread_count(session: Session, user: User) -> int:
    return session.scalar(sa.select(sa.func.count(Notification.id)).where(unread(user))) or 0
