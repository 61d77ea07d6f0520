"""`casework generate --cases N [--seed S]`: a synthetic province or country for demos and benchmarks."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("generate")
@click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases to simulate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@with_appcontext
def generate(cases: int, seed: int) -> None:
    """Fill the database with an organisation sized for N cases and N simulated cases (about 50,000 cases
    per province), written in bulk with the same shapes the engine writes."""
    from casework.extensions import db
    from casework.monitoring.synthetic import generate as run

    rules = current_app.extensions["casework_engine"].rules
    started = time.perf_counter()
    with db.engine.begin() as conn:
        made = run(conn, cases=cases, seed=seed, rules=rules,
                   progress=lambda n: click.echo(f"  {n:,} cases written ({time.perf_counter() - started:.0f} s)"))
    click.echo(f"Generated {made['cases']:,} cases in {made['provinces']} province(s), {made['communes']} communes "
               f"(root unit {made['root_unit_id']}) in {time.perf_counter() - started:.1f} s.")


COMMANDS = [generate]
