"""`casework token create USERNAME`: a bearer token for the JSON API."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from casework.auth import create_token
from casework.extensions import db
from casework.models import User


@click.group("token")
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for.")
@with_appcontext
def create(username: str, label: str) -> None:
    """Print a new token for USERNAME (shown once; only its digest is stored)."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    click.echo(create_token(db.session, user, label))
