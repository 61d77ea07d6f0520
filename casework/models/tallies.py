"""Tallies: counts kept beside the history, in the flush that changes it, so the national dashboard reads a
few thousand rows instead of scanning millions. Each has a definition as a grouped query over the history
(``casework.monitoring.summaries``), which rebuilds it and checks it agrees.

- ``StayTally``: stays per top unit, state, next state, year and whole days (durations, conversion rates);
- ``AdmissionTally``: admissions per cell, referring organisation, year and business ownership (targets);
- ``PipelineTally``: cases per top unit, state, source, ownership, business ownership and the years they
  opened and closed (the pipeline);
- ``ReferralTally``: referrals per referring organisation and year (the unions' table);
- ``ReplyTally``: background-check replies per top unit, committee, year and working days taken.

A top unit is the owning cell's ancestor just below a root of the tree: a province in a national tree, a
commune in a provincial one.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from casework.localtime import LOCAL_TZ, local_date
from casework.models.base import Base
from casework.models.cases import Candidate, Case, Event, Task
from casework.models.org import Unit


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


class PipelineTally(Base):
    """Cases per top unit and the unit below it (``sub_unit_id``: a province's communes, so a province's own
    dashboard can break its pipeline down too), current state, source, workplace ownership ('' unknown),
    business ownership and the years the case opened and closed (``OPEN_YEAR`` while open): the pipeline of
    any span of whole years."""

    __tablename__ = "pipeline_tallies"
    __table_args__ = (sa.UniqueConstraint("top_unit_id", "sub_unit_id", "state", "source", "ownership",
                                          "business_owner", "opened_year", "closed_year",
                                          name="uq_pipeline_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    sub_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(20))
    ownership: Mapped[str] = mapped_column(sa.String(32))
    business_owner: Mapped[bool]
    opened_year: Mapped[int]
    closed_year: Mapped[int]
    n: Mapped[int]


class ReferralTally(Base):
    """Referrals per referring organisation (0: none) and year of the referral date."""

    __tablename__ = "referral_tallies"
    __table_args__ = (sa.UniqueConstraint("referring_org_id", "year", name="uq_referral_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referring_org_id: Mapped[int]
    year: Mapped[int]
    n: Mapped[int]


class ReplyTally(Base):
    """Background-check replies per top unit (of the case), residential committee, year of the reply and
    working days from the request to the reply: the slowest committees of a whole tree."""

    __tablename__ = "reply_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "top_unit_id", "committee_unit_id", "working_days",
                                          name="uq_reply_tallies_key"),
                      # A year's histograms in committee order, read from the index alone (PostgreSQL): the
                      # quantiles' running counts then need no sort.
                      sa.Index("ix_reply_tallies_committee", "year", "committee_unit_id", "working_days",
                               postgresql_include=["n", "top_unit_id"]))

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    committee_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    year: Mapped[int]
    working_days: Mapped[int]
    n: Mapped[int]


# The task kind whose completion is a residential committee's reply.
REPLY = "confirm_background"
OPEN_YEAR = 9999
PIPELINE_KEY = ("top_unit_id", "sub_unit_id", "state", "source", "ownership", "business_owner", "opened_year",
                "closed_year")
REFERRAL_KEY = ("referring_org_id", "year")


# The state whose entry is an admission (the decision taken); the tallies count entries into it.
ADMITTED = "admitted"


def local_year(moment: datetime) -> int:
    return local_date(moment).year


def whole_days(days: float) -> int:
    """Completed days of a stay: what the tallies count and every duration figure is computed from."""
    return math.floor(days)


def sql_local_day(dialect: str, column):
    """``local_year``'s day in SQL: the Vietnamese calendar day of a UTC timestamp column."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(LOCAL_TZ.key, column), sa.Date)
    return sa.func.date(column, "+7 hours")  # SQLite knows no zones; Vietnam keeps UTC+7 all year


def sql_local_year(dialect: str, column):
    return sa.cast(sa.extract("year", sql_local_day(dialect, column)), sa.Integer)


def sql_whole_days(dialect: str, column):
    """``whole_days`` in SQL."""
    return sql_floor(dialect, column)


def sql_floor(dialect: str, expression):
    """The integer floor of a non-negative number (PostgreSQL's cast rounds, so floor first; SQLite's cast
    truncates, which for non-negative numbers is the floor)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(expression), sa.Integer)
    return sa.cast(expression, sa.Integer)


def top_unit_id(path: str) -> int:
    """The unit just below the root on a materialised path ('/1/7/30/' → 7); a root's own id for a root."""
    parts = [int(p) for p in path.strip("/").split("/")]
    return parts[1] if len(parts) > 1 else parts[0]


def sub_unit_id(path: str) -> int:
    """The unit just below the top unit ('/1/7/30/44/' → 30), or the deepest unit of a shorter path."""
    parts = [int(p) for p in path.strip("/").split("/")]
    return parts[min(2, len(parts) - 1)]


def business_owner_now(conn: sa.Connection, candidate_id: int) -> bool:
    """Read from the database at the flush, not from the session: a correction committed meanwhile by
    someone else is then counted where it belongs."""
    return bool(conn.scalar(sa.select(Candidate.is_business_owner).where(Candidate.id == candidate_id)))


def recount_business_owners(session: Session, counted_now: set[int]) -> None:
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


def count_stays(conn: sa.Connection, stays: Counter) -> None:
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


def count_admissions(conn: sa.Connection, admissions: Counter) -> None:
    for (year, cell, org, owner), n in sorted(admissions.items()):
        _add(conn, AdmissionTally.__table__, {"year": year, "owning_cell_id": cell, "referring_org_id": org,
                                              "business_owner": owner}, n)


def _add(conn: sa.Connection, table: sa.Table, key: dict, n: int) -> None:
    """Add ``n`` to the tally row with this key, creating it if needed, in one atomic statement (two web
    processes counting into the same row wait for each other instead of losing a count). Keys are added in
    sorted order so two flushes never take the same rows in opposite order."""
    conn.execute(_upsert(conn.dialect.name, table.name), {**key, "n": n})


@functools.cache
def _upsert(dialect: str, table_name: str) -> sa.Insert:
    """The statement ``_add`` runs, built once per table: building it took longer than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Base.metadata.tables[table_name]
    (key,) = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=[c.name for c in key.columns],
                                      set_={"n": table.c.n + stmt.excluded.n})


# --------------------------------------------------------------------------------------------------
# Tallies keyed by what a case is now: each flush reads the keys of the cases it touches before and after,
# and moves their counts. The keys come from one query, so whatever changes a key (a step, a closed case, a
# corrected register, an enterprise's ownership, a cell moved) moves the count.


def case_keys(conn: sa.Connection, case_ids: set[int], *, lock: bool = False) -> dict[int, tuple[tuple, tuple]]:
    """``{case id: (pipeline key, referral key)}`` as the database holds them now.

    With ``lock`` (the reading before a flush) the cases' rows are locked first, for the rest of the
    transaction (PostgreSQL), and the keys read afterwards by a statement of their own. A concurrent change
    to the same keys, say a step on a case while its enterprise's ownership is corrected, then waits and
    reads what the other left, instead of both moving a count from the same old key. (Read in the locking
    statement itself, the enterprise would still show the value from before the wait.)"""
    if not case_ids:
        return {}
    if lock:
        conn.execute(_lock_query(), {"ids": list(case_ids)})
    rows = conn.execute(_keys_query(), {"ids": list(case_ids)})
    return {row.id: (pipeline_key(row), referral_key(row)) for row in rows}


@functools.cache
def _keys_query() -> sa.Select:
    """Built once: constructing an ORM select costs milliseconds, and every step runs this twice."""
    cell, workplace = aliased(Unit), aliased(Unit)
    return (sa.select(Case.id, cell.path, Case.state, Case.source, workplace.ownership, Candidate.is_business_owner,
                      Case.opened_on, Case.closed_on, Case.referring_org_id, Case.referral_date)
            .join(cell, cell.id == Case.owning_cell_id).join(Candidate, Candidate.id == Case.candidate_id)
            .join(workplace, workplace.id == Candidate.workplace_unit_id)
            .where(Case.id.in_(sa.bindparam("ids", expanding=True))))


@functools.cache
def _lock_query() -> sa.Select:
    return sa.select(Case.id).where(Case.id.in_(sa.bindparam("ids", expanding=True))).with_for_update()


def pipeline_key(row: Any) -> tuple:
    return (top_unit_id(row.path), sub_unit_id(row.path), row.state, row.source, row.ownership or "",
            bool(row.is_business_owner), row.opened_on.year, row.closed_on.year if row.closed_on else OPEN_YEAR)


def referral_key(row: Any) -> tuple | None:
    return (row.referring_org_id or 0, row.referral_date.year) if row.referral_date else None


# What the keys are made of, per model: a flush that changes none of these leaves every key as it was.
KEY_ATTRIBUTES = {
    Case: ("state", "source", "opened_on", "closed_on", "owning_cell_id", "candidate_id", "referring_org_id",
           "referral_date"),
    Candidate: ("is_business_owner", "workplace_unit_id"),
    Unit: ("ownership", "path"),
}


def _changed(session: Session, model: type) -> list[int]:
    """Ids of saved ``model`` rows whose key attributes this flush changes (most flushes change none)."""
    names = KEY_ATTRIBUTES[model]
    return [obj.id for obj in session.dirty if isinstance(obj, model) and obj.id is not None
            and any(sa.inspect(obj).attrs[name].history.has_changes() for name in names)]


def _touched_cases(session: Session) -> set[int]:
    """Saved cases whose keys this flush may change: the cases themselves, and the cases of candidates,
    workplaces and cells being changed."""
    ids = set(_changed(session, Case))
    candidates, units = _changed(session, Candidate), _changed(session, Unit)
    if candidates or units:
        workplace_of = sa.select(Candidate.id).where(Candidate.workplace_unit_id.in_(units))
        ids |= set(session.connection().scalars(sa.select(Case.id).where(sa.or_(
            Case.candidate_id.in_(candidates), Case.owning_cell_id.in_(units), Case.candidate_id.in_(workplace_of)))))
    return ids


@sa_event.listens_for(Session, "before_flush")
def _keys_before(session: Session, flush_context, instances) -> None:
    touched = _touched_cases(session)
    session.info["casework_case_keys"] = case_keys(session.connection(), touched, lock=True) if touched else {}


@sa_event.listens_for(Session, "after_flush")
def _move_counts(session: Session, flush_context) -> None:
    before = session.info.pop("casework_case_keys", {})
    new = {c.id for c in session.new if isinstance(c, Case)}
    if not before and not new:
        return
    conn = session.connection()
    after = case_keys(conn, set(before) | new)
    pipeline, referrals = Counter(), Counter()
    for case_id in set(before) | new:
        old_keys, new_keys = before.get(case_id, (None, None)), after.get(case_id, (None, None))
        for counter, old, now in ((pipeline, old_keys[0], new_keys[0]), (referrals, old_keys[1], new_keys[1])):
            if old != now:
                if old is not None:
                    counter[old] -= 1
                if now is not None:
                    counter[now] += 1
    for table, names, counter in ((PipelineTally.__table__, PIPELINE_KEY, pipeline),
                                  (ReferralTally.__table__, REFERRAL_KEY, referrals)):
        for key, n in sorted(counter.items()):
            if n:
                _add(conn, table, dict(zip(names, key, strict=True)), n)


# --------------------------------------------------------------------------------------------------
# Replies: counted when the committee's task is done.


@sa_event.listens_for(Session, "after_flush")
def _count_replies(session: Session, flush_context) -> None:
    replied = [t for t in list(session.new) + list(session.dirty) if isinstance(t, Task) and t.kind == REPLY
               and t.status == "done" and "done" in sa.inspect(t).attrs.status.history.added]
    if not replied:
        return
    from casework.engine.calendar import working_days_between  # the engine imports the models

    conn = session.connection()
    paths = dict(conn.execute(sa.select(Case.id, Unit.path).join(Unit, Unit.id == Case.owning_cell_id)
                              .where(Case.id.in_({t.case_id for t in replied}))).all())
    counts: Counter = Counter()
    for task in replied:
        days = working_days_between(local_date(task.created_at), local_date(task.completed_at))
        counts[(local_year(task.completed_at), top_unit_id(paths[task.case_id]), task.unit_id, days)] += 1
    for (year, top, committee, days), n in sorted(counts.items()):
        _add(conn, ReplyTally.__table__, {"year": year, "top_unit_id": top, "committee_unit_id": committee,
                                          "working_days": days}, n)
