"""A step without the ORM's heavier machinery, and no different for it: the row lock brings the case the session
holds up to date from a narrow Core reading (``casework.engine.races``), and the step's changed rows are written
by Core UPDATEs that the session's flush listeners see as a flush (``casework.engine.rows.flush``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from casework.cli.bench_engine import counting_statements
from casework.engine.races import lock_case
from casework.engine.rows import flush
from casework.models import Case, Task, TaskStatus
from tests.walk import Walker


def _accepted(session, engine, org) -> Case:
    walker = Walker(session, engine, org)
    return walker.act("cell_secretary", "accept_referral",
                      {"helper_ids": [walker.cell_members()[0].id], "resolution_date": walker.today.isoformat()})


def _row(session, model, obj_id, *columns):
    return session.connection().execute(sa.select(*columns).where(model.id == obj_id)).one()


# --- writing the step's changed rows ------------------------------------------------------------------------------


@pytest.fixture
def no_unit_of_work(session, monkeypatch):
    """The session's unit of work refuses to run: what is written goes by ``flush``'s own UPDATEs."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the unit of work ran")

    monkeypatch.setattr(type(session), "_flush", refuse)


def test_changed_columns_are_written_with_the_version_checked_and_the_objects_left_clean(session, engine, org,
                                                                                          request):
    case = _accepted(session, engine, org)
    request.getfixturevalue("no_unit_of_work")
    task = next(t for t in case.tasks if t.status == TaskStatus.OPEN)
    version = case.version
    case.facts = {**case.facts, "note": "lean"}
    task.outcome = {"seen": True}
    seen = []

    def before(s, *_):
        seen.append(("before", case in s.dirty, task in s.dirty))

    def after(s, *_):  # the history is still there, as after the unit of work's statements
        seen.append(("after", sa.inspect(case).attrs.facts.history.has_changes()))

    sa.event.listen(session, "before_flush", before)
    sa.event.listen(session, "after_flush", after)
    try:
        flush(session)
    finally:
        sa.event.remove(session, "before_flush", before)
        sa.event.remove(session, "after_flush", after)
    assert seen == [("before", True, True), ("after", True)]
    assert case.version == version + 1 and case not in session.dirty and task not in session.dirty
    assert _row(session, Case, case.id, Case.version, Case.facts) == (version + 1, case.facts)
    assert _row(session, Task, task.id, Task.outcome).outcome == {"seen": True}
    session.commit()


def test_a_rollback_after_it_undoes_the_objects_as_after_a_flush(session, engine, org):
    case = _accepted(session, engine, org)
    version, facts = case.version, dict(case.facts)
    case.facts = {**facts, "note": "undone"}
    flush(session)
    session.rollback()
    assert case.version == version and case.facts == facts  # expired, read again as committed


def test_a_version_that_moved_on_is_a_stale_data_error(session, engine, org, request):
    case = _accepted(session, engine, org)
    request.getfixturevalue("no_unit_of_work")
    session.connection().execute(sa.update(Case.__table__).where(Case.__table__.c.id == case.id)
                                 .values(version=case.version + 1))
    case.facts = {**case.facts, "note": "late"}
    with pytest.raises(StaleDataError):
        flush(session)
    session.rollback()


def test_anything_else_pending_goes_through_the_unit_of_work(session, engine, org):
    case = _accepted(session, engine, org)
    first = case.tasks[0]
    extra = Task(case_id=case.id, kind="note", state=case.state, role="cell_secretary", unit_id=case.owning_cell_id,
                 status=TaskStatus.OPEN, subject={}, entry_seq=case.state_seq, outcome={})
    session.add(extra)
    case.facts = {**case.facts, "note": "with a new row"}
    flush(session)
    assert extra.id is not None and not session.new and not session.dirty
    assert _row(session, Case, case.id, Case.facts).facts["note"] == "with a new row"
    assert first.case is case
    session.commit()


# --- the row lock on a case the session holds ---------------------------------------------------------------------


def test_the_lock_reads_what_moved_without_the_version(session, engine, org, db_engine):
    case = _accepted(session, engine, org)
    task = next(t for t in case.tasks if t.status == TaskStatus.OPEN)
    claimant = org.users["cell_secretary"]
    # Another transaction: the clock's notice number, a subject renamed (the title), the task claimed, the
    # candidate's name corrected; none of them moves the case's version.
    with db_engine.begin() as other:
        other.execute(sa.update(Case.__table__).where(Case.__table__.c.id == case.id)
                      .values(last_event_seq=Case.__table__.c.last_event_seq + 1, title="Tên mới"))
        other.execute(sa.update(Task.__table__).where(Task.__table__.c.id == task.id)
                      .values(claimed_by_id=claimant.id))
        other.execute(sa.text("UPDATE candidates SET full_name = 'Tên mới' WHERE id = :id"), {"id": case.subject_id})
    seq, version = case.last_event_seq, case.version
    with counting_statements(db_engine) as statements:
        assert lock_case(session, case) == version
    assert len(statements) == 1  # the lock's reading only, no reload
    assert (case.last_event_seq, case.title, task.claimed_by_id) == (seq + 1, "Tên mới", claimant.id)
    assert case.candidate.full_name == "Tên mới"
    assert not session.dirty
    session.commit()


def test_a_version_moved_on_or_a_task_opened_meanwhile_reloads_the_case(session, engine, org, db_engine):
    case = _accepted(session, engine, org)
    version, tasks = case.version, len(case.tasks)
    with db_engine.begin() as other:
        other.execute(sa.update(Case.__table__).where(Case.__table__.c.id == case.id)
                      .values(version=version + 1, stage="moved"))
        other.execute(sa.insert(Task.__table__).values(
            case_id=case.id, kind="note", state=case.state, role="cell_secretary", unit_id=case.owning_cell_id,
            status=TaskStatus.OPEN, subject={}, entry_seq=case.state_seq, outcome={}))
    with counting_statements(db_engine) as statements:
        assert lock_case(session, case) == version + 1
    assert len(statements) == 2  # the lock's reading, then the ORM's reload
    assert case.stage == "moved" and len(case.tasks) == tasks + 1
    session.rollback()


def test_a_task_opened_meanwhile_alone_reloads_the_tasks(session, engine, org, db_engine):
    case = _accepted(session, engine, org)
    tasks = len(case.tasks)
    with db_engine.begin() as other:
        other.execute(sa.insert(Task.__table__).values(
            case_id=case.id, kind="note", state=case.state, role="cell_secretary", unit_id=case.owning_cell_id,
            status=TaskStatus.OPEN, subject={}, entry_seq=case.state_seq, outcome={}))
    lock_case(session, case)
    assert [t.kind for t in case.tasks][-1] == "note" and len(case.tasks) == tasks + 1
    session.rollback()


def test_an_ordinary_step_runs_no_unit_of_work_and_no_reload(session, engine, org, db_engine, request):
    walker = Walker(session, engine, org)
    walker.act("cell_secretary", "accept_referral",
               {"helper_ids": [walker.cell_members()[0].id], "resolution_date": walker.today.isoformat()})
    request.getfixturevalue("no_unit_of_work")
    with counting_statements(db_engine) as statements:
        case = walker.act("cell_secretary", "enrol_course",
                          {"course": "Lớp nhận thức về Đảng", "course_mode": "online"})
    assert case.state == "in_course" and not session.dirty
    # The lock's narrow reading first; the case is not read whole again.
    assert statements[0].lstrip().startswith("SELECT cases.version")
    assert not any(s.lstrip().startswith("SELECT") and "cases.workflow_version" in s for s in statements)
    assert _row(session, Case, case.id, Case.state, Case.version) == ("in_course", case.version)
