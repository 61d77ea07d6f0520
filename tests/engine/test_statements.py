"""How many SQL statements one ordinary step issues: a ceiling, so a change that adds a query per step (a lazy
load, a second flush, a reload) shows up here rather than as a slower national dashboard.

The step is the cell's vote (``cell_review`` → ``grassroots_review``): mid-procedure, with fields and guards,
a task closed and the next one opened (its holders notified, as in the app), a visit and
the tallies moved."""

from __future__ import annotations

import pytest

from casework.cli.bench_engine import counting_statements as counting  # other tests count with it too
from casework.engine import hooks
from casework.engine.service import apply
from casework.notifications import inbox
from tests.conftest import IS_POSTGRES
from tests.walk import Walker

# 21 on both databases when first measured (18 for the step, 3 for telling the new task's holders). Then the
# case's tasks came with its row lock instead of a second read, SQLite (no row locks) stopped "locking" the
# cases whose tally keys a flush reads, and a case's pipeline count moves in one executemany (19 / 18). Then the
# holders came without their roles, the tally keys are read once (the case is already locked by the step, and
# only its own columns moved, so the keys after are worked out rather than read again) and the visit the step
# leaves is closed by one UPDATE found by the case's state_seq, its cell's path taken from the keys (14 / 14).
# Then the event number came from cases.last_event_seq, written in the case's UPDATE, instead of max(seq) (13),
# and on PostgreSQL the visit is closed, the next opened and the stay counted in one statement (11).
# Then the case's row lock loads its tasks in the same statement (joined, FOR UPDATE OF cases) (10 / 12), and
# the new task's holders are told by one INSERT … SELECT from their role assignments once the task is written,
# instead of being read first (9 / 11).
# What is left: lock the case with its tasks (1), the tally keys (1), the case, event and task writes (4), the
# notices (1), the pipeline tallies (1), the visit closed and opened with its stay counted (1 on PostgreSQL, 3 on
# SQLite).
CEILING = 9 if IS_POSTGRES else 11


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
    assert len(statements) <= CEILING, "\n".join(statements)
