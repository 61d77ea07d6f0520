"""Every dashboard figure against the same figure computed here, independently, from the event history."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from casework.engine.calendar import working_days_between
from casework.monitoring import queries
from casework.monitoring.figures import known
from casework.monitoring.scope import Period, Scope
from tests.monitoring.conftest import TERMINAL, TODAY, YEAR, communes, count_by_state, local_day, quantiles
from workflows.admission import monitoring as admission_monitoring

# Admission's main line before the decision, as its definition declares it (monitoring.main_line_until).
PRE_ADMISSION = known().main_line("admission")[:-1]

PERIOD = Period.year(YEAR)
# The whole tree and a top unit (a commune of the generated province) read the tallies where they can; a
# grassroots committee below it reads the cases, stays and tasks themselves.
SCOPES = ["root", "commune", "grassroots"]


def scope_unit(history, province, where: str) -> int:
    """The unit of that level with the most cases, so that every figure has something to count."""
    if where == "root":
        return province["root_unit_id"]
    kind = "commune_committee" if where == "commune" else "grassroots_committee"
    units = [u for u in history.units.values() if u.kind == kind]
    return max(units, key=lambda u: sum(history.under(u.id, c.owning_cell_id) for c in history.cases.values())).id


def _ownership(history, case) -> str:
    """The ownership a case is counted under: an admission candidate's workplace's, a founding case's enterprise's
    (its subject is the enterprise unit itself)."""
    unit = case.candidate.workplace_unit if case.workflow == "admission" else history.units[case.subject_id]
    return unit.ownership or "unknown"


def child_of(history, scope_unit_id, cell_id) -> str:
    """The scope's child a cell lies under, from the unit's parents (not from its path string)."""
    unit = history.units[cell_id]
    while unit.parent_id != scope_unit_id:
        unit = history.units[unit.parent_id]
    return str(unit.id)


@pytest.mark.parametrize("where", SCOPES)
def test_pipeline_counts_cases_by_state_unit_source_and_ownership(gsession, history, province, where):
    """At the root the pipeline tallies answer, in a commune the cases themselves."""
    root = scope_unit(history, province, where)
    scope = Scope.of(gsession, root)
    data = queries.pipeline(gsession, scope=scope, period=PERIOD)
    assert data["by_state"] == count_by_state(history, PERIOD.start, PERIOD.end, root)
    active = [cid for cid in history.events
              if _active(history, cid) and history.under(root, history.cases[cid].owning_cell_id)]
    assert active
    assert data["by_source"] == Counter(history.cases[c].source for c in active)
    assert data["by_ownership"] == Counter(_ownership(history, history.cases[c]) for c in active)
    owners = Counter(history.changes(c)[-1].to_state for c in active
                     if history.cases[c].candidate is not None and history.cases[c].candidate.is_business_owner)
    assert data["business_owners"] == owners
    per_unit = defaultdict(Counter)
    for c in active:
        per_unit[child_of(history, root, history.cases[c].owning_cell_id)][history.changes(c)[-1].to_state] += 1
    assert data["by_unit"] == per_unit


def _active(history, case_id) -> bool:
    events = history.events[case_id]
    closing = [e for e in events if e.to_state in TERMINAL]
    return local_day(events[0].occurred_at) <= PERIOD.end and (
        not closing or local_day(closing[0].occurred_at) >= PERIOD.start)


@pytest.mark.parametrize("where", SCOPES)
def test_step_durations_match_paired_events_in_this_and_the_previous_period(gsession, history, province, where):
    """At the root the stay tallies answer, in a commune the stays themselves: the same figures either way,
    in whole days."""
    unit_id = scope_unit(history, province, where)
    scope = Scope.of(gsession, unit_id)
    figures = queries.step_durations(gsession, scope=scope, period=PERIOD)
    for period, key in ((PERIOD, "now"), (PERIOD.previous(), "before")):
        expected = defaultdict(list)
        for case_id, state, _entered, left, days in history.stays():
            if period.start <= local_day(left) <= period.end and history.under(
                    unit_id, history.cases[case_id].owning_cell_id):
                expected[state].append(math.floor(days))
        assert {s for s, f in figures.items() if f[key]} == set(expected)
        for state, values in expected.items():
            p50, p90 = quantiles(values)
            got = figures[state][key]
            assert got["n"] == len(values)
            assert got["p50"] == pytest.approx(p50, abs=1e-9)
            assert got["p90"] == pytest.approx(p90, abs=1e-9)
    some = next(f for f in figures.values() if f["now"] and f["before"])
    assert some["change_p50"] == pytest.approx(some["now"]["p50"] - some["before"]["p50"])


def test_overdue_heat_map_counts_open_tasks_past_due_by_step_and_unit(gsession, history, province):
    root = province["root_unit_id"]
    heat = queries.overdue_heatmap(gsession, scope=Scope.of(gsession, root), today=TODAY)
    expected = Counter()
    for task in history.tasks:
        if task.status == "open" and task.due_date and task.due_date < TODAY:
            expected[(task.state, child_of(history, root, history.cases[task.case_id].owning_cell_id))] += 1
    assert heat["cells"] == expected
    assert expected, "the generated province has overdue work"


@pytest.mark.parametrize("where", SCOPES)
@pytest.mark.parametrize("year", [YEAR, YEAR - 1])
def test_slow_committees_reply_times_in_working_days(gsession, history, province, where, year):
    """The root and a commune read the reply tallies, a grassroots committee the tasks themselves."""
    unit_id = scope_unit(history, province, where)
    scope, period = Scope.of(gsession, unit_id), Period.year(year)
    rows = queries.slow_committees(gsession, scope=scope, period=period, today=TODAY, limit=1000)
    replies = defaultdict(list)
    waiting = Counter()
    reply_kinds = known().reply_kinds
    for task in history.tasks:
        if task.kind not in reply_kinds or not history.under(unit_id, history.cases[task.case_id].owning_cell_id):
            continue
        if task.status == "done" and period.start <= local_day(task.completed_at) <= period.end:
            replies[task.unit_id].append(working_days_between(local_day(task.created_at), local_day(task.completed_at)))
        elif task.status == "open":
            waiting[task.unit_id] += 1
    got = {r["unit_id"]: r for r in rows}
    assert set(got) == set(replies) | set(waiting)
    for unit_id, values in replies.items():
        p50, p90 = quantiles(values)
        assert (got[unit_id]["replies"], got[unit_id]["p50"], got[unit_id]["p90"]) == (
            len(values), pytest.approx(p50), pytest.approx(p90))
    assert all(got[u]["open"] == n for u, n in waiting.items())
    assert all(r["part_of"] == history.units[history.units[r["unit_id"]].parent_id].name for r in rows)
    medians = [r["p50"] or 0 for r in rows]
    assert medians == sorted(medians, reverse=True)


def test_every_scope_has_replies_to_compare_in_one_of_the_years(history, province):
    """The reply-time test above is not vacuous at any level."""
    for where in SCOPES:
        unit_id = scope_unit(history, province, where)
        assert any(t.kind == "confirm_background" and t.status == "done" and local_day(t.completed_at).year in (
            YEAR, YEAR - 1) and history.under(unit_id, history.cases[t.case_id].owning_cell_id)
            for t in history.tasks), where


def test_stuck_cases_are_the_longest_waiting_open_cases_linked_to_their_page(gsession, history, province):
    scope = Scope.of(gsession, province["root_unit_id"])
    rows = queries.stuck_cases(gsession, scope=scope, today=TODAY, limit=10)
    waiting = sorted((history.changes(cid)[-1].occurred_at, cid) for cid in history.events
                     if history.changes(cid)[-1].to_state not in TERMINAL | {"probation"})
    assert [r["case_id"] for r in rows] == [cid for _, cid in waiting[:10]]
    assert rows[0]["url"] == f"/cases/{rows[0]['case_id']}"
    # Waiting since the Vietnamese day the state was entered, counted to today.
    assert [(r["since"], r["days"]) for r in rows] == [
        (local_day(moment), (TODAY - local_day(moment)).days) for moment, _ in waiting[:10]]


def test_union_referrals_and_admissions_per_organisation(gsession, history, province):
    scope = Scope.of(gsession, province["root_unit_id"])
    rows = {r["unit_id"]: r for r in admission_monitoring.union_referrals(gsession, scope=scope, year=YEAR)}
    referred, admitted = Counter(), Counter()
    for cid, events in history.events.items():
        org = history.cases[cid].referring_org_id
        if org is None:
            continue
        if local_day(events[0].occurred_at).year == YEAR:
            referred[org] += 1
        day = history.admitted_on(cid)
        if day and day.year == YEAR:
            admitted[org] += 1
    unions = [u for u in history.units.values() if u.kind in ("trade_union", "youth_union")]
    assert set(rows) == {u.id for u in unions}
    for unit in unions:
        assert (rows[unit.id]["referred"], rows[unit.id]["admitted"]) == (referred[unit.id], admitted[unit.id])
        assert rows[unit.id]["met"] == (admitted[unit.id] >= 1)


def test_admissions_by_unit_add_up_through_the_tree(gsession, history, province):
    root = province["root_unit_id"]
    counted = admission_monitoring.admissions_by_unit(gsession, scope=Scope.of(gsession, root), year_from=YEAR - 2,
                                                      year_to=YEAR)
    expected = defaultdict(Counter)
    for cid in history.events:
        day = history.admitted_on(cid)
        if day and YEAR - 2 <= day.year <= YEAR:
            for unit in history.units.values():
                if unit.kind == "commune_committee" and history.under(unit.id, history.cases[cid].owning_cell_id):
                    expected[unit.id][day.year] += 1
    for commune in communes(history):
        got = {y: v["admissions"] for y, v in counted.get(commune.id, {}).items()}
        assert got == dict(expected[commune.id])


@pytest.mark.parametrize("where", SCOPES)
def test_forecast_counts_each_units_pipeline_and_never_expects_less_than_done(gsession, history, province, where):
    root = scope_unit(history, province, where)
    rows = admission_monitoring.forecast(gsession, scope=Scope.of(gsession, root), year=YEAR, today=TODAY)
    in_pipeline = Counter()
    for cid in history.events:
        if history.changes(cid)[-1].to_state in PRE_ADMISSION and history.under(
                root, history.cases[cid].owning_cell_id):
            in_pipeline[child_of(history, root, history.cases[cid].owning_cell_id)] += 1
    assert {f.unit_id: f.in_pipeline for f in rows if f.in_pipeline} == dict(in_pipeline)
    assert all(f.reached <= f.expected <= f.reached + f.in_pipeline for f in rows)
    admitted = Counter()
    for cid in history.events:
        day = history.admitted_on(cid)
        if day and day.year == YEAR and history.under(root, history.cases[cid].owning_cell_id):
            admitted[child_of(history, root, history.cases[cid].owning_cell_id)] += 1
    assert {f.unit_id: f.reached for f in rows if f.reached} == dict(admitted)


def test_forecast_only_counts_cases_that_can_finish_by_year_end(gsession, history, province):
    """On the last day of the year nothing still in the pipeline can be admitted in time."""
    root = province["root_unit_id"]
    late = admission_monitoring.forecast(gsession, scope=Scope.of(gsession, root), year=YEAR, today=PERIOD.end)
    assert all(f.expected_more == 0 for f in late if f.in_pipeline)
    early = admission_monitoring.forecast(gsession, scope=Scope.of(gsession, root), year=YEAR + 1,
                              today=TODAY + timedelta(days=1))
    assert sum(f.expected_more for f in early) > 0
