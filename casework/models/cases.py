"""Cases (of any workflow), the append-only event history, routed tasks and attached documents.

A case's subject (a candidate, an enterprise …) lives in its workflow's own table (``workflows/<name>/``); the
core keeps only its id, its natural key while the case is open and its display name."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from casework.models.base import Base, utcnow
from casework.models.org import Unit, User


class Case(Base):
    """One subject's journey through a workflow.

    ``state``, ``stage`` and the key dates are a projection of the event history, cached for queries;
    ``version`` guards against lost updates (SQLAlchemy issues ``UPDATE … WHERE version = :old``).
    ``subject_id`` is the subject's row in its workflow's table (the package says which: a candidate for
    admission); ``subject_key`` holds its natural key (a national ID) while the case is open, so the database
    itself refuses a second open case of the same workflow for the same subject; ``title`` is its display name.
    """

    __tablename__ = "cases"
    # Open cases by how long they have waited (the monitoring's oldest stuck cases).
    __table_args__ = (sa.Index("ix_cases_open_since", "state_entered_at", postgresql_where=sa.text("closed_on IS NULL"),
                               sqlite_where=sa.text("closed_on IS NULL")),
                      sa.UniqueConstraint("workflow", "subject_key", name="uq_cases_workflow_subject_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(sa.String(40))
    workflow_version: Mapped[int]
    # The subject's id in its workflow's table (no foreign key here: the workflow's package says which table).
    subject_id: Mapped[int] = mapped_column(index=True)
    # The subject's display name (a candidate's full name), for lists, search and exports without a join.
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str] = mapped_column(sa.String(40), index=True)
    stage: Mapped[str | None] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column(default=1)
    source: Mapped[str] = mapped_column(sa.String(20))
    owning_cell_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    grassroots_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    authority_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    referring_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # The subject's natural key (a candidate's national ID) while the case is open; None once it is closed.
    subject_key: Mapped[str | None] = mapped_column(sa.String(64))
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    state_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The seq of the event that entered the current state: tasks of this round carry it too.
    state_seq: Mapped[int] = mapped_column(default=1)
    # The seq of the case's last event (a step's or a notice's): the next event's number without a max(seq).
    last_event_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # The key dates the workflow declares (its definition's ``dates:``), name -> ISO date, projected from the
    # history: read them with ``Case.date(name)``, in SQL with ``case_date(name)``.
    dates: Mapped[dict] = mapped_column(default=dict)
    # Everything else the steps recorded, latest value per field (helpers, introducers, relatives…).
    facts: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Touched by every step so that every step bumps ``version``, even one that only closes a task.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owning_cell: Mapped[Unit] = relationship(foreign_keys=[owning_cell_id])
    events: Mapped[list[Event]] = relationship(
        back_populates="case", order_by="Event.seq", cascade="save-update, merge", passive_deletes="all"
    )
    tasks: Mapped[list[Task]] = relationship(back_populates="case", order_by="Task.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def date(self, name: str) -> date | None:
        """A key date of the case (None while not reached). Older histories recorded some dates among the facts
        (admission's recognition_proposed_on): those are found there."""
        value = (self.dates or {}).get(name)
        if value is None:
            value = (self.facts or {}).get(name)
        return _iso_date(value)


def _iso_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class _AsDate(FunctionElement):
    """An ISO date text as a date: PostgreSQL casts it; SQLite keeps the text, which compares and sorts as the
    dates do (its DATE type is that same text, and ``extract`` reads it)."""

    type = sa.Date()
    name = "as_date"
    inherit_cache = True


@compiles(_AsDate)
def _as_date(element: _AsDate, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(_AsDate, "sqlite")
def _as_date_sqlite(element: _AsDate, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


def case_date(name: str, dates: sa.ColumnElement | None = None) -> sa.ColumnElement[date]:
    """A key date of the case in SQL (``(cases.dates ->> 'name')::date`` on PostgreSQL, the ISO text of
    ``json_extract`` on SQLite); NULL while not reached. ``dates`` is another alias's column."""
    column = Case.dates if dates is None else dates
    return _AsDate(column[name].as_string())


class Event(Base):
    """One thing that happened to a case. Append-only: never updated, never deleted.

    ``data`` is what the person recorded; ``changes`` is what it did to the case projection (state,
    stage, key dates, facts), so replaying ``changes`` in ``seq`` order rebuilds the case.
    """

    __tablename__ = "events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    seq: Mapped[int]
    trigger: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str] = mapped_column(sa.String(40))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    actor_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    # The absent person the actor stood in for ("acting for", a Delegation valid that day); the history names both.
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    data: Mapped[dict] = mapped_column(default=dict)
    changes: Mapped[dict] = mapped_column(default=dict)
    flags: Mapped[list] = mapped_column(default=list)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id])
    actor_unit: Mapped[Unit | None] = relationship()


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(Base):
    """Work routed to a role at a unit: a step to take, or one reply of a parallel request.

    ``kind`` is ``step`` for the actor-of-the-state task, otherwise the trigger that completes it
    (``confirm_background``, ``appraise`` …). ``subject`` says what the task is about without the whole
    dossier (the people to verify at this place, for a residential committee).
    """

    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_inbox", "unit_id", "role", "status", "due_date"),
        sa.Index("ix_tasks_case_status", "case_id", "status"),
        # Overdue tasks for the monitoring heat map.
        sa.Index("ix_tasks_status_due", "status", "due_date"),
        # Replies answered in a period, for the slowest residential committees.
        sa.Index("ix_tasks_kind_completed", "kind", "completed_at"),
        # A person's recently done work (the inbox's queue): among a million cases' tasks, theirs directly.
        sa.Index("ix_tasks_completed_by", "completed_by_id", "completed_at"),
        # Open tasks are a few percent of all tasks: partial indexes find them directly. The overdue ones are
        # read from the index alone (PostgreSQL), since the planner, judging by all tasks' due dates, expects
        # twenty times more of them than there are and would otherwise fetch every open task's row.
        sa.Index("ix_tasks_open_due", "due_date", postgresql_include=["case_id", "state"],
                 postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'")),
        sa.Index("ix_tasks_open_kind", "kind", "unit_id", postgresql_include=["case_id", "created_at", "due_date"],
                 postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[str] = mapped_column(sa.String(32))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=TaskStatus.OPEN)
    subject: Mapped[dict] = mapped_column(default=dict)
    # The seq of the event that entered the state this task belongs to (a verification round, say).
    entry_seq: Mapped[int] = mapped_column(default=1)
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[dict] = mapped_column(default=dict)
    # Who is on it: a person holding the task's role at its unit took it (or was assigned it by a colleague);
    # only they complete it then (casework.engine.claims says who else may).
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="tasks")
    unit: Mapped[Unit] = relationship()
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today


class Document(Base):
    """A file attached to a case with its form code (1-KNĐ application, 2-KNĐ personal history, …).

    The content lives in the database so that several stateless web processes can serve it.
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    form_code: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
