"""Two ticks at the same moment on PostgreSQL: row locks let one do the work; unique keys stop the rest."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.clock import run_tick
from casework.engine.calendar import working_days_between
from casework.models import ClockMark, Event, Notification, Task
from tests.conftest import IS_POSTGRES
from tests.walk import Walker

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has no row locks: one writer at a time, no race")


def test_two_racing_ticks_escalate_once(session, engine, org, clock, db_engine):
    case = Walker(session, engine, org).case
    due = next(t for t in case.tasks if t.is_open).due_date
    day = due
    while working_days_between(due, day) < 5:
        day += timedelta(days=1)
    clock.set_day(day)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def racer():
        try:
            with Session(db_engine) as own:
                barrier.wait()
                reports.append(run_tick(own, engine))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.escalations for r in reports) == 1
    count = lambda model, *where: session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
    assert count(Event, Event.trigger == "escalation") == 1
    assert count(Event, Event.trigger == "task_overdue") == 1
    assert count(ClockMark) == 2
    assert count(Task, Task.kind == "escalation") == 1
    assert count(Notification, Notification.kind == "escalation") == 1


def _racing(db_engine, person, tick) -> tuple[list, list]:
    """A person's step and a tick released together, each on its own session: (results, errors)."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(part):
        try:
            with Session(db_engine, expire_on_commit=False) as own:
                results.append(part(own, barrier))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(part,)) for part in (person, tick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def _seqs(session, case_id) -> list[int]:
    seqs = list(session.scalars(sa.select(Event.seq).where(Event.case_id == case_id).order_by(Event.seq)))
    session.rollback()
    return seqs


@pytest.mark.postgres_only
@pytest.mark.parametrize("round_", range(4))
def test_a_step_racing_the_tick_notices_both_land_in_order(session, engine, org, clock, db_engine, round_):
    """The tick writes overdue and escalation notices while the cell secretary accepts the referral: the step
    waits for the tick's lock (or the tick leaves the locked case for its next run); nothing fails and the
    history keeps one unbroken numbering."""
    from casework.engine.service import apply
    from casework.models import Case, User

    case = Walker(session, engine, org).case
    due = next(t for t in case.tasks if t.is_open).due_date
    day = due
    while working_days_between(due, day) < 5:
        day += timedelta(days=1)
    clock.set_day(day)
    secretary_id, helper = org.users["cell_secretary"].id, org.members["cell"][0].id

    def person(own, barrier):
        mine, user = own.get(Case, case.id), own.get(User, secretary_id)
        _ = mine.tasks, mine.candidate
        barrier.wait()
        return apply(session=own, engine=engine, case=mine, trigger="accept_referral", user=user,
                     data={"helper_ids": [helper], "resolution_date": day.isoformat()}, expected_version=1)

    def tick(own, barrier):
        barrier.wait()
        return run_tick(own, engine)

    results, errors = _racing(db_engine, person, tick)
    assert not errors, [repr(e) for e in errors]
    report = next(r for r in results if not isinstance(r, Case))
    seqs = _seqs(session, case.id)
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 2 + (2 if report.escalations else 0), (seqs, report)


@pytest.mark.postgres_only
@pytest.mark.parametrize("round_", range(4))
def test_a_person_racing_the_clock_step_one_of_them_opens_the_review(session, engine, org, clock, db_engine, round_):
    """On the day probation ends the cell secretary starts the recognition review just as the tick does: one
    of them opens it, the other is refused (409) or leaves the case alone; the clock never fails half-way."""
    from datetime import date

    from casework.engine import Conflict
    from casework.engine.service import apply
    from casework.models import Case, User
    from tests.clock.conftest import walk_to_probation

    walker = walk_to_probation(session, engine, org, clock, ceremony=date(2026, 11, 20))
    case = walker.case
    clock.set_day(case.date("probation_ends"))
    secretary_id, version = org.users["cell_secretary"].id, case.version

    def person(own, barrier):
        mine, user = own.get(Case, case.id), own.get(User, secretary_id)
        _ = mine.tasks, mine.candidate
        barrier.wait()
        try:
            return apply(session=own, engine=engine, case=mine, trigger="start_recognition", user=user, data={},
                         expected_version=version)
        except Conflict as exc:
            return exc

    def tick(own, barrier):
        barrier.wait()
        return run_tick(own, engine)

    results, errors = _racing(db_engine, person, tick)
    assert not errors, [repr(e) for e in errors]
    outcome = next(r for r in results if isinstance(r, (Case, Conflict)))
    report = next(r for r in results if not isinstance(r, (Case, Conflict)))
    assert (report.clock_steps == 1) == isinstance(outcome, Conflict), (outcome, report)
    if isinstance(outcome, Conflict):
        assert outcome.reasons[0].params["current_version"] == version + 1
    opened = session.scalar(sa.select(sa.func.count()).select_from(Event)
                            .where(Event.case_id == case.id, Event.trigger == "start_recognition"))
    assert opened == 1
    seqs = _seqs(session, case.id)
    assert seqs == list(range(1, len(seqs) + 1))
