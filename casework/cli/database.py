"""`casework init-db`: bring any database (SQLite or PostgreSQL) to the current schema."""

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema by running every migration not yet applied."""
    upgrade(revision="heads")  # features may add migrations on parallel branches
    click.echo("Database is at the current schema.")
