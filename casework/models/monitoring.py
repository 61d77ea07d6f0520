"""What the organizing department monitors beyond the cases themselves: how long each case stayed in each
state (derived from the history as it is written) and targets per unit and year. The tallies the dashboard
reads at national scale are in ``tallies``; a workflow's own tables are in its package (``workflows/<name>/``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.localtime import naive_utc
from casework.models.base import Base, utcnow
from casework.models.org import Unit


class StateVisit(Base):
    """One stay of a case in one state, from the event that entered it to the event that left it.

    Written in the same transaction as those events (``casework.monitoring.upkeep``), so it never disagrees
    with the history; ``rebuild_visits`` in ``casework.monitoring.visits`` derives it from nothing but the events.
    It exists because a duration is a pair of events, and pairing 15 million events per dashboard view
    is far too slow.
    """

    __tablename__ = "state_visits"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "entered_seq", name="uq_state_visits_case_seq"),
        # Covering on PostgreSQL: durations and conversion rates read only this index.
        sa.Index("ix_state_visits_left", "left_at", "state",
                 postgresql_include=["days", "owning_cell_id", "next_state"]),
        sa.Index("ix_state_visits_entered", "state", "entered_at"),
        # A drill-down's stays: its cells, then the period.
        sa.Index("ix_state_visits_cell_left", "owning_cell_id", "left_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    owning_cell_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    entered_seq: Mapped[int]
    entered_at: Mapped[datetime]
    left_seq: Mapped[int | None]
    left_at: Mapped[datetime | None]
    # Where the case went next: the forecast's conversion rates read it.
    next_state: Mapped[str | None] = mapped_column(sa.String(40))
    # Calendar days, fractional; set when the visit ends.
    days: Mapped[float | None]


class Target(Base):
    """A unit's target for a year or a span of years (chỉ tiêu): a number per measure the workflows' packages
    declare (``casework.monitoring.figures.TargetMeasure``: admission's admissions and business owners among
    them, founding's new party organisations), in ``amounts``. A span lets a commune aim for 1-2 members over
    five years."""

    __tablename__ = "monitoring_targets"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year_from", "year_to", name="uq_monitoring_targets_span"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    year_from: Mapped[int]
    year_to: Mapped[int]
    # measure -> the number targeted; a measure left out is 0.
    amounts: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()

    def value(self, measure: str) -> int:
        return int((self.amounts or {}).get(measure, 0))


class WorkingDay(Base):
    """Each calendar day numbered by the working days up to it (see ``casework.monitoring.calendar``)."""

    __tablename__ = "working_calendar"

    day: Mapped[date] = mapped_column(primary_key=True)
    ordinal: Mapped[int]


def visit_days(entered_at: datetime, left_at: datetime) -> float:
    """Calendar days between two instants; naive values (SQLite) are UTC like every stored time."""
    return round((naive_utc(left_at) - naive_utc(entered_at)).total_seconds() / 86400, 4)
