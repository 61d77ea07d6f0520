"""The inbox: tasks routed to units where the caller holds the task's role, overdue flagged."""

from datetime import date
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from casework.auth import create_token
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


def _statements(client, url: str, headers: dict) -> tuple[int, dict]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    db.session.expire_all()  # a request reads everything afresh, as it would in a session of its own
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers=headers)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return len(seen), response.get_json()


def _referrals(app, web_org, n: int) -> None:
    for _ in range(n):
        Walker(db.session, app.extensions["casework_engine"], web_org)


def test_the_inbox_costs_the_same_statements_for_1_task_as_for_30_or_60(app, web_org):
    token = create_token(db.session, web_org.users["cell_secretary"], "test")
    db.session.commit()
    headers, client = {"Authorization": f"Bearer {token}"}, app.test_client()
    client.get("/api/v1/tasks", headers=headers)  # the token's first use records itself; later ones read only
    counts = []
    for new, total in ((1, 1), (29, 30), (30, 60)):
        _referrals(app, web_org, new)
        statements, body = _statements(client, "/api/v1/tasks?limit=200", headers)
        assert len(body["tasks"]) == total and all(t["candidate"] and t["unit"]["name"] for t in body["tasks"])
        counts.append(statements)
    # the caller (token, person, roles), the roles delegated to them for today, and the one inbox query
    assert counts[0] == counts[1] == counts[2] <= 5, counts


def test_paging_walks_every_task_once_in_order(app, api, web_org, clock):
    _referrals(app, web_org, 4)
    clock.set_day(date(2027, 1, 4))  # the first four are overdue now, the next three are not
    _referrals(app, web_org, 3)
    caller, seen, after = api("cell_secretary"), [], None
    while True:
        body = caller.get("/api/v1/tasks?limit=2" + (f"&after={quote(after)}" if after else "")).get_json()
        assert len(body["tasks"]) <= 2
        seen += body["tasks"]
        after = body["next"]
        if after is None:
            break
    assert [t["id"] for t in seen] == [t["id"] for t in _inbox(api, "cell_secretary")]  # one page of 50
    assert len({t["id"] for t in seen}) == len(seen) == 7
    assert [t["overdue"] for t in seen] == [True] * 4 + [False] * 3
    keys = [(t["due_date"], t["id"]) for t in seen]
    assert keys == sorted(keys)


@pytest.mark.parametrize("query", ["after=nonsense", "after=2027-02-30:5", "after=n:0", "after=", "limit=0",
                                   "limit=201", "limit=x"])
def test_a_bad_cursor_or_limit_is_a_422_with_a_reason(api, web_org, query):
    response = api("cell_secretary").get(f"/api/v1/tasks?{query}")
    assert response.status_code == 422
    reason = response.get_json()["reasons"][0]
    assert reason["code"] in ("bad_cursor", "bad_parameter") and reason["params"]["parameter"] in ("after", "limit")
