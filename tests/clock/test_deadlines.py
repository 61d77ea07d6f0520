"""Reminders before a due date, overdue marks after it, escalation after the grace: each once, each at its
boundary, counted in working days."""

from datetime import date, timedelta

import sqlalchemy as sa

from casework.clock.escalation import escalation_target
from casework.engine.calendar import working_days_between
from casework.models import ClockMark, Event, Notification, Task, TaskStatus
from tests.walk import Walker


def first_day_with(due: date, working_days_left: int) -> date:
    """The earliest calendar day from which exactly ``working_days_left`` working days remain to ``due``."""
    day = due
    while working_days_between(day - timedelta(days=1), due) <= working_days_left:
        day -= timedelta(days=1)
    assert working_days_between(day, due) == working_days_left
    return day


def first_day_late_by(due: date, working_days_late: int) -> date:
    day = due
    while working_days_between(due, day) < working_days_late:
        day += timedelta(days=1)
    return day


def step_task(case) -> Task:
    return next(t for t in case.tasks if t.is_open and t.kind == "step")


def notices(session, kind: str) -> list[Notification]:
    return list(session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def test_reminders_go_exactly_5_and_1_working_days_before_and_only_once(session, engine, org, tick):
    case = Walker(session, engine, org).case
    due = step_task(case).due_date
    five, one = first_day_with(due, 5), first_day_with(due, 1)
    assert tick(five - timedelta(days=1)).reminders == 0  # 6 working days left
    assert tick(five).reminders == 1
    assert tick(five).reminders == 0
    assert tick(first_day_with(due, 2)).reminders == 0
    assert tick(one).reminders == 1
    assert tick(due).reminders == 0  # the 1-day reminder covers the due day too
    reminders = [e for e in case.events if e.trigger == "reminder"]
    assert [e.data["lead_working_days"] for e in reminders] == [5, 1]
    assert all(e.actor_role == "clock" and e.from_state == e.to_state for e in reminders)
    assert [n.user.username for n in notices(session, "reminder")] == ["cell_secretary", "cell_secretary"]


def test_a_task_created_three_days_before_its_due_date_is_reminded_once_then_on_the_last_day(
        session, engine, org, clock, tick):
    engine.rules = engine.rules.__class__(referral_review_working_days=3)
    case = Walker(session, engine, org).case
    due = step_task(case).due_date
    assert tick().reminders == 1
    assert tick(first_day_with(due, 2)).reminders == 0
    assert tick(first_day_with(due, 1)).reminders == 1


def test_overdue_the_first_working_day_after_the_due_date_and_escalated_exactly_at_the_grace(
        session, engine, org, tick):
    case = Walker(session, engine, org).case
    task = step_task(case)
    due = task.due_date
    assert tick(due).overdue == 0
    assert tick(first_day_late_by(due, 1)).overdue == 1
    assert tick().overdue == 0
    assert tick(first_day_late_by(due, 4)).escalations == 0
    report = tick(first_day_late_by(due, 5))
    assert report.escalations == 1
    assert tick().escalations == 0
    copy = next(t for t in case.tasks if t.kind == "escalation")
    assert (copy.role, copy.unit_id, copy.is_open) == ("grassroots_committee", org.grassroots.id, True)
    assert task.is_open and task.unit_id == org.cell.id  # the task stays with its owner
    escalation = next(e for e in case.events if e.trigger == "escalation")
    assert escalation.data["to_unit_id"] == org.grassroots.id and escalation.changes == {}
    assert [n.user.username for n in notices(session, "escalation")] == ["grassroots_committee"]


def test_a_configured_grace_moves_the_boundary(session, engine, org, tick):
    engine.rules = engine.rules.__class__(escalation_grace_working_days=2)
    case = Walker(session, engine, org).case
    due = step_task(case).due_date
    assert tick(first_day_late_by(due, 1)).escalations == 0
    assert tick(first_day_late_by(due, 2)).escalations == 1


def test_leaving_the_state_cancels_the_copy_with_the_task(session, engine, org, tick):
    walker = Walker(session, engine, org)
    due = step_task(walker.case).due_date
    tick(first_day_late_by(due, 5))
    walker.step()  # the cell finally accepts the referral
    copy = next(t for t in walker.case.tasks if t.kind == "escalation")
    assert copy.status == TaskStatus.CANCELLED


def test_where_each_overdue_task_climbs(session, engine, org):
    def target(role, unit):
        return escalation_target(session, Task(role=role, unit_id=unit.id))

    assert target("residential_committee", org.residential_cell) == ("authority", org.commune.id)
    assert target("cell_secretary", org.cell) == ("grassroots_committee", org.grassroots.id)
    assert target("cell_secretary", org.direct_cell) == ("authority", org.commune.id)
    assert target("grassroots_committee", org.grassroots) == ("authority", org.commune.id)
    assert target("authority", org.commune) == ("organizer", org.commune.id)
    assert target("organizer", org.commune) == ("organizer", org.province.id)
    assert target("organizer", org.province) is None


def test_a_late_residential_reply_reaches_the_commune_committee_not_the_cell(session, engine, org, clock, tick):
    walker = Walker(session, engine, org)
    walker.to("verification")
    reply = next(t for t in walker.case.tasks if t.is_open and t.kind == "confirm_background")
    tick(first_day_late_by(reply.due_date, 5))
    copy = next(t for t in walker.case.tasks if t.kind == "escalation")
    assert (copy.role, copy.unit_id) == ("authority", org.commune.id)
    assert [n.user.username for n in notices(session, "escalation")] == ["authority"]
    walker.act("residential_committee", "confirm_background", {"outcome": "clear", "reply_number": "9/CV",
                                                               "reply_date": walker.today.isoformat()},
               task_id=reply.id)
    assert tick().copies_closed == 1
    assert copy.status == TaskStatus.DONE and walker.case.state == "verification"


def test_every_reminder_and_escalation_is_in_the_history_and_marked_once(session, engine, org, tick):
    case = Walker(session, engine, org).case
    due = step_task(case).due_date
    for day in (first_day_with(due, 5), first_day_with(due, 1), first_day_late_by(due, 5)):
        tick(day)
        tick(day)
    kinds = [e.trigger for e in session.scalars(sa.select(Event).where(Event.case_id == case.id)
                                                .order_by(Event.seq))]
    assert kinds == ["refer", "reminder", "reminder", "task_overdue", "escalation"]
    marks = session.scalars(sa.select(ClockMark.kind).order_by(ClockMark.id)).all()
    assert marks == ["reminder", "reminder", "overdue", "escalation"]
