"""What the clock (`casework tick`) has already done, so that it does each thing once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, utcnow
from casework.models.cases import Event, Task


class ClockMark(Base):
    """One reminder, overdue notice, escalation or blocked clock step, already written to a case's history.

    ``key`` names the act exactly (``reminder:task:12:5``); its unique constraint is the last line of
    defence when two ticks race, after the row locks: the second insert fails and its whole transaction
    (event, copy task, notifications) is rolled back.
    """

    __tablename__ = "clock_marks"
    __table_args__ = (sa.Index("ix_clock_marks_task_kind", "task_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    copy_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event | None] = relationship()
    copy_task: Mapped[Task | None] = relationship(foreign_keys=[copy_task_id])
