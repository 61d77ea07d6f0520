"""Dashboard figures computed at the same time on PostgreSQL see one snapshot, and equal the same figures
computed one after another."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.models import Unit
from casework.monitoring import exports
from casework.monitoring.scope import Period, Scope
from casework.monitoring.together import run_together
from tests.conftest import IS_POSTGRES
from tests.monitoring.conftest import TODAY, YEAR


def _units(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Unit))


def test_figures_computed_together_equal_the_figures_computed_in_turn(gsession, province):
    report = exports.Report(gsession, Scope.of(gsession, province["root_unit_id"]), Period.year(YEAR), TODAY)
    together = exports.dashboard_figures(report)
    one_by_one = {name: exports.dashboard_figures(report, [name])[name] for name in exports.FIGURES}
    assert exports.dashboard_tables(report, together) == exports.dashboard_tables(report, one_by_one)


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite computes the figures in turn on one connection")
def test_figures_computed_together_all_see_the_moment_they_started(session, db_engine):
    before = _units(session)
    session.rollback()

    def add_a_unit_then_count(job_session):
        with db_engine.begin() as other:  # committed by someone else while the figures are being computed
            other.execute(sa.insert(Unit).values(kind="province", name="Mới", code="NEW", path="/x/"))
        return _units(job_session)

    counts = run_together(session, {"first": _units, "second": add_a_unit_then_count, "third": _units})
    assert counts == {"first": before, "second": before, "third": before}
    assert _units(session) == before + 1
