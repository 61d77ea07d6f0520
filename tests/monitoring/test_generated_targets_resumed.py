"""A stopped `casework generate` run that is continued writes its targets once: they go with the organisation,
before the first batch (in a module of its own: the shared generated province must not be in the database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import Engine
from casework.models import GenerationBatch, Target
from casework.monitoring.synthetic import Batches, generate
from tests.conftest import truncate_all
from tests.monitoring.conftest import TODAY
from tests.monitoring.test_generator_runs import Interrupted, count


def test_a_stopped_run_continued_writes_each_target_once(db_engine, workflows, monkeypatch):
    arguments = {"cases": 40, "seed": 3, "today": TODAY, "engine": Engine(workflows), "batch_size": 20}
    try:
        generate(db_engine, **arguments)
        with db_engine.connect() as conn:
            straight = sorted(conn.execute(sa.select(Target.unit_id, Target.year_from, Target.amounts)).all())
        truncate_all(db_engine)

        write = Batches.write

        def stopped_in_the_second(self, conn, batch):
            if count(db_engine, GenerationBatch):
                raise Interrupted
            return write(self, conn, batch)

        monkeypatch.setattr(Batches, "write", stopped_in_the_second)
        with pytest.raises(Interrupted):
            generate(db_engine, **arguments)
        monkeypatch.undo()
        assert count(db_engine, GenerationBatch) == 1 and count(db_engine, Target) == len(straight)
        assert generate(db_engine, **arguments)["resumed"]
        with db_engine.connect() as conn:
            again = sorted(conn.execute(sa.select(Target.unit_id, Target.year_from, Target.amounts)).all())
        assert again == straight and straight
    finally:
        truncate_all(db_engine)
