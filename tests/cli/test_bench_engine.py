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
from casework.engine import Engine
from casework.models import Base, Case, Event, Task
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
    # update the case, insert the event, close a task, open one; and reading the cases once, before the loop
    assert bare_statements == round((4 * 6 + 1) / 6, 1)
    assert engine_statements > bare_statements
    assert re.search(r"ratio: the engine runs at [\d.]+× the bare rate", result.output)
    assert not _scratch_exists(url, scratch, tmp_path)
    if not IS_POSTGRES:
        assert not (tmp_path / "configured.sqlite").exists()  # the configured database was never written


def _shape(session: Session, case_ids: list[int]) -> list[tuple]:
    """What each case looks like in the rows: state, version, events, tasks by status."""
    shapes = []
    for case_id in case_ids:
        case = session.get(Case, case_id)
        events = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))
        tasks = session.execute(sa.select(Task.status, sa.func.count()).where(Task.case_id == case_id)
                                .group_by(Task.status).order_by(Task.status)).all()
        shapes.append((case.state, case.version, case.state_seq, events, [tuple(t) for t in tasks]))
    return shapes


def test_the_bare_path_writes_what_the_engine_writes(tmp_path, workflows):
    url = sa.make_url(f"sqlite:///{tmp_path / 'configured.sqlite'}")
    engine = Engine(workflows=workflows)
    with scratch_database(url, "shape") as db_engine:
        Base.metadata.create_all(db_engine)
        with Session(db_engine) as session:
            engine_cases, bare_cases, user_id = _prepare(session, engine, 2)
            run_engine(session, engine, engine_cases, user_id, 5)
            run_bare(db_engine, bare_cases, user_id, 5)
            session.expire_all()
            assert _shape(session, engine_cases) == _shape(session, bare_cases)
            assert [s[0] for s in _shape(session, engine_cases)] == ["in_course", "sympathiser"]  # 3 and 2 steps
    assert not (tmp_path / "shape.sqlite").exists()
