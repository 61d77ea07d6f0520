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
