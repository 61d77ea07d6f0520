"""How many SQL statements one ordinary step issues: a ceiling, so a change that adds a query per step (a lazy
load, a second flush, a reload) shows up here rather than as a slower national dashboard.

The step is the cell's vote (``cell_review`` → ``grassroots_review``): mid-procedure, with fields, guards
reading the register, a task closed and the next one opened (its holders notified, as in the app), a visit and
the tallies moved."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from casework.engine import hooks
from casework.engine.service import apply
from casework.notifications import inbox
from tests.walk import Walker

# What one such step costs now: 21 statements on both databases when first measured (18 for the step, 3 for
# telling the new task's holders).
CEILING = 21


@contextlib.contextmanager
def counting(db_engine: sa.Engine) -> Iterator[list[str]]:
    """Every statement sent to the database while inside, in order."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(db_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db_engine, "before_cursor_execute", count)


@pytest.fixture
def notices(engine):
    """The app's listener for new tasks, whether or not an earlier test left one installed."""
    inbox.install(engine)
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


def test_one_step_issues_at_most_the_ceiling_of_statements(session, engine, org, db_engine, notices):
    walker = Walker(session, engine, org)
    case = walker.to("cell_review")
    user = org.users[walker.secretary()]
    with counting(db_engine) as statements:
        apply(session=session, engine=engine, case=case, trigger="record_cell_vote", user=user, data=walker.vote(),
              expected_version=case.version)
    assert case.state == "grassroots_review"
    print(f"\n{len(statements)} statements:\n" + "\n".join(s.split("\n")[0][:120] for s in statements))
    assert len(statements) <= CEILING, "\n".join(statements)
