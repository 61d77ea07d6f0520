"""`casework token create|list|revoke`: bearer tokens for the JSON API, which expire and can be revoked."""

from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from casework.auth import create_token, revoke_tokens
from casework.extensions import db
from casework.localtime import as_utc
from casework.models import ApiToken, User


@click.group("token")
def token() -> None:
    """API tokens."""


def _now() -> datetime:
    return current_app.extensions["casework_engine"].now()


def _user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@token.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for.")
@click.option("--expires-days", type=int, default=None,
              help="Days until the token stops working (default: API_TOKEN_DAYS, 90).")
@with_appcontext
def create(username: str, label: str, expires_days: int | None) -> None:
    """Print a new token for USERNAME (shown once; only its digest is stored)."""
    days = expires_days if expires_days is not None else int(current_app.config.get("API_TOKEN_DAYS", 90))
    if days < 1:
        raise click.ClickException("--expires-days must be at least 1")
    if len(label) > 100:
        raise click.ClickException("--label is at most 100 characters")
    click.echo(create_token(db.session, _user(username), label, days=days, now=_now()))


def _when(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _state(row: ApiToken, now: datetime) -> str:
    if row.revoked:
        return "revoked"
    return "expired" if row.expires_at is None or as_utc(row.expires_at) <= now else "active"


@token.command("list")
@click.argument("username", required=False)
@with_appcontext
def list_tokens(username: str | None) -> None:
    """Every token (or USERNAME's): id, user, label, created, expires, last used, state. Never the secret."""
    query = sa.select(ApiToken, User.username).join(User, ApiToken.user_id == User.id).order_by(ApiToken.id)
    if username:
        query = query.where(ApiToken.user_id == _user(username).id)
    now = _now()
    click.echo("\t".join(("id", "user", "label", "created", "expires", "last used", "state")))
    for row, owner in db.session.execute(query):
        click.echo("\t".join((str(row.id), owner, row.label or "-", _when(row.created_at), _when(row.expires_at),
                              _when(row.last_used_at), _state(row, now))))


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1), required=False)
@click.option("--user", "username", default=None, help="Revoke every token of this user instead.")
@with_appcontext
def revoke(token_id: int | None, username: str | None) -> None:
    """Revoke token TOKEN_ID (see `casework token list`), or with --user all of a user's tokens."""
    if (token_id is None) == (username is None):
        raise click.ClickException("name a token id or --user USERNAME, not both")
    if token_id is not None and db.session.get(ApiToken, token_id) is None:
        raise click.ClickException(f"no token with id {token_id}")
    user_id = _user(username).id if username else None
    count = revoke_tokens(db.session, token_id=token_id, user_id=user_id)
    db.session.commit()
    click.echo(f"{count} token(s) revoked")
