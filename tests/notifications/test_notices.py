"""In-app notices of new tasks, written with the step; a failing notice never breaks the step."""

import sqlalchemy as sa

from casework.engine import hooks
from casework.models import Notification
from tests.walk import Walker


def test_the_holders_of_the_role_at_the_routed_unit_are_told_of_a_new_task(session, engine, org):
    walker = Walker(session, engine, org)
    notices = session.scalars(sa.select(Notification)).all()
    assert [(n.user.username, n.kind, n.case_id) for n in notices] == [("cell_secretary", "new_task", walker.case.id)]
    assert "Được giới thiệu" in notices[0].text_vi and "Referred" in notices[0].text_en
    assert notices[0].task.kind == "step"


def test_each_residential_committee_is_told_of_its_own_verification_request(session, engine, org):
    walker = Walker(session, engine, org)
    walker.to("dossier")
    relative = {"full_name": "Trần Văn Ba", "relation": "father", "residence_unit": org.far_area.id}
    walker.request_verification(relatives=[relative])
    told = session.scalars(sa.select(Notification).where(Notification.task_id.in_(
        [t.id for t in walker.case.tasks if t.kind == "confirm_background"]))).all()
    assert sorted(n.user.username for n in told) == ["far_committee", "residential_committee"]


def test_a_failing_notification_never_breaks_the_step(session, engine, org, caplog):
    @hooks.on_task_created("broken")
    def broken(session, task):
        raise RuntimeError("the notice service is down")

    try:
        walker = Walker(session, engine, org)
        case = walker.act("cell_secretary", "accept_referral",
                          {"helper_ids": [walker.cell_members()[0].id], "resolution_date": walker.today.isoformat()})
    finally:
        hooks.remove_listener("broken")
    assert case.state == "sympathiser"
    assert "listener broken failed" in caplog.text
    assert session.scalar(sa.select(sa.func.count(Notification.id))) == 2  # the working listener still wrote
