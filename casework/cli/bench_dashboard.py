"""`casework bench dashboard`: how long each dashboard query takes on this database, at its current size."""

from __future__ import annotations

import statistics
import time
from datetime import date

import click
import sqlalchemy as sa
from flask.cli import with_appcontext


@click.command("dashboard")
@click.option("--unit", "unit_id", type=int, default=None, help="Scope unit (default: the root of the tree).")
@click.option("--year", type=int, default=None, help="Year shown (default: this year).")
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True, help="Runs per view.")
@with_appcontext
def dashboard(unit_id: int | None, year: int | None, repeat: int) -> None:
    """Time every dashboard view for one scope (the whole tree by default) and print the median of the runs."""
    from casework.extensions import db
    from casework.models import Case, Event, Unit
    from casework.monitoring import exports
    from casework.monitoring.scope import Period, Scope

    session = db.session
    today = date.today()
    if unit_id is None:
        unit_id = session.scalar(sa.select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    scope = Scope.of(session, unit_id)
    period = Period.year(year or today.year)
    cases = session.scalar(sa.select(sa.func.count()).select_from(Case))
    events = session.scalar(sa.select(sa.func.count()).select_from(Event))
    click.echo(f"{db.engine.dialect.name}: {cases:,} cases, {events:,} events; scope {scope.name} "
               f"(unit {scope.unit_id}), {period.start.year}; median of {repeat} runs")
    report = exports.Report(session, scope, period, today)
    views = [(name.replace("_", " "), lambda name=name: exports.dashboard_figures(report, [name]))
             for name in exports.FIGURES]
    # The page itself: every figure once, then the tables drawn from them.
    views.append(("whole dashboard", lambda: exports.dashboard_tables(report)))
    for name, view in views:
        timings, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            view()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            session.rollback()
        # This process's CPU time is the load-independent figure on SQLite (which runs in-process).
        click.echo(f"  {name:<18} {statistics.median(timings):9.1f} ms   (min {min(timings):.1f}; "
                   f"this process's CPU {statistics.median(cpu):.1f} ms)")


COMMAND = dashboard
