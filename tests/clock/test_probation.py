"""The clock opens the recognition review on the day probation ends, whatever day that is."""

from datetime import date

import sqlalchemy as sa

from casework.models import Event, Notification
from tests.clock.conftest import walk_to_probation


def test_probation_ending_on_a_saturday_opens_the_review_that_day_and_not_before(session, engine, org, clock, tick):
    walker = walk_to_probation(session, engine, org, clock, ceremony=date(2026, 11, 20))
    case = walker.case
    assert case.date("probation_ends") == date(2027, 11, 20)  # a Saturday
    assert tick(date(2027, 11, 19)).clock_steps == 0
    assert case.state == "probation"
    report = tick(date(2027, 11, 20))
    session.refresh(case)
    assert report.clock_steps == 1 and case.state == "recognition_review"
    opened = case.events[-1]
    assert (opened.trigger, opened.actor_id, opened.actor_role) == ("start_recognition", None, "clock")
    assert case.facts["membership_counts_from"] == "2027-11-20"
    cell_vote = next(t for t in case.tasks if t.is_open and t.kind == "step")
    # 30 working days from Saturday 20/11/2027: Culture Day (24/11) and the observed New Year (3/1/2028) skipped.
    assert cell_vote.due_date == date(2028, 1, 4)


def test_probation_ending_during_tet_counts_the_review_deadline_across_tet(session, engine, org, clock, tick):
    walker = walk_to_probation(session, engine, org, clock, ceremony=date(2027, 1, 27))
    case = walker.case
    assert case.date("probation_ends") == date(2028, 1, 27)  # the second day of Tết Mậu Thân
    tick(date(2028, 1, 27))
    session.refresh(case)
    assert case.state == "recognition_review"
    cell_vote = next(t for t in case.tasks if t.is_open and t.kind == "step")
    # Tết runs to Saturday 29/1; the first working day is Monday 31/1, the 30th is Friday 10/3/2028.
    assert cell_vote.due_date == date(2028, 3, 10)


def test_the_clock_opens_the_review_once_however_often_it_runs(session, engine, org, clock, tick):
    walker = walk_to_probation(session, engine, org, clock, ceremony=date(2026, 11, 20))
    tick(date(2027, 11, 22))
    count = session.scalar(sa.select(sa.func.count(Event.id)).where(Event.case_id == walker.case.id))
    second = tick()
    assert second.clock_steps == 0 and second.clock_steps_blocked == 0
    assert session.scalar(sa.select(sa.func.count(Event.id)).where(Event.case_id == walker.case.id)) == count


def test_without_the_new_member_course_the_clock_says_so_once_and_the_course_task_climbs(
        session, engine, org, clock, tick):
    walker = walk_to_probation(session, engine, org, clock, ceremony=date(2026, 11, 20), course=False)
    case = walker.case
    report = tick(date(2027, 11, 22))
    session.refresh(case)
    assert case.state == "probation" and report.clock_steps_blocked == 1
    blocked = [e for e in case.events if e.trigger == "clock_step_blocked"]
    assert len(blocked) == 1 and blocked[0].data["reasons"][0]["code"] == "new_member_course_missing"
    told = session.scalars(sa.select(Notification).where(Notification.kind == "blocked")).all()
    assert [n.user.username for n in told] == ["cell_secretary"]
    assert tick().clock_steps_blocked == 0
    # The course task was due on 20/11 (a Saturday): 5 working days late on Friday 26/11 (Culture Day 24/11
    # does not count, so Monday 29/11), then its copy reaches the grassroots committee.
    assert tick(date(2027, 11, 26)).escalations == 0
    assert tick(date(2027, 11, 29)).escalations == 2  # the course task and the cell's own step, both due 20/11
    copies = [t for t in case.tasks if t.kind == "escalation"]
    assert {(t.role, t.unit_id) for t in copies} == {("grassroots_committee", org.grassroots.id)}
