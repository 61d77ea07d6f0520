"""A step's envelope: a task_id sent with a step that completes no task is refused, not dropped."""

import sqlalchemy as sa

from casework.engine import Invalid
from casework.extensions import db
from casework.models import Event, Task
from tests.api.helpers import act, codes
from tests.walk import referral


def _referred(api, web_org) -> dict:
    return api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()


def _accept(web_org) -> dict:
    return {"helper_ids": [web_org.members["cell"][0].id], "resolution_date": "2026-11-16"}


def _events(case_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))


def test_a_task_id_on_a_step_that_takes_no_task_is_a_422_and_writes_nothing(api, web_org):
    case = _referred(api, web_org)
    step_task = db.session.scalar(sa.select(Task).where(Task.case_id == case["id"], Task.status == "open"))
    secretary = api("cell_secretary")
    for task_id in (step_task.id, 999999):  # the case's own open task, or none at all: refused alike
        refused = act(secretary, case, "accept_referral", task_id=task_id, **_accept(web_org))
        assert refused.status_code == 422 and codes(refused) == ["task_not_taken"]
        reason = refused.get_json()["reasons"][0]
        assert reason["params"] == {"trigger": "accept_referral", "task_id": task_id}
        assert "task_id" in reason["vi"] and "task_id" in reason["en"]
    assert _events(case["id"]) == 1 and step_task.status == "open"
    taken = act(secretary, case, "accept_referral", **_accept(web_org))
    assert taken.status_code == 200 and taken.get_json()["version"] == case["version"] + 1


def test_an_empty_task_id_from_a_form_counts_as_none(app, web_org):
    from casework.engine.service import apply
    from tests.walk import Walker

    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    case = apply(session=db.session, engine=app.extensions["casework_engine"], case=walker.case,
                 trigger="accept_referral", user=web_org.users["cell_secretary"], data=_accept(web_org),
                 expected_version=walker.case.version, task_id="")
    assert case.state == "sympathiser"


def test_the_engine_refuses_before_reading_fields(app, web_org):
    """The envelope is checked first: bad fields too, yet the answer is about the task_id."""
    from casework.engine.service import apply
    from tests.walk import Walker

    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    try:
        apply(session=db.session, engine=app.extensions["casework_engine"], case=walker.case,
              trigger="accept_referral", user=web_org.users["cell_secretary"], data={"helper_ids": "x"},
              expected_version=walker.case.version, task_id=7)
    except Invalid as refused:
        assert [r.code for r in refused.reasons] == ["task_not_taken"]
    else:
        raise AssertionError("a task_id on accept_referral was accepted")
