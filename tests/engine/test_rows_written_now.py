"""A step's event and new tasks are written at once (``casework.engine.rows``) and kept in the session as saved
objects: whoever reads them next sees every column without a reload, the case's loaded tasks and history end
with them, the commit writes them no second time, and the new task's holders are told."""

import pytest
import sqlalchemy as sa

from casework.cli.bench_engine import counting_statements
from casework.engine import hooks
from casework.models import Event, Notification, Task, TaskStatus
from casework.notifications import inbox
from tests.walk import Walker


@pytest.fixture
def notices(engine):
    """The app's listener for new tasks, whether or not an earlier test left one installed."""
    inbox.install(engine)
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


def _accept(walker: Walker):
    return walker.act("cell_secretary", "accept_referral",
                      {"helper_ids": [walker.cell_members()[0].id], "resolution_date": walker.today.isoformat()})


def test_the_new_event_and_task_are_saved_objects_holding_every_column(session, engine, org):
    walker = Walker(session, engine, org)
    case = walker.case
    assert [t.status for t in case.tasks] == [TaskStatus.OPEN] and [e.seq for e in case.events] == [1]
    case = _accept(walker)
    event, task = case.events[-1], case.tasks[-1]
    assert (event.seq, event.trigger, task.status, task.state) == (2, "accept_referral", "open", "sympathiser")
    for obj in (event, task):
        state = sa.inspect(obj)
        assert state.persistent and not state.expired_attributes and obj not in session.dirty
    assert task.outcome == {} and task.created_at is not None and task.claimed_by_id is None
    assert task.case is case and event.case is case
    # As the database holds them: the same rows, read afresh.
    written = session.execute(sa.select(Event.seq, Event.trigger).where(Event.id == event.id)).one()
    assert written == (2, "accept_referral")
    assert session.execute(sa.select(Task.status, Task.outcome).where(Task.id == task.id)).one() == ("open", {})


def test_the_case_s_tasks_after_the_step_are_read_without_a_statement(session, engine, org, db_engine):
    walker = Walker(session, engine, org)
    case = _accept(walker)
    with counting_statements(db_engine) as statements:
        seen = [(t.kind, t.state, t.status) for t in case.tasks]
    assert statements == []
    assert seen == [("step", "referred", "done"), ("step", "sympathiser", "open")]
    assert [(e.trigger, e.to_state) for e in case.events] == [("refer", "referred"), ("accept_referral", "sympathiser")]


def test_the_holders_of_a_task_opened_after_the_last_flush_are_told(session, engine, org, notices):
    walker = Walker(session, engine, org)
    case = _accept(walker)
    task = case.tasks[-1]
    told = session.scalars(sa.select(Notification).where(Notification.task_id == task.id)).all()
    assert [(n.user.username, n.kind, n.case_id) for n in told] == [("cell_secretary", "new_task", case.id)]


def test_a_rollback_drops_the_rows_written_in_what_it_undoes(session, engine, org):
    from casework.engine.rows import write_now

    walker = Walker(session, engine, org)
    model = walker.case.tasks[-1]
    values = {c.key: getattr(model, c.key) for c in Task.__table__.c if not c.primary_key}
    kept = write_now(session, Task, values)
    savepoint = session.begin_nested()
    undone = write_now(session, Task, values)
    savepoint.rollback()
    # Gone from the session, as a row the session inserted itself would be; written before the savepoint: kept.
    assert undone not in session and kept in session
    again = write_now(session, Task, values)  # SQLite may give the undone row's key again
    assert again in session and session.get(Task, again.id) is again
    session.rollback()
    assert kept not in session and again not in session
