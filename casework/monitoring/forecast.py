"""Will each unit meet this year's target? A forecast from its own pipeline and history, for any workflow whose
definition declares a main line (``monitoring.main_line_until``: admission's runs to the decision, ``admitted``).

For every case still before the main line's last state, the chance it reaches it is the product of the unit's
observed onward rates for each remaining step (how often a stay in that state ended by moving forward along
the main line rather than into a terminal state; loops back such as a failed course do not count either
way); it counts for this year if the median durations of the remaining steps fit before 31 December.
Rates and durations come from stays that ended this year or last (whole years, so the stay tallies answer
for a whole country); a unit with too few of them for a state borrows the scope's rate, so a small commune
is not forecast from two cases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.models import Case, PipelineTally, Unit
from casework.models.tallies import OPEN_YEAR
from casework.monitoring.figures import Workflows, known
from casework.monitoring.queries import _durations, stay_counts, tallied_child
from casework.monitoring.scope import Period, Scope, child_key, children
from casework.monitoring.stats import report_query

MIN_OBSERVATIONS = 10


@dataclass
class UnitForecast:
    unit_id: str
    name: str
    reached: int  # cases that reached the main line's end this year (admission: admitted)
    expected_more: float
    target: int | None
    in_pipeline: int

    @property
    def expected(self) -> float:
        return self.reached + self.expected_more

    @property
    def on_track(self) -> bool | None:
        return None if self.target is None else self.expected >= self.target


@dataclass(frozen=True)
class Line:
    """A workflow's main line (its last state the one reached), and the states that end a case."""

    workflow: str
    states: tuple[str, ...]
    terminal: frozenset[str]

    @classmethod
    def of(cls, workflow: str, workflows: Workflows | None = None) -> Line:
        workflows = workflows or known()
        latest = workflows.latest(workflow)
        terminal = frozenset(s.name for s in latest.states.values() if s.terminal) if latest else frozenset()
        return cls(workflow, workflows.main_line(workflow), terminal)

    @property
    def before_end(self) -> tuple[str, ...]:
        return self.states[:-1]


@report_query
def forecast(session: Session, *, scope: Scope, year: int, today: date, line: Line, reached: Counter,
             targets: dict[int, int]) -> list[UnitForecast]:
    """One forecast per child unit of the scope (and the scope's own cells under ''): ``reached`` counts the
    cases that reached the main line's end this year per child (keyed like ``child_key``), ``targets`` the
    yearly target per unit id."""
    lookback = Period(date(today.year - 1, 1, 1), date(today.year, 12, 31))
    medians = {state: figures["p50"] for state, figures in _durations(session, scope, lookback,
                                                                      line.workflow).items()}
    rates = _onward_counts(line, stay_counts(session, scope, lookback, by=("child", "state", "next_state"),
                                             workflow=line.workflow))
    open_cases = _open_by_unit(session, scope, line)
    units = children(session, scope)
    days_left = max(0, (date(year, 12, 31) - today).days) if today.year <= year else 0
    out = []
    for key, unit in units.items():
        unit_id = unit.id
        counts = open_cases.get(key, Counter())
        more = sum(n * _chance(line, state, key, rates, medians, days_left) for state, n in counts.items())
        if key == "" and key not in open_cases:
            continue  # the scope unit itself owns cases only when it is a cell
        done = reached.get(key, 0)
        out.append(UnitForecast(key, unit.name, done, round(more, 1), targets.get(unit_id), sum(counts.values())))
    return [f for f in out if f.in_pipeline or f.reached or f.target]


def _chance(line: Line, state: str, key: str, rates: dict, medians: dict[str, float | None],
            days_left: int) -> float:
    """Probability this case reaches the main line's end, if the rest of it fits before the year ends."""
    remaining = line.states[line.states.index(state):-1]
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


def _onward_counts(line: Line, stays: Counter) -> dict[str, dict[str, tuple[int, int]]]:
    """``{child: {state: (moved forward, left the procedure)}}`` and the scope's totals under '*'."""
    tallies: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (child, state, next_state), n in stays.items():
        slot = _direction(line, state, next_state) if state in line.before_end else None
        if slot is None:
            continue
        for key in (child, "*"):
            tallies[key][state][slot] += n
    return {key: {s: tuple(v) for s, v in per.items()} for key, per in tallies.items()}


def _direction(line: Line, state: str, next_state: str | None) -> int | None:
    if next_state in line.terminal:
        return 1
    if next_state in line.states and line.states.index(next_state) > line.states.index(state):
        return 0
    return None


def _open_by_unit(session: Session, scope: Scope, line: Line) -> dict[str, Counter]:
    """Open cases before the main line's end, by child unit and state (from the pipeline tallies for a whole
    tree)."""
    if scope.reads_tallies():  # the pipeline tallies keep the unit below the top one
        t = PipelineTally
        child = tallied_child(scope, t).label("child")
        stmt = (sa.select(child, t.state, sa.func.sum(t.n).label("n"))
                .where(t.closed_year == OPEN_YEAR, t.workflow == line.workflow, t.state.in_(line.before_end),
                       scope.tallied(t.top_unit_id))
                .group_by(child, t.state).having(sa.func.sum(t.n) != 0))
    else:
        cell = aliased(Unit)
        child = child_key(session, cell.path, scope).label("child")
        stmt = (sa.select(child, Case.state, sa.func.count().label("n"))
                .select_from(Case).join(cell, cell.id == Case.owning_cell_id)
                .where(Case.closed_on.is_(None), Case.workflow == line.workflow, Case.state.in_(line.before_end),
                       Case.owning_cell_id.in_(scope.units()))
                .group_by(child, Case.state))
    out: dict[str, Counter] = defaultdict(Counter)
    for row in session.execute(stmt):
        out[row.child][row.state] += int(row.n)
    return out
