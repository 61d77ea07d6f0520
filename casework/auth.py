"""Passwords and API tokens: how a person proves who they are, shared by the pages and the API."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from casework.models import ApiToken, User

# A real hash to compare against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def set_password(user: User, password: str) -> None:
    """Werkzeug's scrypt: memory-hard and salted."""
    user.password_hash = generate_password_hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same work either way)."""
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str = "") -> str:
    """A new bearer token; only its digest is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), label=label))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(sa.select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    return row.user


def request_user(session: Session, authorization: str, signed_in: User | None) -> User | None:
    """Who is calling a JSON endpoint: a bearer token if one is sent (an invalid one is nobody, never a
    fallback to the cookie), else the signed-in session."""
    if authorization.startswith("Bearer "):
        return user_for_token(session, authorization.removeprefix("Bearer ").strip())
    return signed_in
