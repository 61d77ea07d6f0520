"""`casework bench engine`: both rates and their ratio, on a scratch database that is gone afterwards,
with the bare path writing the same rows as the engine."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

import config
from casework.cli import main
from casework.cli.bench_engine import _prepare, run_bare, run_engine, scratch_database
from casework.engine import Engine, hooks
from casework.models import Base, Case, Event, Notification, StateVisit, Task
from casework.monitoring import summaries
from casework.notifications import inbox
from tests.conftest import DATABASE_URL, IS_POSTGRES


@pytest.fixture
def configured(tmp_path):
    """The database the command is pointed at, and the scratch name it should use beside it."""
    if IS_POSTGRES:
        return sa.make_url(DATABASE_URL), f"{sa.make_url(DATABASE_URL).database}_bench"
    return sa.make_url(f"sqlite:///{tmp_path / 'configured.sqlite'}"), "bench_scratch"


def _scratch_exists(url: sa.URL, name: str, tmp_path) -> bool:
    if not IS_POSTGRES:
        return any(tmp_path.glob(f"{name}.sqlite*"))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name})
    engine.dispose()
    return bool(found)


def test_the_command_prints_both_rates_and_the_ratio(configured, monkeypatch, tmp_path):
    url, scratch = configured
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", url.render_as_string(hide_password=False))
    result = CliRunner().invoke(main, ["bench", "engine", "--transitions", "6", "--scratch", scratch])
    assert result.exit_code == 0, result.output
    rates = re.findall(r"(engine \(service\.apply\)|bare SQL \(same row writes\))\s+6 in\s+[\d.]+ s\s+→\s+([\d.]+) /s, "
                       r"\s*([\d.]+) statements per step", result.output)
    assert [label for label, _, _ in rates] == ["engine (service.apply)", "bare SQL (same row writes)"]
    assert all(float(rate) > 0 for _, rate, _ in rates)
    engine_statements, bare_statements = (float(n) for _, _, n in rates)
    # the case, the event, a task closed and one opened, the notice, the visit closed and opened, the stay and
    # pipeline tallies (the visit, stay and pipeline in one statement on PostgreSQL); what the bare loop reads
    # before it starts (the cases, their tally keys, the holders) is not counted
    assert bare_statements == (6 if IS_POSTGRES else 9)
    assert "bare SQL writes per step: the case updated, one event" in result.output
    assert re.search(r"load average [\d.]+ [\d.]+ [\d.]+ before", result.output)
    assert engine_statements > bare_statements
    assert re.search(r"ratio: the engine runs at [\d.]+× the bare rate", result.output)
    assert not _scratch_exists(url, scratch, tmp_path)
    if not IS_POSTGRES:
        assert not (tmp_path / "configured.sqlite").exists()  # the configured database was never written


def _shape(session: Session, case_ids: list[int]) -> list[tuple]:
    """What each case looks like in the rows: state, version, events, tasks by status, notices, visits (state,
    entered and left)."""
    shapes = []
    for case_id in case_ids:
        case = session.get(Case, case_id)
        events = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))
        tasks = session.execute(sa.select(Task.status, sa.func.count()).where(Task.case_id == case_id)
                                .group_by(Task.status).order_by(Task.status)).all()
        notices = session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.case_id == case_id))
        visits = session.execute(sa.select(StateVisit.state, StateVisit.entered_seq, StateVisit.left_seq,
                                           StateVisit.next_state).where(StateVisit.case_id == case_id)
                                 .order_by(StateVisit.entered_seq)).all()
        shapes.append((case.state, case.version, case.state_seq, events, [tuple(t) for t in tasks], notices,
                       [tuple(v) for v in visits]))
    return shapes


@pytest.fixture
def notices(workflows):
    """The app's listener for new tasks, whatever earlier tests left installed."""
    inbox.install(Engine(workflows=workflows))
    yield
    hooks.remove_listener(inbox.LISTENER_NAME)


def test_the_bare_path_writes_what_the_engine_writes(configured, tmp_path, workflows, notices):
    """On the database the suite runs on: the bare loop's visit, stay and pipeline are one statement on
    PostgreSQL."""
    url, scratch = configured
    engine = Engine(workflows=workflows)
    with scratch_database(url, scratch) as db_engine:
        Base.metadata.create_all(db_engine)
        with Session(db_engine) as session:
            engine_cases, bare_cases, user_id = _prepare(session, engine, 2)
            run_engine(session, engine, engine_cases, user_id, 5)
            run_bare(db_engine, bare_cases, user_id, 5)
            session.expire_all()
            assert _shape(session, engine_cases) == _shape(session, bare_cases)
            assert [s[0] for s in _shape(session, engine_cases)] == ["in_course", "sympathiser"]  # 3 and 2 steps
            assert all(shape[5] > 0 for shape in _shape(session, bare_cases))  # the holders were told
            assert summaries.check(session.connection()) == []  # both kept the tallies with the history
    assert not _scratch_exists(url, scratch, tmp_path)
