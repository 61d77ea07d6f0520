"""What each tally (``casework.models.tallies``) must equal, as a grouped query over the history.

The engine's flushes keep the tallies; these queries state the same counts independently, so that a
migration or the generator can fill them in one statement and ``casework monitoring check`` can prove a
database's tallies agree with its history.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from casework.models import (
    AdmissionTally,
    Case,
    Event,
    PipelineTally,
    ReferralTally,
    ReplyTally,
    StateVisit,
    StayTally,
    Task,
    Unit,
    case_date,
)
from casework.models.tallies import (
    ADMITTED,
    OPEN_YEAR,
    PIPELINE_KEY,
    REFERRAL_KEY,
    REPLY,
    local_date,
    sql_local_day,
    sql_local_year,
    sql_whole_days,
    sub_unit_id,
    top_unit_id,
)
from workflows.admission.models import Candidate  # the business-owner split: admission's, for now

# --------------------------------------------------------------------------------------------------
# What the tallies must hold, from the history


def _tops_table(conn: sa.Connection) -> sa.Table:
    """A temporary table mapping every unit to its top and sub unit, so the grouping happens in SQL."""
    tops = sa.Table("tmp_unit_tops", sa.MetaData(), sa.Column("unit_id", sa.Integer, primary_key=True),
                    sa.Column("top_id", sa.Integer), sa.Column("sub_id", sa.Integer), prefixes=["TEMPORARY"])
    tops.drop(conn, checkfirst=True)
    tops.create(conn)
    rows = [{"unit_id": uid, "top_id": top_unit_id(path), "sub_id": sub_unit_id(path)}
            for uid, path in conn.execute(sa.select(Unit.id, Unit.path))]
    if rows:
        conn.execute(tops.insert(), rows)
    return tops


def expected_stays(conn: sa.Connection, tops: sa.Table) -> sa.Select:
    dialect = conn.dialect.name
    year = sql_local_year(dialect, StateVisit.left_at)
    days = sql_whole_days(dialect, StateVisit.days)
    return (sa.select(year.label("year"), tops.c.top_id.label("top_unit_id"), StateVisit.state,
                      StateVisit.next_state, days.label("days"), sa.func.count().label("n"))
            .join(tops, tops.c.unit_id == StateVisit.owning_cell_id)
            .where(StateVisit.left_at.is_not(None))
            .group_by(year, tops.c.top_id, StateVisit.state, StateVisit.next_state, days))


def expected_admissions(conn: sa.Connection) -> sa.Select:
    """From the events themselves: every entry into ``admitted``."""
    year = sql_local_year(conn.dialect.name, Event.occurred_at)
    org = sa.func.coalesce(Case.referring_org_id, 0)
    return (sa.select(year.label("year"), Case.owning_cell_id, org.label("referring_org_id"),
                      Candidate.is_business_owner.label("business_owner"), sa.func.count().label("n"))
            .select_from(Event).join(Case, Case.id == Event.case_id).join(Candidate, Candidate.id == Case.subject_id)
            .where(Event.to_state == ADMITTED, sa.or_(Event.from_state.is_(None), Event.from_state != ADMITTED))
            .group_by(year, Case.owning_cell_id, org, Candidate.is_business_owner))


def expected_pipeline(conn: sa.Connection, tops: sa.Table) -> sa.Select:
    """Cases by what they are now (``casework.models.tallies.pipeline_key`` says the same in Python)."""
    workplace = aliased(Unit)
    keys = [tops.c.top_id, tops.c.sub_id, Case.state, Case.source, sa.func.coalesce(workplace.ownership, ""),
            Candidate.is_business_owner, _year(Case.opened_on),
            sa.func.coalesce(_year(Case.closed_on), OPEN_YEAR)]
    return (sa.select(*[k.label(n) for k, n in zip(keys, PIPELINE_KEY, strict=True)], sa.func.count().label("n"))
            .select_from(Case).join(tops, tops.c.unit_id == Case.owning_cell_id)
            .join(Candidate, Candidate.id == Case.subject_id)
            .join(workplace, workplace.id == Candidate.workplace_unit_id).group_by(*keys))


def expected_referrals(conn: sa.Connection) -> sa.Select:
    referred_on = case_date("referral_date")  # admission's, for now
    keys = [sa.func.coalesce(Case.referring_org_id, 0), _year(referred_on)]
    return (sa.select(*[k.label(n) for k, n in zip(keys, REFERRAL_KEY, strict=True)], sa.func.count().label("n"))
            .where(referred_on.is_not(None)).group_by(*keys))


def expected_replies(conn: sa.Connection, tops: sa.Table) -> sa.Select:
    """Replies in working days through the calendar table (the same count as the engine's calendar)."""
    from casework.monitoring.calendar import fill_calendar
    from casework.monitoring.calendar import table as calendar

    last = conn.scalar(sa.select(sa.func.max(Task.completed_at)))
    fill_calendar(conn, max(date.today(), local_date(last) if last else date.today()))
    dialect = conn.dialect.name
    asked, answered = calendar.alias(), calendar.alias()
    keys = [sql_local_year(dialect, Task.completed_at), tops.c.top_id, Task.unit_id,
            answered.c.ordinal - asked.c.ordinal]
    return (sa.select(*[k.label(n) for k, n in zip(keys, REPLY_KEY, strict=True)], sa.func.count().label("n"))
            .select_from(Task).join(Case, Case.id == Task.case_id).join(tops, tops.c.unit_id == Case.owning_cell_id)
            .join(asked, asked.c.day == sql_local_day(dialect, Task.created_at))
            .join(answered, answered.c.day == sql_local_day(dialect, Task.completed_at))
            .where(Task.kind == REPLY, Task.status == "done").group_by(*keys))


REPLY_KEY = ("year", "top_unit_id", "committee_unit_id", "working_days")


def _year(date_column):
    return sa.cast(sa.extract("year", date_column), sa.Integer)


def _definitions(conn: sa.Connection, tops: sa.Table) -> list[tuple[type, sa.Select]]:
    return [(StayTally, expected_stays(conn, tops)), (AdmissionTally, expected_admissions(conn)),
            (PipelineTally, expected_pipeline(conn, tops)), (ReferralTally, expected_referrals(conn)),
            (ReplyTally, expected_replies(conn, tops))]


def rebuild(conn: sa.Connection, only: tuple[str, ...] | None = None) -> dict[str, int]:
    """Replace every tally (or the ``only`` tables named) with what the history says: after a bulk load, a
    restore or a repair, and in the migration that creates it."""
    tops = _tops_table(conn)
    out = {}
    for model, select in _definitions(conn, tops):
        table = model.__table__
        if only is not None and table.name not in only:
            continue
        conn.execute(table.delete())
        columns = [c.name for c in select.selected_columns]
        conn.execute(table.insert().from_select(columns, select))
        out[table.name] = conn.scalar(sa.select(sa.func.count()).select_from(table))
    tops.drop(conn)
    return out


@dataclass
class Disagreement:
    table: str
    key: tuple
    kept: int
    history: int


def check(conn: sa.Connection) -> list[Disagreement]:
    """Every key where a tally differs from the history (an empty list: they agree)."""
    tops = _tops_table(conn)
    found = []
    for model, select in _definitions(conn, tops):
        table = model.__table__
        keys = [c.name for c in select.selected_columns if c.name != "n"]
        expected = _counts(conn.execute(select), keys)
        kept = _counts(conn.execute(sa.select(*[table.c[k] for k in keys], table.c.n)), keys)
        for key in sorted(set(expected) | set(kept), key=repr):
            if expected.get(key, 0) != kept.get(key, 0):
                found.append(Disagreement(table.name, key, kept.get(key, 0), expected.get(key, 0)))
    tops.drop(conn)
    return found


def _counts(rows, keys: list[str]) -> Counter:
    out: Counter = Counter()
    for row in rows:
        out[tuple(getattr(row, k) for k in keys)] += row.n
    return out

