"""Two clock runs on one PostgreSQL database: the second finds the first's advisory lock, says so and does
nothing, successfully (exit 0), and runs again once the first is done. SQLite runs go ahead as before."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from casework.clock.exclusive import TICK_LOCK_KEY, only_one_tick
from casework.clock.tick import TickReport
from casework.extensions import db
from tests.conftest import IS_POSTGRES

on_postgres = pytest.mark.skipif(not IS_POSTGRES, reason="an advisory lock is PostgreSQL's")


@pytest.mark.postgres_only
@on_postgres
def test_a_second_tick_says_another_holds_the_lock_and_exits_0(app, web_org):
    runner = app.test_cli_runner()
    with db.engine.connect() as other_host:  # another machine's tick, mid-run
        assert other_host.scalar(sa.select(sa.func.pg_try_advisory_lock(TICK_LOCK_KEY)))
        skipped = runner.invoke(args=["tick", "--json"])
        assert skipped.exit_code == 0, skipped.output
        assert "another clock run holds" in skipped.output and "cases_visited" not in skipped.output
        other_host.scalar(sa.select(sa.func.pg_advisory_unlock(TICK_LOCK_KEY)))
    ran = runner.invoke(args=["tick", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.output) == TickReport().as_dict()


@pytest.mark.postgres_only
@on_postgres
def test_the_lock_is_let_go_when_the_run_ends_or_fails(app):
    with pytest.raises(RuntimeError), only_one_tick(db.engine) as ours:
        assert ours
        with only_one_tick(db.engine) as second:
            assert not second
        raise RuntimeError("the run failed")
    with only_one_tick(db.engine) as again:
        assert again


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's behaviour")
def test_sqlite_runs_are_not_held_back(app):
    with only_one_tick(db.engine) as first, only_one_tick(db.engine) as second:
        assert first and second
