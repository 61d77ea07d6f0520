"""What the API sends to the database for a step and for a case: nothing read back after a step's commit, and a
case's history named in one query however many people acted on it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from casework.auth import create_token
from casework.extensions import db
from tests.api.helpers import act
from tests.walk import Walker, referral


@contextlib.contextmanager
def _statements() -> Iterator[list[str]]:
    """Every statement sent while inside, with ``COMMIT`` where a transaction committed."""
    seen: list[str] = []

    def statement(conn, cursor, text, parameters, context, executemany) -> None:
        seen.append(" ".join(text.split()))

    def commit(conn) -> None:
        seen.append("COMMIT")

    sa.event.listen(db.engine, "before_cursor_execute", statement)
    sa.event.listen(db.engine, "commit", commit)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statement)
        sa.event.remove(db.engine, "commit", commit)


def _reads_of(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


def test_a_step_answers_from_what_it_wrote_without_reading_the_case_or_the_person_again(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    secretary = api("cell_secretary")
    secretary.get("/api/v1/tasks")  # signed in; the token's first use is behind it
    with _statements() as seen:
        response = act(secretary, case, "accept_referral", helper_ids=[web_org.members["cell"][0].id],
                       resolution_date="2026-11-16")
    assert response.status_code == 200, response.get_json()
    assert seen.count("COMMIT") == 1
    after = seen[seen.index("COMMIT") + 1:]
    # The answer reads what the step did not hold (the documents, the history, its actors' names, a unit named
    # in a refusal), not the case, the person or their roles: the session kept them as it wrote them.
    for table in ("cases", "role_assignments", "delegations", "tasks"):
        assert _reads_of(after, table) == [], table
    assert [s for s in _reads_of(after, "users")] == [s for s in after if s.startswith("SELECT users.id, "
                                                                                       "users.username FROM")]
    body = response.get_json()
    assert body["state"] == "sympathiser" and body["version"] == 2
    assert [e["actor"] for e in body["history"]] == ["union_officer", "cell_secretary"]
    assert [t["kind"] for t in body["tasks"]] == ["step"] and body["tasks"][0]["role"] == "cell_secretary"


def test_the_next_step_on_the_same_answer_is_taken_on_the_version_it_shows(api, web_org):
    """What a step answers is what the database holds: the version it shows is the one the next step must give."""
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    secretary = api("cell_secretary")
    answered = act(secretary, case, "accept_referral", helper_ids=[web_org.members["cell"][0].id],
                   resolution_date="2026-11-16").get_json()
    assert api("cell_secretary").get(f"/api/v1/cases/{case['id']}").get_json() == answered
    withdrawn = act(secretary, answered, "withdraw", reason="Chuyển công tác.")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["version"] == answered["version"] + 1


def _case_statements(client, case_id: int) -> int:
    with _statements() as seen:
        response = client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    return len(seen)


def test_a_case_costs_the_same_statements_with_two_people_in_its_history_as_with_five(app, api, web_org):
    walker = Walker(db.session, app.extensions["casework_engine"], web_org)
    walker.to("dossier")
    organizer = api("organizer")
    organizer.get("/api/v1/tasks")
    first = organizer.get(f"/api/v1/cases/{walker.case.id}").get_json()
    before = _case_statements(organizer, walker.case.id)
    walker.to("admitted")
    later = organizer.get(f"/api/v1/cases/{walker.case.id}").get_json()
    after = _case_statements(organizer, walker.case.id)
    actors = lambda body: {e["actor"] for e in body["history"]}  # noqa: E731
    assert len(actors(later)) >= len(actors(first)) + 2, (actors(first), actors(later))
    assert None not in actors(later)
    assert before == after


def test_a_token_is_read_with_its_owner_and_their_roles_in_one_statement(app, web_org):
    token = create_token(db.session, web_org.users["cell_secretary"], "test")
    db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/tasks", headers=headers)  # the token's first use records itself
    db.session.remove()  # as a new request in production: nobody is in the session yet
    with _statements() as seen:
        response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 200 and [t["role"] for t in response.get_json()["tasks"]] == []
    token_reads = _reads_of(seen, "api_tokens")
    assert len(token_reads) == 1 and "JOIN users" in token_reads[0] and "JOIN role_assignments" in token_reads[0]
    assert _reads_of(seen, "users") == [], seen
    # the roles they hold themselves come with the token; those stood in for today are the delegations' read
    assert [s for s in _reads_of(seen, "role_assignments") if "delegations" not in s] == [], seen
