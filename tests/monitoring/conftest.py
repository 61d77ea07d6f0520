"""A small generated province, and the same figures the dashboard shows computed here from its history."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.engine import LOCAL_TZ, Engine
from casework.models import Case, Event, Task, Unit
from casework.monitoring.synthetic import generate
from tests.conftest import truncate_all
from tests.web.conftest import page, walker  # noqa: F401  (the page fixtures, shared with tests/web)

TODAY = date(2026, 11, 20)
YEAR = 2026
TERMINAL = {"official_member", "declined", "rejected", "withdrawn", "removed"}


def local_day(moment: datetime) -> date:
    return _utc(moment).astimezone(LOCAL_TZ).date()


def quantiles(values: list[float]) -> tuple[float, float]:
    """Median and 90th percentile, inclusive method (the same definition as percentile_cont)."""
    if len(values) == 1:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return cuts[4], cuts[8]


@dataclass
class History:
    """Everything the reference computations read: events by case, cases, tasks, units."""

    events: dict[int, list[Event]]
    cases: dict[int, Case]
    tasks: list[Task]
    units: dict[int, Unit]

    def under(self, unit_id: int, cell_id: int) -> bool:
        return f"/{unit_id}/" in self.units[cell_id].path

    def changes(self, case_id: int) -> list[Event]:
        return [e for e in self.events[case_id] if e.from_state != e.to_state]

    def stays(self):
        """(case, state, entered, left, days) for every stay that ended."""
        for case_id in self.events:
            moves = self.changes(case_id)
            for entered, left in zip(moves, moves[1:], strict=False):
                yield case_id, entered.to_state, entered.occurred_at, left.occurred_at, \
                    (_utc(left.occurred_at) - _utc(entered.occurred_at)).total_seconds() / 86400

    def admitted_on(self, case_id: int) -> date | None:
        return next((local_day(e.occurred_at) for e in self.events[case_id] if e.trigger == "decide_admission"), None)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@pytest.fixture(scope="module")
def generated(db_engine, workflows):
    """300 simulated cases written by the generator, shared by a module's read-only tests."""
    with Session(db_engine, expire_on_commit=False) as session:
        made = generate(session.connection(), cases=300, seed=7, today=TODAY, engine=Engine(workflows))
        session.commit()
        yield session, made, _load(session)
        session.rollback()
    truncate_all(db_engine)


@pytest.fixture
def gsession(generated):
    return generated[0]


@pytest.fixture
def province(generated) -> dict:
    return generated[1]


@pytest.fixture
def history(generated) -> History:
    return generated[2]


def _load(session) -> History:
    events: dict[int, list[Event]] = defaultdict(list)
    for event in session.scalars(sa.select(Event).order_by(Event.case_id, Event.seq)):
        events[event.case_id].append(event)
    cases = {c.id: c for c in session.scalars(sa.select(Case))}
    units = {u.id: u for u in session.scalars(sa.select(Unit))}
    return History(dict(events), cases, list(session.scalars(sa.select(Task))), units)


def communes(history: History) -> list[Unit]:
    return [u for u in history.units.values() if u.kind == "commune_committee"]


def count_by_state(history: History, start: date, end: date, unit_id: int) -> Counter:
    """Cases open at some moment of the period, by the state their last event left them in."""
    out = Counter()
    for case_id, events in history.events.items():
        opened = local_day(events[0].occurred_at)
        closing = [e for e in events if e.to_state in TERMINAL]
        closed = local_day(closing[0].occurred_at) if closing else None
        if opened <= end and (closed is None or closed >= start) and history.under(unit_id,
                                                                                    history.cases[case_id].owning_cell_id):
            out[history.changes(case_id)[-1].to_state] += 1
    return out
