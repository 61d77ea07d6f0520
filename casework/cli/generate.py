"""`casework generate --cases N [--seed S]`: a synthetic province or country for demos and benchmarks."""

import sys
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext


@click.command("generate")
@click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases to simulate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option("--password", envvar="CASEWORK_GENERATED_PASSWORD", default="casework", show_default=True,
              help="The password of every generated account (or CASEWORK_GENERATED_PASSWORD).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes simulating and writing batches at once (default: one per core on PostgreSQL, one on "
                   "SQLite, which takes one writer at a time).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Cases per committed batch (default 10,000).")
@with_appcontext
def generate(cases: int, seed: int, password: str, workers: int | None, batch_size: int | None) -> None:
    """Fill the database with an organisation sized for N cases (about 50,000 cases per province), an account
    for every role at every unit, and N simulated cases of every workflow whose package has a scenario, each step
    written in bulk as the engine writes it. Batches commit as they are written: run the same command again
    after an interruption and it continues where it stopped."""
    from casework.extensions import db
    from casework.monitoring import synthetic

    engine = current_app.extensions["casework_engine"]
    started = time.perf_counter()
    with Progress(cases, started) as progress:
        try:
            made = synthetic.generate(db.engine, cases=cases, seed=seed, engine=engine, password=password,
                                      workers=workers or default_workers(db.engine),
                                      batch_size=batch_size or synthetic.BATCH_CASES, progress=progress)
        except synthetic.UnfinishedRun as exc:
            raise click.ClickException(str(exc)) from exc
    analyze(db.engine)
    again = " (continued from an interrupted run)" if made["resumed"] else ""
    click.echo(f"Generated {made['cases']:,} cases in {made['provinces']} province(s), {made['communes']} communes "
               f"(root unit {made['root_unit_id']}), {made['accounts']:,} accounts in "
               f"{time.perf_counter() - started:.1f} s{again}.")


class Progress:
    """A progress bar on a terminal; a line per batch otherwise (logs, CI)."""

    def __init__(self, total: int, started: float):
        self.total, self.started, self.shown = total, started, 0
        self.bar = click.progressbar(length=total, label="Cases written", show_pos=True) if sys.stdout.isatty() \
            else None

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def __call__(self, written: int) -> None:
        if self.bar is not None:
            self.bar.update(written - self.shown)
        else:
            click.echo(f"  {written:,} / {self.total:,} cases written ({time.perf_counter() - self.started:.0f} s)")
        self.shown = written


def default_workers(engine: sa.Engine) -> int:
    from casework.monitoring.synthetic import workers_available

    return workers_available() if engine.dialect.name == "postgresql" else 1


def analyze(engine: sa.Engine) -> None:
    """Fresh statistics for the planner: without them PostgreSQL plans a million new rows as if the tables
    were empty, and a dashboard query that takes 90 ms takes 36 s."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


COMMANDS = [generate]
