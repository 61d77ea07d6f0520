"""Whose time a case spends: replies to the residential committees, the cell only for its own share."""

from datetime import date, timedelta

from casework.clock.attribution import attributed_working_days, waiting_intervals
from casework.engine.calendar import working_days_between
from casework.models import TaskStatus
from tests.walk import Walker


def test_verification_time_goes_to_each_committee_until_its_reply(session, engine, org, clock):
    walker = Walker(session, engine, org)
    walker.to("dossier")
    relative = {"full_name": "Trần Văn Ba", "relation": "father", "residence_unit": org.far_area.id}
    walker.request_verification(relatives=[relative])
    asked = walker.today
    tasks = {t.unit_id: t for t in walker.case.tasks if t.kind == "confirm_background"}
    clock.advance(days=7)  # Monday 16/11 → Monday 23/11: 5 working days
    reply = {"outcome": "clear", "reply_number": "1/CV", "reply_date": walker.today.isoformat()}
    walker.act("residential_committee", "confirm_background", reply, task_id=tasks[org.residential_cell.id].id)
    clock.advance(days=7)
    walker.act("far_committee", "confirm_background", reply, task_id=tasks[org.far_cell.id].id)
    clock.advance(days=2)
    until = walker.today
    intervals = {i.task_id: i for i in waiting_intervals(session, [walker.case.id], until=until)}
    near, far = intervals[tasks[org.residential_cell.id].id], intervals[tasks[org.far_cell.id].id]
    assert near.working_days == working_days_between(asked, asked + timedelta(days=7)) == 5
    assert far.working_days == working_days_between(asked, asked + timedelta(days=14))
    assert not near.on_cell and near.step == "verification:confirm_background"
    cell_now = next(i for i in intervals.values() if i.on_cell and i.ended_on is None)
    assert cell_now.step == "verification:step" and cell_now.working_days == 2  # only since the last reply
    totals = attributed_working_days(session, [walker.case.id], until=until)
    assert totals[(org.far_cell.id, "residential_committee", "verification:confirm_background")] == far.working_days


def test_the_cell_is_not_charged_while_another_organisation_holds_the_case(session, engine, org, clock):
    walker = Walker(session, engine, org)
    walker.to("probation")
    clock.advance(days=14)
    walker.act("cell_secretary", "propose_removal", {"reason": "Vi phạm tư cách."})
    clock.advance(days=14)
    until = walker.today
    rows = waiting_intervals(session, [walker.case.id], until=until)
    removal = next(i for i in rows if i.step == "probation:decide_removal")
    cell_step = next(i for i in rows if i.step == "probation:step" and i.ended_on is None)
    assert removal.role == "authority" and removal.working_days > 0
    assert cell_step.working_days == cell_step.elapsed_working_days - removal.working_days


def test_no_cases_no_intervals(session):
    assert waiting_intervals(session, [], until=date(2027, 1, 1)) == []
    assert TaskStatus.OPEN == "open"
