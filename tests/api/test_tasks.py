"""The inbox: tasks routed to units where the caller holds the task's role, overdue flagged."""

from datetime import date

from casework.extensions import db
from tests.walk import Walker, referral


def _inbox(api, username: str) -> list[dict]:
    response = api(username).get("/api/v1/tasks")
    assert response.status_code == 200
    return response.get_json()["tasks"]


def test_the_inbox_holds_only_the_callers_tasks(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    mine = _inbox(api, "cell_secretary")
    assert [(t["case_id"], t["kind"], t["role"]) for t in mine] == [(case["id"], "step", "cell_secretary")]
    assert mine[0]["case_state"] == "referred" and mine[0]["candidate"] == "Nguyễn Thị Hương"
    assert mine[0]["overdue"] is False
    for username in ("other_secretary", "union_officer", "organizer", "residential_committee", "authority"):
        assert _inbox(api, username) == [], username


def test_verification_tasks_go_to_each_place(app, api, web_org):
    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    walker.to("verification")
    committee = _inbox(api, "residential_committee")
    assert [(t["kind"], t["unit"]["id"]) for t in committee] == [("confirm_background", web_org.residential_cell.id)]
    assert committee[0]["subject"]["people"][0]["full_name"] == "Nguyễn Thị Hương"
    assert _inbox(api, "far_committee") == []
    assert _inbox(api, "cell_secretary") == []  # its step waits until every place has replied


def test_overdue_tasks_are_flagged_and_come_first(api, web_org, clock):
    api("union_officer").post("/api/v1/cases", json=referral(web_org, national_id="001298000201"))
    clock.set_day(date(2027, 1, 4))
    api("union_officer").post("/api/v1/cases", json=referral(web_org, national_id="001298000202"))
    tasks = _inbox(api, "cell_secretary")
    assert [t["overdue"] for t in tasks] == [True, False]
    assert tasks[0]["due_date"] < "2027-01-04" <= tasks[1]["due_date"]
