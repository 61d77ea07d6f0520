"""The tallies (``stay_tallies``, ``admission_tallies``): what they must equal, rebuilt and checked from the
history, and read by the dashboard.

The engine's flush keeps them (``casework.models.monitoring``); this module states the same figures as
grouped queries over the history, so that a migration or the generator can fill them in one statement, and
``casework monitoring check`` can prove a database's tallies agree with its history.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from casework.models import AdmissionTally, Candidate, Case, Event, StateVisit, StayTally, Unit
from casework.models.monitoring import ADMITTED, sql_local_year, sql_whole_days, top_unit_id

# --------------------------------------------------------------------------------------------------
# What the tallies must hold, from the history


def _tops_table(conn: sa.Connection) -> sa.Table:
    """A temporary table mapping every unit to its top unit, so the grouping happens in SQL."""
    tops = sa.Table("tmp_unit_tops", sa.MetaData(), sa.Column("unit_id", sa.Integer, primary_key=True),
                    sa.Column("top_id", sa.Integer), prefixes=["TEMPORARY"])
    tops.drop(conn, checkfirst=True)
    tops.create(conn)
    rows = [{"unit_id": uid, "top_id": top_unit_id(path)}
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
            .select_from(Event).join(Case, Case.id == Event.case_id).join(Candidate, Candidate.id == Case.candidate_id)
            .where(Event.to_state == ADMITTED, sa.or_(Event.from_state.is_(None), Event.from_state != ADMITTED))
            .group_by(year, Case.owning_cell_id, org, Candidate.is_business_owner))


def rebuild(conn: sa.Connection) -> dict[str, int]:
    """Replace both tallies with what the history says (after a bulk load, a restore or a repair)."""
    tops = _tops_table(conn)
    out = {}
    for model, select in ((StayTally, expected_stays(conn, tops)), (AdmissionTally, expected_admissions(conn))):
        table = model.__table__
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
    for model, select in ((StayTally, expected_stays(conn, tops)), (AdmissionTally, expected_admissions(conn))):
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

