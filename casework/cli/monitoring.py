"""`casework monitoring check|rebuild`: prove the dashboard's tallies agree with the history, or rebuild them."""

import sys

import click
from flask.cli import with_appcontext

from casework.extensions import db
from casework.monitoring import summaries


@click.group("monitoring")
def monitoring() -> None:
    """The monitoring tallies kept beside the history."""


@monitoring.command("check")
@click.option("--show", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many disagreements to print.")
@with_appcontext
def check(show: int) -> None:
    """Compare every tally with the same count taken from the history; exit 1 on any difference."""
    with db.engine.begin() as conn:
        found = summaries.check(conn)
    if not found:
        click.echo("The tallies agree with the history.")
        return
    click.echo(f"{len(found)} tally row(s) disagree with the history (run `casework monitoring rebuild`):")
    for d in found[:show]:
        click.echo(f"  {d.table} {d.key}: kept {d.kept}, history {d.history}")
    sys.exit(1)


@monitoring.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Replace the tallies with what the history says (after a restore, a bulk load or moving units)."""
    with db.engine.begin() as conn:
        counts = summaries.rebuild(conn)
    click.echo(" ".join(f"{name}={n}" for name, n in counts.items()))


COMMANDS = [monitoring]
