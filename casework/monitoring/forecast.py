"""Will each unit meet this year's admissions target? A forecast from its own pipeline and history.

For every case still before the decision, the chance it reaches admission is the product of the unit's
observed onward rates for each remaining step (how often a stay in that state ended by moving forward
rather than being declined, rejected or withdrawn; loops back such as a failed course do not count either
way); it counts for this year if the median durations of the remaining steps fit before 31 December.
Rates and durations come from stays that ended this year or last (whole years, so the stay tallies answer
for a whole country); a unit with too few of them for a state borrows the scope's rate, so a small commune
is not forecast from two cases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.models import Case, PipelineTally, Unit
from casework.models.tallies import OPEN_YEAR
from casework.monitoring.queries import (
    MAIN_LINE,
    PRE_ADMISSION,
    TERMINAL,
    _durations,
    admitted_by_child,
    stay_counts,
    tallied_child,
)
from casework.monitoring.scope import Period, Scope, child_key, children
from casework.monitoring.stats import report_query
from casework.monitoring.targets import targets_for

MIN_OBSERVATIONS = 10


@dataclass
class UnitForecast:
    unit_id: str
    name: str
    admitted: int
    expected_more: float
    target: int | None
    in_pipeline: int

    @property
    def expected(self) -> float:
        return self.admitted + self.expected_more

    @property
    def on_track(self) -> bool | None:
        return None if self.target is None else self.expected >= self.target


@report_query
def forecast(session: Session, *, scope: Scope, year: int, today: date) -> list[UnitForecast]:
    """One forecast per child unit of the scope (and the scope's own cells under '')."""
    lookback = Period(date(today.year - 1, 1, 1), date(today.year, 12, 31))
    medians = {state: figures["p50"] for state, figures in _durations(session, scope, lookback).items()}
    rates = _onward_counts(stay_counts(session, scope, lookback, by=("child", "state", "next_state")))
    open_cases = _open_by_unit(session, scope)
    units = children(session, scope)
    admitted = admitted_by_child(session, scope=scope, year=year)
    targets = {t.unit_id: t.admissions for t in targets_for(session, scope, year) if t.year_from == t.year_to}
    days_left = max(0, (date(year, 12, 31) - today).days) if today.year <= year else 0
    out = []
    for key, unit in units.items():
        unit_id = unit.id
        counts = open_cases.get(key, Counter())
        more = sum(n * _chance(state, key, rates, medians, days_left) for state, n in counts.items())
        if key == "" and key not in open_cases:
            continue  # the scope unit itself owns cases only when it is a cell
        done = admitted.get(key, 0)
        out.append(UnitForecast(key, unit.name, done, round(more, 1), targets.get(unit_id), sum(counts.values())))
    return [f for f in out if f.in_pipeline or f.admitted or f.target]


def _chance(state: str, key: str, rates: dict, medians: dict[str, float | None], days_left: int) -> float:
    """Probability this case is admitted, if the rest of the main line fits before the year ends."""
    remaining = MAIN_LINE[MAIN_LINE.index(state):-1]
    if sum(medians.get(s) or 0 for s in remaining) > days_left:
        return 0.0
    chance = 1.0
    for step in remaining:
        chance *= _rate(step, key, rates)
    return chance


def _rate(state: str, key: str, rates: dict) -> float:
    own = rates.get(key, {}).get(state)
    if own and sum(own) >= MIN_OBSERVATIONS:
        forward, out = own
    else:
        forward, out = rates.get("*", {}).get(state, (0, 0))
    return forward / (forward + out) if forward + out else 1.0


def _onward_counts(stays: Counter) -> dict[str, dict[str, tuple[int, int]]]:
    """``{child: {state: (moved forward, left the procedure)}}`` and the scope's totals under '*'."""
    tallies: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (child, state, next_state), n in stays.items():
        slot = _direction(state, next_state) if state in PRE_ADMISSION else None
        if slot is None:
            continue
        for key in (child, "*"):
            tallies[key][state][slot] += n
    return {key: {s: tuple(v) for s, v in per.items()} for key, per in tallies.items()}


def _direction(state: str, next_state: str | None) -> int | None:
    if next_state in TERMINAL:
        return 1
    if next_state in MAIN_LINE and MAIN_LINE.index(next_state) > MAIN_LINE.index(state):
        return 0
    return None


def _open_by_unit(session: Session, scope: Scope) -> dict[str, Counter]:
    """Open cases before the decision, by child unit and state (from the pipeline tallies for a whole tree)."""
    if scope.reads_tallies():  # the pipeline tallies keep the unit below the top one
        t = PipelineTally
        child = tallied_child(scope, t).label("child")
        stmt = (sa.select(child, t.state, sa.func.sum(t.n).label("n"))
                .where(t.closed_year == OPEN_YEAR, t.state.in_(PRE_ADMISSION), scope.tallied(t.top_unit_id))
                .group_by(child, t.state).having(sa.func.sum(t.n) != 0))
    else:
        cell = aliased(Unit)
        child = child_key(session, cell.path, scope).label("child")
        stmt = (sa.select(child, Case.state, sa.func.count().label("n"))
                .select_from(Case).join(cell, cell.id == Case.owning_cell_id)
                .where(Case.closed_on.is_(None), Case.state.in_(PRE_ADMISSION),
                       Case.owning_cell_id.in_(scope.units()))
                .group_by(child, Case.state))
    out: dict[str, Counter] = defaultdict(Counter)
    for row in session.execute(stmt):
        out[row.child][row.state] += int(row.n)
    return out


def as_rows(forecasts: list[UnitForecast]) -> list[dict[str, Any]]:
    return [{"unit": f.name, "admitted": f.admitted, "in_pipeline": f.in_pipeline,
             "expected_more": f.expected_more, "expected": round(f.expected, 1), "target": f.target,
             "on_track": f.on_track} for f in forecasts]
