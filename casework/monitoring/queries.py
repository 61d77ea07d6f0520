"""The dashboard's figures, computed in the database from the tallies, the case projection, the state visits
and the tasks.

Plain functions over a session (no Flask), each taking the organizer's ``Scope`` and a ``Period``; every
one is a single grouped query (or two) so that it stays fast at national scale. A whole tree, or a top unit,
over whole years reads the tallies (``casework.models.tallies``) where its breakdown allows; anything
narrower reads the history itself, which is then small. Units are grouped by the scope's child they lie
under (``child_key``), which is what the drill-down shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.localtime import day_start, local_date
from casework.models import (
    Case,
    PipelineTally,
    ReplyTally,
    StateVisit,
    StayTally,
    Task,
    Unit,
)
from casework.models.org import within
from casework.models.tallies import sql_whole_days
from casework.monitoring.calendar import ensure_calendar, local_day, ordinal
from casework.monitoring.calendar import table as calendar_table
from casework.monitoring.figures import Workflows, known, subject_select
from casework.monitoring.scope import Period, Scope, child_key, children
from casework.monitoring.stats import histogram_quantiles, report_query


def _within(column, period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= day_start(period.start), column < day_start(period.end + timedelta(days=1)))


def _active_in(period: Period) -> sa.ColumnElement[bool]:
    """Cases open at some moment of the period."""
    return sa.and_(Case.opened_on <= period.end, sa.or_(Case.closed_on.is_(None), Case.closed_on >= period.start))


# --------------------------------------------------------------------------------------------------
# Pipeline


@report_query
def pipeline(session: Session, *, scope: Scope, period: Period, workflows: Workflows | None = None,
             workflow: str | None = None) -> dict[str, Any]:
    """Cases of every workflow active in the period by current state, per child unit, per source, per enterprise
    ownership and with the subject's flag separately (business owners: both given by the workflow's package,
    ``casework.monitoring.figures``): one GROUP BY over every dimension, rolled up here. ``states``: those
    counted, in their definitions' order. ``workflow``: only that workflow's cases."""
    out: dict[str, Any] = {key: Counter() for key in ("by_state", "by_source", "by_ownership", "business_owners")}
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for row in session.execute(_pipeline_counts(session, scope, period, workflow)):
        out["by_state"][row.state] += row.n
        out["by_source"][row.source] += row.n
        out["by_ownership"][row.ownership or "unknown"] += row.n
        if row.business_owner:
            out["business_owners"][row.state] += row.n
        by_unit[row.child][row.state] += row.n
    out["by_unit"] = dict(by_unit)
    out["total"] = sum(out["by_state"].values())
    out["states"] = (workflows or known()).sorted_states(out["by_state"])
    return out


def _pipeline_counts(session: Session, scope: Scope, period: Period, workflow: str | None = None) -> sa.Select:
    """(child, state, source, ownership, business_owner, n): from the pipeline tallies for a whole tree and
    whole years, else from the cases."""
    years = period.years()
    if scope.reads_tallies(period):  # the pipeline tallies also keep the unit below the top one
        t = PipelineTally
        child = tallied_child(scope, t)
        keys = [child, t.state, t.source, t.ownership, t.business_owner]
        return (sa.select(*[k.label(n) for k, n in zip(keys, PIPELINE_COLUMNS, strict=True)],
                          sa.func.sum(t.n).label("n"))
                .where(t.opened_year <= years[-1], t.closed_year >= years[0], scope.tallied(t.top_unit_id),
                       *([t.workflow == workflow] if workflow else []))
                .group_by(*keys).having(sa.func.sum(t.n) != 0))  # a count moved away leaves a row at zero
    cell, subject = aliased(Unit), subject_select()
    ownership, flag = ((subject.c.ownership, subject.c.business_owner) if subject is not None
                       else (sa.null(), sa.false()))
    keys = [child_key(session, cell.path, scope), Case.state, Case.source, ownership, flag]
    stmt = (sa.select(*[k.label(n) for k, n in zip(keys, PIPELINE_COLUMNS, strict=True)], sa.func.count().label("n"))
            .select_from(Case).join(cell, cell.id == Case.owning_cell_id))
    if subject is not None:  # outer: a case of a workflow whose package gives no subject columns counts too
        stmt = stmt.outerjoin(subject, sa.and_(subject.c.workflow == Case.workflow,
                                               subject.c.subject_id == Case.subject_id))
    return stmt.where(Case.owning_cell_id.in_(scope.units()), _active_in(period),
                      *([Case.workflow == workflow] if workflow else [])).group_by(*keys)


PIPELINE_COLUMNS = ("child", "state", "source", "ownership", "business_owner")


def tallied_child(scope: Scope, tally) -> sa.ColumnElement[str]:
    """The scope's child a tally row belongs to, keyed like ``child_key``: its top unit for a root, its sub
    unit (pipeline tallies) for a top unit; '' when that is the scope itself."""
    unit = tally.top_unit_id if scope.root else tally.sub_unit_id
    return sa.case((unit == scope.unit_id, ""), else_=sa.cast(unit, sa.String))


# --------------------------------------------------------------------------------------------------
# Time in each step


def step_durations(session: Session, *, scope: Scope, period: Period,
                   workflows: Workflows | None = None) -> dict[str, dict[str, Any]]:
    """Median and 90th percentile of days spent in each state, over the stays that ended in the period,
    with the same figures for the previous period of equal length; states in their definitions' order."""
    current = _durations(session, scope, period)
    previous = _durations(session, scope, period.previous())
    out = {}
    for state in (workflows or known()).sorted_states(set(current) | set(previous)):
        now, before = current.get(state), previous.get(state)
        out[state] = {"now": now, "before": before,
                      "change_p50": (now["p50"] - before["p50"]) if now and before else None}
    return out


def _durations(session: Session, scope: Scope, period: Period,
               workflow: str | None = None) -> dict[str, dict[str, Any]]:
    """``{state: {"n", "p50", "p90"}}`` in whole days, over the stays that ended in the period."""
    histogram = stays_select(session, scope, period, by=("state", "days"), workflow=workflow).subquery()
    return {key[0]: figures for key, figures in histogram_quantiles(session, histogram, ["state"], "days").items()}


@report_query
def stay_counts(session: Session, scope: Scope, period: Period, *, by: tuple[str, ...],
                workflow: str | None = None) -> Counter:
    """Stays that ended in the period, counted in the database by ``by``: ``{(values in the order of by): count}``."""
    return Counter({tuple(row[:-1]): int(row.n) for row in session.execute(stays_select(session, scope, period,
                                                                                       by=by, workflow=workflow))})


def stays_select(session: Session, scope: Scope, period: Period, *, by: tuple[str, ...],
                 workflow: str | None = None) -> sa.Select:
    """Stays that ended in the period (of ``workflow``'s cases only, if given), grouped by ``by`` (among
    ``child``, ``state``, ``next_state`` and ``days``, the whole days spent), with their count ``n``.

    The stay tallies answer where they can (they have no unit below the top one); otherwise the stays
    themselves, which are then few.
    """
    if scope.reads_tallies(period, below_top="child" in by):
        t = StayTally
        dims = {"state": t.state, "next_state": t.next_state, "days": t.days}
        if "child" in by:  # only for a root: a top unit's stays have no finer unit
            dims["child"] = tallied_child(scope, t)
        count = sa.func.sum(t.n)
        select_from, where = t, [t.year.in_(list(period.years())), scope.tallied(t.top_unit_id)]
        if workflow:
            where.append(t.workflow == workflow)
    else:
        cell = aliased(Unit)
        dims = {"child": child_key(session, cell.path, scope), "state": StateVisit.state,
                "next_state": StateVisit.next_state,
                "days": sql_whole_days(session.get_bind().dialect.name, StateVisit.days)}
        count = sa.func.count()
        select_from = sa.join(StateVisit, cell, cell.id == StateVisit.owning_cell_id)
        # Through the scope's cells (a short list) and the (cell, left) index: a drill-down reads its own stays
        # rather than every stay of the period.
        where = [_within(StateVisit.left_at, period), StateVisit.owning_cell_id.in_(scope.units())]
        if workflow:
            where.append(StateVisit.case_id.in_(sa.select(Case.id).where(Case.workflow == workflow)))
    keys = [dims[name].label(name) for name in by]
    return sa.select(*keys, count.label("n")).select_from(select_from).where(*where).group_by(*keys)


# --------------------------------------------------------------------------------------------------
# Bottlenecks


@report_query
def overdue_heatmap(session: Session, *, scope: Scope, today: date,
                    workflows: Workflows | None = None) -> dict[str, Any]:
    """Open tasks past their due date, counted by state (step) and by the scope's child unit."""
    # The cell's path is looked up per overdue task (a correlated subquery): there are few of them, and a join
    # would have the planner hash every case in the country.
    path = (sa.select(Unit.path).join(Case, Case.owning_cell_id == Unit.id).where(Case.id == Task.case_id)
            .correlate(Task).scalar_subquery())
    # OFFSET 0 keeps the subquery whole, so the lookup runs once per task rather than again for the filter.
    overdue = (sa.select(Task.state, path.label("path"))
               .where(Task.status == "open", Task.due_date < today).offset(0).subquery())
    child = child_key(session, overdue.c.path, scope).label("child")
    stmt = (sa.select(overdue.c.state, child, sa.func.count().label("n"))
            .where(within(overdue.c.path, scope.path)).group_by(overdue.c.state, child))
    cells: dict[tuple[str, str], int] = {}
    for row in session.execute(stmt):
        cells[(row.state, row.child)] = row.n
    units = children(session, scope)
    return {"cells": cells, "states": (workflows or known()).sorted_states({s for s, _ in cells}),
            "units": sorted({u for _, u in cells}, key=lambda k: units[k].name if k in units else k),
            "unit_names": {k: u.name for k, u in units.items()}}


@report_query
def slow_committees(session: Session, *, scope: Scope, period: Period, today: date, limit: int = 20,
                    workflows: Workflows | None = None) -> list[dict[str, Any]]:
    """The units answering the scope's cases' replies (the task kinds the definitions declare under
    ``monitoring.replies``: admission's residential committees' background checks), slowest first.

    Reply time is in working days from the request (task created) to the reply (task done), through a
    calendar table so the database does the arithmetic; replies still awaited count as waiting today.
    """
    ensure_calendar(session, max(today, period.end))
    kinds = sorted((workflows or known()).reply_kinds)
    replied = _replies(session, scope, period, kinds)
    waiting = _waiting(session, scope, today, kinds)
    # With the unit each committee belongs to: nationally many residential cells share a name.
    parent = aliased(Unit)
    names = {row.id: (row.name, row.part_of or "") for row in session.execute(
        sa.select(Unit.id, Unit.name, parent.name.label("part_of")).outerjoin(parent, parent.id == Unit.parent_id)
        .where(Unit.id.in_(set(replied) | set(waiting))))}
    rows = []
    for unit_id in set(replied) | set(waiting):
        stats = replied.get(unit_id, {"n": 0, "p50": None, "p90": None})
        pending = waiting.get(unit_id, {"open": 0, "overdue": 0, "oldest": None})
        name, part_of = names.get(unit_id, ("?", ""))
        rows.append({"unit_id": unit_id, "name": name, "part_of": part_of, "replies": stats["n"],
                     "p50": stats["p50"], "p90": stats["p90"], **pending})
    rows.sort(key=lambda r: (-(r["p50"] or 0), -(r["oldest"] or 0), r["name"]))
    return rows[:limit]


def _replies(session, scope, period, kinds: list[str]) -> dict[int, dict[str, Any]]:
    """``{committee: {"n", "p50", "p90"}}`` of reply times in working days, from the reply tallies where they
    answer, else from the tasks through the calendar table."""
    if scope.reads_tallies(period):
        t = ReplyTally
        histogram = (sa.select(t.committee_unit_id, t.working_days.label("value"), sa.func.sum(t.n).label("n"))
                     .where(t.year.in_(list(period.years())), scope.tallied(t.top_unit_id))
                     .group_by(t.committee_unit_id, t.working_days))
    else:
        asked, answered = calendar_table.alias(), calendar_table.alias()
        days = answered.c.ordinal - asked.c.ordinal
        histogram = (sa.select(Task.unit_id.label("committee_unit_id"), days.label("value"),
                               sa.func.count().label("n"))
                     .join(Case, Case.id == Task.case_id)
                     .join(asked, asked.c.day == local_day(session, Task.created_at))
                     .join(answered, answered.c.day == local_day(session, Task.completed_at))
                     .where(Task.kind.in_(kinds), Task.status == "done", scope.case_filter(),
                            _within(Task.completed_at, period))
                     .group_by(Task.unit_id, days))
    return {key[0]: figures for key, figures in
            histogram_quantiles(session, histogram.subquery(), ["committee_unit_id"]).items()}


def _waiting(session, scope, today: date, kinds: list[str]) -> dict[int, dict[str, Any]]:
    asked = calendar_table.alias()
    today_ordinal = ordinal(session, today)
    stmt = (sa.select(Task.unit_id, sa.func.count().label("open"),
                      sa.func.sum(sa.case((Task.due_date < today, 1), else_=0)).label("overdue"),
                      sa.func.min(asked.c.ordinal).label("first"))
            .join(asked, asked.c.day == local_day(session, Task.created_at))
            .where(Task.kind.in_(kinds), Task.status == "open")
            .group_by(Task.unit_id))
    if not scope.everything:  # the whole country needs no look at the cases
        stmt = stmt.where(Task.case_id.in_(sa.select(Case.id).where(scope.case_filter())))
    return {row.unit_id: {"open": row.open, "overdue": int(row.overdue or 0), "oldest": today_ordinal - row.first}
            for row in session.execute(stmt)}


@report_query
def stuck_cases(session: Session, *, scope: Scope, today: date, limit: int = 20,
                workflows: Workflows | None = None) -> list[dict[str, Any]]:
    """The open cases of every workflow that have waited longest in their current state (but for the states
    its definition says are a wait by design, ``monitoring.waiting_by_design``: admission's probation), with
    whether a task of theirs is overdue."""
    overdue = sa.exists().where(Task.case_id == Case.id, Task.status == "open", Task.due_date < today)
    by_design = [sa.and_(Case.workflow == name, Case.state.in_(sorted(states)))
                 for name, states in sorted((workflows or known()).waiting_by_design.items())]
    stmt = (sa.select(Case.id, Case.state, Case.stage, Case.state_entered_at, Case.owning_cell_id,
                      Case.title, overdue.label("overdue"))
            .where(Case.closed_on.is_(None), *([sa.not_(sa.or_(*by_design))] if by_design else []),
                   scope.case_filter())
            .order_by(Case.state_entered_at, Case.id).limit(limit))
    rows = session.execute(stmt).all()
    names = dict(session.execute(sa.select(Unit.id, Unit.name).where(
        Unit.id.in_({r.owning_cell_id for r in rows}))).all())
    return [{"case_id": r.id, "url": f"/cases/{r.id}", "state": r.state, "stage": r.stage,
             "title": r.title, "cell": names.get(r.owning_cell_id, "?"), "overdue": bool(r.overdue),
             "since": local_date(r.state_entered_at), "days": (today - local_date(r.state_entered_at)).days}
            for r in rows]


def ids_in_path(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]
