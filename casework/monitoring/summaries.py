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

from casework.models import (
    Case,
    PipelineTally,
    ReferralTally,
    ReplyTally,
    StateVisit,
    StayTally,
    Task,
    Unit,
)
from casework.models.tallies import (
    OPEN_YEAR,
    PIPELINE_KEY,
    REFERRAL_KEY,
    local_date,
    sql_local_day,
    sql_local_year,
    sql_whole_days,
    sub_unit_id,
    top_unit_id,
)
from casework.monitoring.at_once import on_connections
from casework.monitoring.figures import Workflows, known, referred_on, registered, subject_select

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
                      StateVisit.next_state, days.label("days"), Case.workflow, sa.func.count().label("n"))
            .join(tops, tops.c.unit_id == StateVisit.owning_cell_id).join(Case, Case.id == StateVisit.case_id)
            .where(StateVisit.left_at.is_not(None))
            .group_by(year, tops.c.top_id, StateVisit.state, StateVisit.next_state, days, Case.workflow))


def expected_pipeline(conn: sa.Connection, tops: sa.Table) -> sa.Select:
    """Cases of every workflow by what they are now (``casework.monitoring.upkeep.pipeline_key`` says the same
    in Python), their subject's columns from the workflow's package (outer: '' and false without one)."""
    subject = subject_select()
    ownership, flag = ((sa.func.coalesce(subject.c.ownership, ""), sa.func.coalesce(subject.c.business_owner,
                                                                                     sa.false()))
                       if subject is not None else (sa.literal(""), sa.false()))
    keys = [tops.c.top_id, tops.c.sub_id, Case.state, Case.source, ownership, flag, _year(Case.opened_on),
            sa.func.coalesce(_year(Case.closed_on), OPEN_YEAR), Case.workflow]
    stmt = (sa.select(*[k.label(n) for k, n in zip(keys, PIPELINE_KEY, strict=True)], sa.func.count().label("n"))
            .select_from(Case).join(tops, tops.c.unit_id == Case.owning_cell_id))
    if subject is not None:
        stmt = stmt.outerjoin(subject, sa.and_(subject.c.workflow == Case.workflow,
                                               subject.c.subject_id == Case.subject_id))
    return stmt.group_by(*keys)


def expected_referrals(conn: sa.Connection, workflows: Workflows) -> sa.Select:
    """Cases by referring organisation and the year of the date their definition declares as
    ``monitoring.referred_on``."""
    referred = referred_on(workflows)
    if referred is None:
        referred = sa.null()
    keys = [sa.func.coalesce(Case.referring_org_id, 0), _year(referred)]
    return (sa.select(*[k.label(n) for k, n in zip(keys, REFERRAL_KEY, strict=True)], sa.func.count().label("n"))
            .where(referred.is_not(None)).group_by(*keys))


def expected_replies(conn: sa.Connection, tops: sa.Table, workflows: Workflows) -> sa.Select:
    """Replies (the task kinds the definitions declare under ``monitoring.replies``) in working days through the
    calendar table (the same count as the engine's calendar)."""
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
            .where(Task.kind.in_(sorted(workflows.reply_kinds)), Task.status == "done").group_by(*keys))


REPLY_KEY = ("year", "top_unit_id", "committee_unit_id", "working_days")


def _year(date_column):
    return sa.cast(sa.extract("year", date_column), sa.Integer)


def _definitions(conn: sa.Connection, tops: sa.Table) -> list[tuple[type, sa.Select]]:
    """Every tally with its query: the generic ones and those the workflows' packages register."""
    workflows = known()  # reads the definitions, which registers the packages' tallies
    own = [(model, expected(conn, tops)) for package in registered() for model, expected in package.tallies]
    return [(StayTally, expected_stays(conn, tops)), *own, (PipelineTally, expected_pipeline(conn, tops)),
            (ReferralTally, expected_referrals(conn, workflows)), (ReplyTally, expected_replies(conn, tops, workflows))]


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


def rebuild_at_once(engine: sa.Engine, connections: int = 2) -> dict[str, int]:
    """``rebuild`` on PostgreSQL after a bulk load, the tallies on ``connections`` connections at once, each
    tally in a transaction of its own (the largest first): each is one grouped query the server runs on one core,
    so two at a time keep both busy (a million generated cases: 44 s one after another). Stopped half way, it
    leaves each tally either as it was or rebuilt, and running it again rebuilds them all."""
    with engine.begin() as conn:  # the working-day calendar the replies are counted on, filled once
        tops = _tops_table(conn)
        pending = [model.__table__ for model, _ in _definitions(conn, tops)]
        tops.drop(conn)
    pending.sort(key=lambda table: table.name not in _LARGEST)
    counts: dict[str, int] = {}

    def run(conn: sa.Connection, table: sa.Table) -> None:
        counts.update(rebuild(conn, only=(table.name,)))
        conn.commit()

    on_connections(engine.connect, pending, run, connections)
    return counts


# The tallies counted over the largest tables (every stay; every reply task), started first.
_LARGEST = ("stay_tallies", "reply_tallies")


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

