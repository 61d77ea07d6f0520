"""How many SQL statements one ordinary step issues: a ceiling, so a change that adds a query per step (a lazy
load, a second flush, a reload) shows up here rather than as a slower national dashboard.

The step is the cell's vote (``cell_review`` → ``grassroots_review``): mid-procedure, with fields and guards,
a task closed and the next one opened (its holders notified, as in the app), a visit and
the tallies moved. The clock's step (probation → recognition review) and a referral go through the same
pipeline and have their own ceilings."""

from __future__ import annotations

from datetime import date

import pytest

from casework.cli.bench_engine import counting_statements as counting  # other tests count with it too
from casework.engine import hooks
from casework.engine.clock import clock_transitions_due, take_clock_step
from casework.engine.service import apply, start_case
from casework.notifications import inbox
from tests.clock.conftest import walk_to_probation
from tests.conftest import IS_POSTGRES
from tests.walk import Walker, referral

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
# instead of being read first (9 / 11). Then, on PostgreSQL, the tally keys of a case under the step's row lock
# whose own columns alone move them are no longer read: the pipeline count moves in the statement that closes
# and opens the visit and counts the stay, which reads the cell's, workplace's and candidate's parts itself (7).
# What is left on PostgreSQL: lock the case with its tasks (1); the case UPDATE, the event INSERT, the task
# closed (UPDATE) and the next opened (INSERT) (4, in one flush); the notices, INSERT … SELECT (1); the visit
# closed and opened, the stay and the pipeline counted, one statement of data-modifying CTEs (1). On SQLite (no
# row locks, no data-modifying CTEs) the tally keys are read (1), and the pipeline upsert, the visit's UPDATE, the
# stay's upsert and the next visit's INSERT are statements of their own (4): 11.
CEILING = 7 if IS_POSTGRES else 11
# The clock's step (start_recognition: probation → recognition_review) reads no fields and writes the same.
CLOCK_CEILING = 7 if IS_POSTGRES else 11
# A referral: the referrer's roles, the workplace, the candidate and an open case of theirs read (4); the
# candidate, case, event and first task written (4); the new case's keys read, its pipeline and referral counted
# (3); the notices (1); the first visit opened (1). (It looked for an open visit of the new case too: 14.)
REFERRAL_CEILING = 13


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


def test_a_clock_step_issues_at_most_its_ceiling_of_statements(session, engine, org, clock, db_engine, notices):
    case = walk_to_probation(session, engine, org, clock, ceremony=date(2026, 11, 20)).case
    clock.set_day(date(2027, 11, 20))  # probation ends
    (transition,) = clock_transitions_due(engine.definition_of(case), case, engine.today())
    with counting(db_engine) as statements:
        assert take_clock_step(session=session, engine=engine, case=case, transition=transition) == []
        session.commit()
    assert case.state == "recognition_review"
    assert len(statements) <= CLOCK_CEILING, "\n".join(statements)


def test_a_referral_issues_at_most_its_ceiling_of_statements(session, engine, org, db_engine, notices):
    with counting(db_engine) as statements:
        case = start_case(workflow="admission", session=session, engine=engine, user=org.users["union_officer"],
                          data=referral(org))
    assert case.state == "referred"
    assert len(statements) <= REFERRAL_CEILING, "\n".join(statements)
