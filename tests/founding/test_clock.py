"""The founding workflow's deadlines run on the same clock as admission's: a member cell's transfer task is
announced, reminded before its due date, marked overdue and escalated after the grace — with no code of its own."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.clock import run_tick
from casework.engine import hooks
from casework.engine.calendar import add_working_days
from casework.models import Notification, TaskStatus
from casework.notifications import inbox
from tests.clock.test_deadlines import first_day_late_by, first_day_with
from tests.founding.support import FoundingWalker


@pytest.fixture(autouse=True)
def notices_of_this_test(engine):
    inbox.install(engine)
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


@pytest.fixture
def tick(session, engine, clock):
    def run(day: date | None = None):
        if day is not None:
            clock.set_day(day)
        return run_tick(session, engine)

    return run


def _notices(session, username: str, kind: str) -> int:
    return session.scalar(sa.select(sa.func.count(Notification.id)).join(Notification.user)
                          .where(Notification.kind == kind, Notification.user.has(username=username)))


def test_a_member_cells_transfer_is_announced_reminded_overdue_and_escalated(session, engine, forg, clock, tick):
    walk = FoundingWalker(session, engine, forg)
    walk.to("gathering_members")
    far = next(t for t in walk.open_tasks("confirm_transfer") if t.unit_id == forg.far_cell.id)
    assert far.due_date == add_working_days(engine.today(), engine.rules.member_transfer_working_days)
    assert _notices(session, "far_secretary", "new_task") == 1
    assert tick(first_day_with(far.due_date, 5)).reminders >= 1
    assert _notices(session, "far_secretary", "reminder") == 1
    assert tick(first_day_late_by(far.due_date, 1)).overdue >= 1
    assert tick(first_day_late_by(far.due_date, 5)).escalations >= 1
    copies = [t for t in walk.case.tasks if t.kind == "escalation" and t.unit_id == forg.other_commune.id]
    assert len(copies) == 1
    copy = copies[0]
    assert copy.status == TaskStatus.OPEN and (copy.role, copy.unit_id) == ("authority", forg.other_commune.id)
    assert far.status == TaskStatus.OPEN and far.unit_id == forg.far_cell.id
