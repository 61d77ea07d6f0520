"""`casework bench engine`: persisted transitions per second through ``service.apply``, beside the rate of
a bare SQL transaction doing the same row writes, measured in the same run on the configured database.

Each case loops between two states by the steps its workflow's package offers (``WorkflowPackage.bench``:
admission's sympathiser → in_course → sympathiser, ``enrol_course`` / ``fail_course``), so every transition
writes what a real step writes, and the bare loop writes the same rows (``BARE_WRITES``) with
SQLAlchemy Core, one commit per step as the engine: the case row, one event, the open task closed and the next
opened, a notice to each holder of the new task, the visit closed and the next opened, the stay tally and the
pipeline tallies (one key down, one up). On PostgreSQL the visit, the stay and the pipeline go in one statement,
as the engine's upkeep writes them there (6 statements a step; 9 on SQLite). It reads nothing while timing: what
it needs (the cases, their tally keys, the holders) is read once before.

The difference is the engine's overhead: Python (fields, guards, routing, the unit of work) and its reads. The
engine's session does not expire on commit (as the tests' sessions), so between steps nothing is reloaded and a
step sends what ``tests/engine/test_statements.py`` counts: on PostgreSQL the case's row lock with its live
tasks, then the same writes (7 a step); on SQLite the tally keys are read too (11). Each line says how many
statements a step sent on average, the figure to watch when a step gets slower. The two loops take turns in
rounds, so a machine busier for a while slows both alike; the load average is printed before and after. Both run
in a scratch database on the same server (a file beside the SQLite one, or a database of its own on the
PostgreSQL server) holding the demo organisation, dropped afterwards: nothing touches real data.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from casework.engine import Engine
from casework.engine.packages import PACKAGES, BenchLoop, package_of
from casework.models import Base, Case, Event, Notification, StateVisit, Task, TaskStatus
from casework.models.monitoring import visit_days
from casework.models.notifications import MailStatus
from casework.models.tallies import (
    OPEN_YEAR,
    PIPELINE_KEY,
    PipelineTally,
    StayTally,
    local_year,
    top_unit_id,
    whole_days,
)

CASES = 20
WARM_UP = 10


@dataclass
class Rate:
    label: str
    count: int
    seconds: float
    statements: int = 0  # sent to the database while timing

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")

    @property
    def statements_per_step(self) -> float:
        return self.statements / self.count


@contextlib.contextmanager
def counting_statements(db_engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement sent through ``db_engine`` while inside, in order (commits and rollbacks are not
    statements here: the driver sends them without a cursor)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(db_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db_engine, "before_cursor_execute", count)


# --- the scratch database ---------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: sa.URL, name: str) -> Iterator[sa.Engine]:
    """A fresh, empty database beside the configured one, removed on the way out."""
    if url.get_backend_name() == "postgresql":
        yield from _postgres_scratch(url, name)
    elif url.get_backend_name() == "sqlite":
        yield from _sqlite_scratch(url, name)
    else:
        raise click.ClickException(f"no scratch database for {url.get_backend_name()}")


def _postgres_scratch(url: sa.URL, name: str) -> Iterator[sa.Engine]:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
        engine = sa.create_engine(url.set(database=name))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        admin.dispose()


def _sqlite_scratch(url: sa.URL, name: str) -> Iterator[sa.Engine]:
    """A file in the same directory as the configured one (same disk), or a temporary one for memory."""
    directory = Path(url.database).parent if url.database else Path(tempfile.gettempdir())
    path = directory / f"{name}.sqlite"
    path.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}")
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        yield engine
    finally:
        engine.dispose()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """The same settings the application uses on SQLite (see ``casework._tune_sqlite``)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# --- setting up ------------------------------------------------------------------------------------


@functools.cache
def bench_loop(workflow: str) -> BenchLoop:
    """The loop the workflow's package offers the bench."""
    package = package_of(workflow)
    if package.bench is None:
        raise click.ClickException(f"the {workflow} workflow's package offers no loop to benchmark")
    return package.bench()


def benchmarked_workflow(engine: Engine) -> str:
    """The first loaded workflow (by name) whose package offers a loop."""
    found = next((name for name in sorted(engine.workflows) if name in PACKAGES and PACKAGES[name].bench), None)
    if found is None:
        raise click.ClickException("no loaded workflow's package offers a loop to benchmark")
    return found


def _prepare(session: Session, engine: Engine, cases: int, workflow: str | None = None
             ) -> tuple[list[int], list[int], int]:
    """The demo organisation and 2 × ``cases`` cases ready for the workflow's loop: one half for each path."""
    from casework.demo.organisation import build_organisation

    org = build_organisation(session)
    ids, user_id = bench_loop(workflow or benchmarked_workflow(engine)).prepare(session, engine, org, 2 * cases)
    return ids[:cases], ids[cases:], user_id


# --- the two loops ---------------------------------------------------------------------------------


def engine_loop(session: Session, engine: Engine, case_ids: list[int], user_id: int) -> Callable[[int], float]:
    """A function taking ``count`` transitions through ``service.apply`` (round-robin over the cases, carrying on
    where the last call stopped) and answering the seconds taken. The cases and the person are read before."""
    from casework.engine.service import apply
    from casework.models import User

    user = session.get(User, user_id)
    cases = [session.get(Case, case_id) for case_id in case_ids]
    done = 0

    def run(count: int) -> float:
        nonlocal done
        started = time.perf_counter()
        for n in range(done, done + count):
            case = cases[n % len(cases)]
            loop = bench_loop(case.workflow)
            trigger, _ = loop.steps[case.state]
            data = loop.data.get(trigger, {})
            apply(session=session, engine=engine, case=case, trigger=trigger, user=user, data=data,
                  expected_version=case.version)
        done += count
        return time.perf_counter() - started

    return run


def run_engine(session: Session, engine: Engine, case_ids: list[int], user_id: int, count: int) -> float:
    """``count`` transitions through ``service.apply``, round-robin over the cases; seconds taken."""
    return engine_loop(session, engine, case_ids, user_id)(count)


@dataclass
class _BareCase:
    id: int
    state: str
    version: int
    seq: int
    cell_id: int
    entered_at: datetime  # when it entered its state: the open visit's start
    keys: Any  # what its pipeline tally key is made of (monitoring's keys row)
    facts: dict
    holders: list[int]  # who is told of its new task: the holders of the loop's role at its cell
    workflow: str


def _bare_cases(conn: sa.Connection, case_ids: list[int]) -> list[_BareCase]:
    """The cases as they stand, and what the engine would read during a step (read once, before timing)."""
    from casework.monitoring.upkeep import case_keys
    from casework.notifications.inbox import recipients

    keys = case_keys(conn, set(case_ids))
    rows = conn.execute(sa.select(Case.id, Case.state, Case.version, Case.owning_cell_id, Case.state_entered_at,
                                  Case.facts, Case.last_event_seq.label("seq"), Case.workflow)
                       .where(Case.id.in_(case_ids)).order_by(Case.id)).all()
    with Session(conn) as session:
        holders = {(r.workflow, r.owning_cell_id): [u.id for u in recipients(session, bench_loop(r.workflow).role,
                                                                             r.owning_cell_id)]
                   for r in rows}
    return [_BareCase(r.id, r.state, r.version, r.seq, r.owning_cell_id, r.state_entered_at, keys[r.id], r.facts,
                      holders[(r.workflow, r.owning_cell_id)], r.workflow) for r in rows]


def bare_loop(conn: sa.Connection, case_ids: list[int], user_id: int) -> Callable[[int], float]:
    """A function doing ``count`` bare steps with SQLAlchemy Core on ``conn``, one commit each (``BARE_WRITES``),
    carrying on where the last call stopped; it answers the seconds taken. What it needs is read before."""
    bare = _bare_cases(conn, case_ids)
    conn.commit()
    done = 0

    def run(count: int) -> float:
        nonlocal done
        started = time.perf_counter()
        for n in range(done, done + count):
            _bare_step(conn, bare[n % len(bare)], user_id)
            conn.commit()
        done += count
        return time.perf_counter() - started

    return run


def run_bare(db_engine: sa.Engine, case_ids: list[int], user_id: int, count: int) -> float:
    """The same row writes with SQLAlchemy Core, one commit each (``BARE_WRITES``); seconds taken."""
    with db_engine.connect() as conn:
        return bare_loop(conn, case_ids, user_id)(count)


# What a bare step writes, as the engine's step does (its reads are what the bare loop leaves out).
BARE_WRITES = ("the case updated", "one event", "the open task closed", "the next task opened",
               "a notice to each holder", "the visit closed", "the next visit opened", "the stay tally",
               "the pipeline tallies (one key down, one up)")  # the last four in one statement on PostgreSQL


@functools.cache
def _bare_statements() -> tuple[sa.Update, sa.Update, sa.Insert, sa.Update]:
    """The bare loop's UPDATEs and its task INSERT, built once with bound parameters (the INSERTs take theirs
    as they are executed): the bare loop spends its time on the writes, not on building statements."""
    cases, tasks, visits = Case.__table__, Task.__table__, StateVisit.__table__
    update_case = cases.update().where(cases.c.id == sa.bindparam("b_id"), cases.c.version == sa.bindparam(
        "b_version"))
    close_task = tasks.update().where(tasks.c.case_id == sa.bindparam("b_case_id"),
                                      tasks.c.status == TaskStatus.OPEN)
    close_visit = visits.update().where(visits.c.case_id == sa.bindparam("b_case_id"),
                                        visits.c.entered_seq == sa.bindparam("b_entered_seq"))
    return update_case, close_task, tasks.insert().returning(tasks.c.id), close_visit


def _bare_step(conn: sa.Connection, case: _BareCase, user_id: int) -> None:
    from casework.monitoring.upkeep import add, add_many, move_params, move_visit, pipeline_key

    events, visits = Event.__table__, StateVisit.__table__
    loop = bench_loop(case.workflow)
    trigger, target = loop.steps[case.state]
    data = loop.data.get(trigger, {})
    now, seq = datetime.now(UTC), case.seq + 1
    facts = {**case.facts, **data}
    update_case, close_task, open_task, close_visit = _bare_statements()
    conn.execute(update_case, {
        "b_id": case.id, "b_version": case.version, "state": target, "state_seq": seq, "last_event_seq": seq,
        "stage": None, "version": case.version + 1, "state_entered_at": now, "updated_at": now, "facts": facts})
    conn.execute(events.insert(), {
        "case_id": case.id, "seq": seq, "trigger": trigger, "from_state": case.state, "to_state": target,
        "actor_id": user_id, "actor_role": loop.role, "actor_unit_id": case.cell_id, "occurred_at": now,
        "data": data, "changes": {"state": target, "state_seq": seq, "stage": None}, "flags": []})
    conn.execute(close_task, {"b_case_id": case.id, "status": TaskStatus.DONE, "completed_at": now,
                              "completed_by_id": user_id})
    task_id = conn.execute(open_task, {
        "case_id": case.id, "kind": "step", "state": target, "role": loop.role, "unit_id": case.cell_id,
        "status": TaskStatus.OPEN, "subject": {"stage": None}, "entry_seq": seq, "due_date": now.date(),
        "created_at": now, "outcome": {}}).scalar_one()
    if case.holders:
        conn.execute(Notification.__table__.insert(), [
            {"user_id": holder, "kind": "new_task", "case_id": case.id, "task_id": task_id, "text_vi": "Việc mới",
             "text_en": "New task", "created_at": now, "mail_status": MailStatus.PENDING} for holder in case.holders])
    days = visit_days(case.entered_at, now)
    stay = {"year": local_year(now), "top_unit_id": top_unit_id(case.keys.path), "next_state": target,
            "days": days, "whole_days": whole_days(days)}
    if conn.dialect.name == "postgresql":  # in one statement with the pipeline move, as the engine's upkeep does
        keys = case.keys
        moves = sorted((state, keys.source, keys.opened_on.year, OPEN_YEAR, n)
                       for state, n in ((case.state, -1), (target, 1)))
        conn.execute(move_visit(len(moves)), {**stay, "seq": seq, "at": now, "case_id": case.id,
                                              "left_entered_seq": case.seq, "cell_id": case.cell_id,
                                              **move_params(moves)})
    else:
        conn.execute(close_visit, {"b_case_id": case.id, "b_entered_seq": case.seq, "left_seq": seq, "left_at": now,
                                   "next_state": target, "days": days})
        conn.execute(visits.insert(), {"case_id": case.id, "owning_cell_id": case.cell_id, "state": target,
                                       "entered_seq": seq, "entered_at": now})
        add(conn, StayTally.__table__, {"year": stay["year"], "top_unit_id": stay["top_unit_id"],
                                        "state": case.state, "next_state": target, "days": stay["whole_days"],
                                        "workflow": case.keys.workflow}, 1)
        moved = {pipeline_key(SimpleNamespace(**{**case.keys._asdict(), "state": state})): n
                 for state, n in ((case.state, -1), (target, 1))}
        add_many(conn, PipelineTally.__table__, [{**dict(zip(PIPELINE_KEY, key, strict=True)), "n": n}
                                                 for key, n in sorted(moved.items())])
    case.state, case.version, case.seq, case.entered_at, case.facts = target, case.version + 1, seq, now, facts


# --- the command -----------------------------------------------------------------------------------


ROUNDS = 10


def measure(url: sa.URL, app_engine: Engine, transitions: int, scratch_name: str) -> tuple[Rate, Rate, str]:
    """Both rates, measured in one scratch database; and where it ran. The two loops take turns, in ``ROUNDS``
    rounds of a tenth each, so a machine busier for a while (other work, the disk) slows both alike rather than
    whichever ran then. Statements are counted while each loop runs, not while setting up."""
    engine = Engine(workflows=app_engine.workflows, rules=app_engine.rules)
    with scratch_database(url, scratch_name) as db_engine:
        where = db_engine.url.render_as_string(hide_password=True)
        Base.metadata.create_all(db_engine)
        # As the tests' sessions (and tests/engine/test_statements.py): a commit does not expire what the session
        # holds. The step reloads the case under its row lock anyway; the person and their roles are read once,
        # as a request reads them once.
        with Session(db_engine, expire_on_commit=False) as session, db_engine.connect() as conn:
            engine_cases, bare_cases, user_id = _prepare(session, engine, CASES)
            engine_run, bare_run = engine_loop(session, engine, engine_cases, user_id), bare_loop(conn, bare_cases,
                                                                                                    user_id)
            engine_run(WARM_UP)
            bare_run(WARM_UP)
            engine_rate = Rate("engine (service.apply)", transitions, 0.0)
            bare_rate = Rate("bare SQL (same row writes)", transitions, 0.0)
            for count in _rounds(transitions, ROUNDS):
                for rate, run in ((engine_rate, engine_run), (bare_rate, bare_run)):
                    with counting_statements(db_engine) as statements:
                        rate.seconds += run(count)
                    rate.statements += len(statements)
    return engine_rate, bare_rate, where


def _rounds(total: int, rounds: int) -> list[int]:
    """``total`` split into at most ``rounds`` parts differing by one at most."""
    rounds = min(rounds, total)
    return [total // rounds + (1 if n < total % rounds else 0) for n in range(rounds)]


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not every system tells
        return "load average unknown"


@click.command("engine")
@click.option("--transitions", "-n", type=click.IntRange(min=1), default=500, show_default=True,
              help="Transitions to time on each path.")
@click.option("--scratch", "scratch_name", default="casework_bench", show_default=True,
              help="Name of the scratch database (PostgreSQL) or file (SQLite), dropped afterwards.")
@with_appcontext
def engine_bench(transitions: int, scratch_name: str) -> None:
    """Persisted transitions per second through the engine, beside a bare SQL transaction's rate."""
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    before = _load()
    engine_rate, bare_rate, where = measure(url, current_app.extensions["casework_engine"], transitions,
                                            scratch_name)
    click.echo(f"casework bench engine — {url.get_backend_name()}, scratch database {where} (dropped), "
               f"{transitions} transitions each, {CASES} cases per path, in {min(ROUNDS, transitions)} rounds "
               f"taking turns")
    click.echo(f"  {before} before, {_load()} after (1, 5 and 15 minutes)")
    for rate in (engine_rate, bare_rate):
        click.echo(f"  {rate.label:<28} {rate.count:>6} in {rate.seconds:7.2f} s  →  {rate.per_second:8.1f} /s, "
                   f"{rate.statements_per_step:5.1f} statements per step")
    together = " (the last four in one statement)" if url.get_backend_name() == "postgresql" else ""
    click.echo(f"  bare SQL writes per step: {', '.join(BARE_WRITES)}{together}; one commit per step on both")
    click.echo(f"  ratio: the engine runs at {engine_rate.per_second / bare_rate.per_second:.2f}× the bare rate "
               f"({bare_rate.per_second / engine_rate.per_second:.1f}× the time per transition)")


COMMAND = engine_bench
