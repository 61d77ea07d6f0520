"""Finding a visible case costs no more statements than when each face found it its own way, page and API alike.

The ceilings are what ``GET /cases/<id>`` and ``GET /api/v1/cases/<id>`` issued before both faces called
``casework.engine.scope.visible_case`` (a get, the subtree paths, an EXISTS for the scope, then the tasks, their
units and the owning cell lazily); the one SELECT it makes now keeps them well below."""

import json
import logging

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.operations.requests import JsonLines

BEFORE = {  # (username, state): (page, api), measured on SQLite
    ("cell_secretary", "referred"): (16, 10),
    ("grassroots_committee", "referred"): (19, 14),
    ("organizer", "referred"): (17, 12),
    ("cell_secretary", "verification"): (19, 12),
    ("grassroots_committee", "verification"): (19, 18),
    ("organizer", "verification"): (21, 16),
    ("residential_committee", "verification"): (5, 10),  # the page redirects to the verification task
}


def _statements(client, url: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    db.session.remove()  # a request of its own starts with an empty session
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code in (200, 302)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize(("username", "state"), list(BEFORE))
def test_a_case_costs_no_more_statements_than_before(page, api, walker, username, state):
    case = walker().to(state)
    case_id = case.id
    browser, caller = page(username), api(username)
    browser.get(f"/cases/{case_id}")  # warm what a first request fills
    caller.get(f"/api/v1/cases/{case_id}")
    counts = (_statements(browser, f"/cases/{case_id}"), _statements(caller.client, f"/api/v1/cases/{case_id}"))
    page_before, api_before = BEFORE[(username, state)]
    assert counts[0] <= page_before and counts[1] <= api_before, counts


def test_the_request_log_line_costs_no_statement(page, walker, caplog):
    """The log line names who asked from the session's identity map: the person, expired by the request's
    commit, is not reloaded for it."""
    case_id = walker().to("verification").id
    browser = page("cell_secretary")
    browser.get(f"/cases/{case_id}")
    counts = []
    for level in (logging.WARNING, logging.INFO):  # without, then with, the request log
        caplog.set_level(level, logger="casework.requests")
        counts.append(_statements(browser, f"/cases/{case_id}"))
    assert counts[1] == counts[0]
    line = json.loads(JsonLines().format([r for r in caplog.records if r.name == "casework.requests"][-1]))
    assert line["user_id"] is not None
