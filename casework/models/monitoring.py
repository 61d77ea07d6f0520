"""What the organizing department monitors beyond the cases themselves: how long each case stayed in each
state (derived from the history as it is written), targets per unit and year, and the register of party
organisations founded in enterprises.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casework.models.base import Base, utcnow
from casework.models.cases import Candidate, Case, Event
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


class StayTally(Base):
    """How many stays in ``state`` that ended in ``year`` (Vietnamese calendar) moved on to ``next_state`` after
    ``days`` whole days, per top unit (the owning cell's ancestor just below a root of the tree).

    A histogram of ``state_visits``: the national dashboard reads a few thousand of these rows instead of
    pairing millions of stays, and a median from it is exact because durations are counted in whole days.
    Kept in the same flush as the visit it counts; ``casework.monitoring.summaries`` rebuilds it from the
    visits and checks the two agree.
    """

    __tablename__ = "stay_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "top_unit_id", "state", "next_state", "days",
                                          name="uq_stay_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    next_state: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    days: Mapped[int]
    n: Mapped[int]


class AdmissionTally(Base):
    """Admissions (entering ``admitted``) per owning cell, referring organisation (0: none), year and whether
    the candidate owns a business: what targets, forecasts and the unions' table count."""

    __tablename__ = "admission_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "owning_cell_id", "referring_org_id", "business_owner",
                                          name="uq_admission_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owning_cell_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    # No foreign key: 0 stands for "referred by no organisation" so the unique key can match it.
    referring_org_id: Mapped[int]
    year: Mapped[int]
    business_owner: Mapped[bool]
    n: Mapped[int]


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
    return round((_naive_utc(left_at) - _naive_utc(entered_at)).total_seconds() / 86400, 4)


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


# The state whose entry is an admission (the decision taken); the tallies count entries into it.
ADMITTED = "admitted"
# Vietnam keeps UTC+7 all year; the same zone as the engine's LOCAL_TZ (not imported: the engine imports models).
_LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def local_year(moment: datetime) -> int:
    return _naive_utc(moment).replace(tzinfo=UTC).astimezone(_LOCAL).year


def whole_days(days: float) -> int:
    """Completed days of a stay: what the tallies count and every duration figure is computed from."""
    return math.floor(days)


def sql_local_day(dialect: str, column):
    """``local_year``'s day in SQL: the Vietnamese calendar day of a UTC timestamp column."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("Asia/Ho_Chi_Minh", column), sa.Date)
    return sa.func.date(column, "+7 hours")


def sql_local_year(dialect: str, column):
    return sa.cast(sa.extract("year", sql_local_day(dialect, column)), sa.Integer)


def sql_whole_days(dialect: str, column):
    """``whole_days`` in SQL (durations are never negative, so SQLite's truncating cast is the floor)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(column), sa.Integer)
    return sa.cast(column, sa.Integer)


def top_unit_id(path: str) -> int:
    """The unit just below the root on a materialised path ('/1/7/30/' → 7); a root's own id for a root."""
    parts = [int(p) for p in path.strip("/").split("/")]
    return parts[1] if len(parts) > 1 else parts[0]


@sa_event.listens_for(Session, "after_flush")
def _record_visits(session: Session, flush_context) -> None:
    """Each state-changing event closes the case's open visit and opens the next, and the tallies count what
    ended or was admitted, all in the same transaction as the event."""
    entering = [obj for obj in session.new if isinstance(obj, Event) and obj.from_state != obj.to_state]
    _recount_business_owners(session, {e.id for e in entering})
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
            stays[(case.owning_cell_id, open_visit.state, event.to_state, local_year(event.occurred_at),
                   whole_days(days))] += 1
        conn.execute(table.insert().values(case_id=event.case_id, owning_cell_id=case.owning_cell_id,
                                           state=event.to_state, entered_seq=event.seq,
                                           entered_at=event.occurred_at))
        if event.to_state == ADMITTED:
            admissions[(local_year(event.occurred_at), case.owning_cell_id, case.referring_org_id or 0,
                        bool(case.candidate.is_business_owner))] += 1
    _count_stays(conn, stays)
    _count_admissions(conn, admissions)


def _recount_business_owners(session: Session, counted_now: set[int]) -> None:
    """A candidate whose business ownership was corrected moves their admissions to the matching tally rows
    (admissions counted in this same flush already used the new value)."""
    changed = [c for c in session.dirty if isinstance(c, Candidate)
               and sa.inspect(c).attrs.is_business_owner.history.has_changes()]
    for candidate in changed:
        conn = session.connection()
        year = sql_local_year(conn.dialect.name, Event.occurred_at)
        rows = conn.execute(
            sa.select(year.label("year"), Case.owning_cell_id, Case.referring_org_id, sa.func.count().label("n"))
            .select_from(Event).join(Case, Case.id == Event.case_id)
            .where(Case.candidate_id == candidate.id, Event.to_state == ADMITTED, Event.from_state != ADMITTED,
                   Event.id.not_in(counted_now))
            .group_by(year, Case.owning_cell_id, Case.referring_org_id)).all()
        now = bool(candidate.is_business_owner)
        for row in rows:
            key = {"year": int(row.year), "owning_cell_id": row.owning_cell_id,
                   "referring_org_id": row.referring_org_id or 0}
            _add(conn, AdmissionTally.__table__, {**key, "business_owner": not now}, -row.n)
            _add(conn, AdmissionTally.__table__, {**key, "business_owner": now}, row.n)


def _count_stays(conn: sa.Connection, stays: Counter) -> None:
    if not stays:
        return
    units = Unit.__table__
    paths = dict(conn.execute(sa.select(units.c.id, units.c.path).where(
        units.c.id.in_({cell for cell, *_ in stays}))).all())
    tallies: Counter = Counter()
    for (cell, state, next_state, year, days), n in stays.items():
        tallies[(year, top_unit_id(paths[cell]), state, next_state, days)] += n
    for (year, top, state, next_state, days), n in sorted(tallies.items()):
        _add(conn, StayTally.__table__, {"year": year, "top_unit_id": top, "state": state,
                                        "next_state": next_state, "days": days}, n)


def _count_admissions(conn: sa.Connection, admissions: Counter) -> None:
    for (year, cell, org, owner), n in sorted(admissions.items()):
        _add(conn, AdmissionTally.__table__, {"year": year, "owning_cell_id": cell, "referring_org_id": org,
                                              "business_owner": owner}, n)


def _add(conn: sa.Connection, table: sa.Table, key: dict, n: int) -> None:
    """Add ``n`` to the tally row with this key, creating it if needed, in one atomic statement (two web
    processes counting into the same row wait for each other instead of losing a count). Keys are added in
    sorted order so two flushes never take the same rows in opposite order."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**key, n=n)
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_={"n": table.c.n + stmt.excluded.n}))
