"""The clock's tests: a case walked to any state with the test's clock, and a tick at any day."""

from __future__ import annotations

from datetime import date

import pytest

from casework.clock import run_tick
from casework.engine import hooks
from casework.notifications import inbox
from tests.walk import Walker


@pytest.fixture(autouse=True)
def notices_of_this_test(engine):
    """New tasks notify people with this test's clock; the listener is removed afterwards."""
    inbox.install(engine)
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


@pytest.fixture
def tick(session, engine, clock):
    """``tick(day)`` moves the clock to ``day`` (when given) and runs the clock once."""

    def run(day: date | None = None):
        if day is not None:
            clock.set_day(day)
        return run_tick(session, engine)

    return run


def walk_to_probation(session, engine, org, clock, ceremony: date, course: bool = True) -> Walker:
    """A case admitted on the start day, its ceremony on ``ceremony``, and the new-member course recorded."""
    walker = Walker(session, engine, org)
    walker.to("admitted")
    clock.set_day(ceremony)
    walker.step()
    if course:
        walker.act(walker.secretary(), "record_new_member_course",
                   {"certificate_number": "DVM-1", "certificate_date": ceremony.isoformat()})
    return walker
