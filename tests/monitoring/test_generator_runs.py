"""`casework generate` at scale: an account for every role at every generated unit, batches committed one by
one, a run stopped after a batch continued to exactly what an uninterrupted run writes, and batches written by
several processes at once equal to the same batches written one after another."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from casework.engine import Engine
from casework.models import Base, GenerationBatch, GenerationRun, Role, RoleAssignment, Unit, User
from casework.monitoring import summaries, synthetic
from casework.monitoring.synthetic import Batches, UnfinishedRun, generate
from tests.conftest import IS_POSTGRES, truncate_all
from tests.web.conftest import sign_in

TODAY = date(2026, 11, 20)
# Differ between two runs by nature: when things were written, the password's salt, and the ids of tally rows (a
# tally is a count by its key; a rebuild numbers them in whatever order the database groups them).
UNCOMPARED = {"password_hash", "started_at", "written_at", "finished_at"}

# The roles held at each kind of unit a run builds (residential cells: both cell roles).
ROLES_BY_KIND = {"commune_committee": {Role.AUTHORITY, Role.ORGANIZER, Role.GRASSROOTS_COMMITTEE},
                 "grassroots_committee": {Role.GRASSROOTS_COMMITTEE},
                 "trade_union": {Role.UNION_OFFICER}, "youth_union": {Role.YOUTH_OFFICER}}


class Interrupted(Exception):
    """Stands for the process being stopped (a kill, a lost connection) while a batch is being written."""


def snapshot(bind: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in order, less what differs between runs by nature."""
    out = {}
    with bind.connect() as conn:
        for table in Base.metadata.sorted_tables:
            tally = table.name.endswith("_tallies")
            columns = [c for c in table.columns if c.name not in UNCOMPARED and not (tally and c.name == "id")]
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(*columns)))
    return out


def count(bind: sa.Engine, model) -> int:
    with bind.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(model))


def test_every_role_at_every_generated_unit_has_an_account_that_signs_in(app, workflows):
    from casework.extensions import db

    made = generate(db.engine, cases=30, seed=5, today=TODAY, engine=Engine(workflows), batch_size=10,
                    password="mật-khẩu 1")
    holders = {}
    with db.engine.connect() as conn:
        for unit_id, kind, cell_type, role in conn.execute(
                sa.select(Unit.id, Unit.kind, Unit.cell_type, RoleAssignment.role)
                .join(RoleAssignment, RoleAssignment.unit_id == Unit.id, isouter=True)):
            holders.setdefault((unit_id, kind, cell_type), set()).add(role)
        hashes = set(conn.scalars(sa.select(User.password_hash)))
    for (unit_id, kind, cell_type), roles in holders.items():
        expected = set(ROLES_BY_KIND.get(kind, ()))
        if kind == "cell":
            expected = {Role.CELL_SECRETARY, Role.RESIDENTIAL_COMMITTEE} if cell_type == "residential" \
                else {Role.CELL_SECRETARY}
        if unit_id == made["root_unit_id"]:
            expected = {Role.ADMIN, Role.ORGANIZER}
        assert roles - {None} == expected, (unit_id, kind)
    assert made["accounts"] == count(db.engine, User) == len([r for rs in holders.values() for r in rs if r])
    assert len(hashes) == 1 and check_password_hash(hashes.pop(), "mật-khẩu 1")  # hashed once for all

    # The documented names: <role>-<province>.<commune>[.<committee or rN>[.<enterprise>]].
    for username in ("admin", "organizer", "authority-1.1", "organizer-1.25", "grassroots_committee-1.1.2",
                     "grassroots_committee-1.3",
                     "cell_secretary-1.1.1.1", "cell_secretary-1.1.0.5", "cell_secretary-1.1.r3",
                     "residential_committee-1.2.r6", "union_officer-1.1.x.2", "youth_officer-1.3.2.5"):
        client = app.test_client()
        assert sign_in(client, username, "mật-khẩu 1").status_code == 302, username
        assert client.get("/").status_code == 200, username
    assert sign_in(app.test_client(), "authority-1.1", "casework").status_code != 302


def test_a_run_stopped_after_a_batch_continues_to_what_an_uninterrupted_run_writes(db_engine, workflows,
                                                                                    monkeypatch):
    engine = Engine(workflows)
    arguments = {"cases": 70, "seed": 11, "today": TODAY, "engine": engine, "batch_size": 20}  # 4 batches
    try:
        generate(db_engine, **arguments)
        straight = snapshot(db_engine)
        truncate_all(db_engine)

        write, written = Batches.write, []

        def stopped_in_the_third(self, conn, batch):
            if len(written) == 2:
                raise Interrupted
            written.append(write(self, conn, batch))
            return written[-1]

        monkeypatch.setattr(Batches, "write", stopped_in_the_third)
        with pytest.raises(Interrupted):
            generate(db_engine, **arguments)
        monkeypatch.undo()
        assert count(db_engine, GenerationBatch) == 2  # the first two batches are kept, the third is not
        assert len(snapshot(db_engine)["cases"]) == 40

        with pytest.raises(UnfinishedRun, match="--cases 70 --seed 11"):  # other arguments: refused, nothing kept
            generate(db_engine, **{**arguments, "cases": 71})
        assert count(db_engine, GenerationRun) == 1 and len(snapshot(db_engine)["cases"]) == 40

        made = generate(db_engine, **arguments)
        assert made["resumed"] and made["cases"] == 70
        assert snapshot(db_engine) == straight
    finally:
        truncate_all(db_engine)


def test_batches_written_by_several_processes_are_those_written_one_after_another(tmp_path, workflows):
    engine = Engine(workflows)
    results = []
    for workers in (1, 3):
        bind = sa.create_engine(f"sqlite:///{tmp_path / f'workers{workers}.sqlite'}",
                                connect_args={"timeout": 60})
        Base.metadata.create_all(bind)
        generate(bind, cases=45, seed=2, today=TODAY, engine=engine, batch_size=10, workers=workers)
        results.append(snapshot(bind))
        bind.dispose()
    assert results[0] == results[1]
    assert len(results[0]["cases"]) == 45 and len(results[0]["generation_batches"]) == 5


def test_a_batch_that_outgrows_its_block_of_ids_stops_with_a_message(db_engine, workflows, monkeypatch):
    monkeypatch.setitem(synthetic.IDS_PER_CASE, "events", 1)
    try:
        with pytest.raises(RuntimeError, match=r"more than its block of events ids \(5\)"):
            generate(db_engine, cases=5, seed=1, today=TODAY, engine=Engine(workflows), batch_size=5)
    finally:
        truncate_all(db_engine)


@pytest.mark.skipif(not IS_POSTGRES, reason="the tallies are counted two at a time on PostgreSQL only")
def test_the_tallies_counted_two_at_a_time_agree_with_the_history(db_engine, workflows):
    """A PostgreSQL run counts its tallies on two connections at once, each in a transaction of its own: the same
    counts as one after another, and ``casework monitoring check`` agrees."""
    try:
        generate(db_engine, cases=60, seed=5, today=TODAY, engine=Engine(workflows))
        with db_engine.begin() as conn:
            one_after_another = summaries.rebuild(conn)
        with db_engine.begin() as conn:  # emptied: each must be counted again
            for table in one_after_another:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        assert summaries.rebuild_at_once(db_engine) == one_after_another
        with db_engine.connect() as conn:
            assert summaries.check(conn) == []
    finally:
        truncate_all(db_engine)
