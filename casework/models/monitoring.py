"""What the organizing department monitors beyond the cases themselves: how long each case stayed in each
state (derived from the history as it is written), targets per unit and year, and the register of party
organisations founded in enterprises. The tallies the dashboard reads at national scale are in ``tallies``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casework.localtime import naive_utc
from casework.models import tallies
from casework.models.base import Base, utcnow
from casework.models.cases import Event
from casework.models.org import Unit


class StateVisit(Base):
    """One stay of a case in one state, from the event that entered it to the event that left it.

    Written in the same flush as those events (see ``_record_visits``), so it never disagrees with the
    history; ``rebuild_visits`` in ``casework.monitoring.visits`` derives it from nothing but the events.
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
    """A unit's target for a year or a span of years (chỉ tiêu): admissions, business owners among them,
    new party organisations in enterprises. A span lets a commune aim for 1-2 members over five years."""

    __tablename__ = "monitoring_targets"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year_from", "year_to", name="uq_monitoring_targets_span"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    year_from: Mapped[int]
    year_to: Mapped[int]
    admissions: Mapped[int] = mapped_column(default=0)
    business_owners: Mapped[int] = mapped_column(default=0)
    new_party_orgs: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()


class PartyOrgFounding(Base):
    """A party organisation founded in an enterprise (thành lập tổ chức đảng trong doanh nghiệp)."""

    __tablename__ = "party_org_foundings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    founded_on: Mapped[date] = mapped_column(index=True)
    ownership: Mapped[str] = mapped_column(sa.String(32))
    decision_number: Mapped[str] = mapped_column(sa.String(50))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    notes: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Unit] = relationship(foreign_keys=[enterprise_id])


class WorkingDay(Base):
    """Each calendar day numbered by the working days up to it (see ``casework.monitoring.calendar``)."""

    __tablename__ = "working_calendar"

    day: Mapped[date] = mapped_column(primary_key=True)
    ordinal: Mapped[int]


def visit_days(entered_at: datetime, left_at: datetime) -> float:
    """Calendar days between two instants; naive values (SQLite) are UTC like every stored time."""
    return round((naive_utc(left_at) - naive_utc(entered_at)).total_seconds() / 86400, 4)


@sa_event.listens_for(Session, "after_flush")
def _record_visits(session: Session, flush_context) -> None:
    """Each state-changing event closes the case's open visit and opens the next, and the tallies count what
    ended or was admitted, all in the same transaction as the event."""
    entering = [obj for obj in session.new if isinstance(obj, Event) and obj.from_state != obj.to_state]
    tallies.recount_business_owners(session, {e.id for e in entering})
    if not entering:
        return
    conn = session.connection()
    table = StateVisit.__table__
    stays: Counter = Counter()
    admissions: Counter = Counter()
    for event in sorted(entering, key=lambda e: (e.case_id, e.seq)):
        case = event.case
        open_visit = conn.execute(sa.select(table.c.id, table.c.state, table.c.entered_at).where(
            table.c.case_id == event.case_id, table.c.left_at.is_(None))).first()
        if open_visit is not None:
            days = visit_days(open_visit.entered_at, event.occurred_at)
            conn.execute(table.update().where(table.c.id == open_visit.id).values(
                left_seq=event.seq, left_at=event.occurred_at, next_state=event.to_state, days=days))
            stays[(case.owning_cell_id, open_visit.state, event.to_state,
                   tallies.local_year(event.occurred_at), tallies.whole_days(days))] += 1
        conn.execute(table.insert().values(case_id=event.case_id, owning_cell_id=case.owning_cell_id,
                                           state=event.to_state, entered_seq=event.seq,
                                           entered_at=event.occurred_at))
        if event.to_state == tallies.ADMITTED:
            admissions[(tallies.local_year(event.occurred_at), case.owning_cell_id, case.referring_org_id or 0,
                        tallies.business_owner_now(conn, case.candidate_id))] += 1
    tallies.count_stays(conn, stays)
    tallies.count_admissions(conn, admissions)


