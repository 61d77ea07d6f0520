"""Passwords and API tokens: how a person proves who they are, shared by the pages and the API."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from casework import throttle
from casework.engine.reasons import Reason
from casework.extensions import db
from casework.localtime import as_utc, local_datetime
from casework.models import ApiToken, User, utcnow

#: Days a new bearer token lasts when neither the command nor ``API_TOKEN_DAYS`` says otherwise.
TOKEN_DAYS = 90
#: ``User.get_id``: ASCII digits only, and an id small enough for any integer column.
_SESSION_ID = re.compile(r"(?P<id>[0-9]{1,9}):(?P<epoch>[0-9]{1,18})")
#: ``last_used_at`` is written at most this often per token, not on every request.
TOKEN_LAST_USED_RESOLUTION = timedelta(hours=1)

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


@dataclass(frozen=True)
class SignInAttempt:
    """The signed-in user, or nobody; ``locked_until`` says the throttle refused without checking."""

    user: User | None
    locked_until: datetime | None = None
    now: datetime | None = None

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.locked_until - self.now).total_seconds())) if self.locked_until else 0

    def lock_reason(self) -> Reason:
        when = local_datetime(self.locked_until).strftime("%H:%M %d/%m/%Y")
        return Reason("sign_in_locked", f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {when}.",
                      f"Too many failed attempts. Try again after {when}.",
                      {"locked_until": as_utc(self.locked_until).isoformat(),
                       "retry_after_seconds": self.retry_after_seconds})


def sign_in_attempt(username: str, password: str) -> SignInAttempt:
    """The one way in with a password, for the sign-in page and the API alike: refused while the
    (username, client address) pair or the username is locked, a failure counted, a success clearing
    the address's count. The client address is ``request.remote_addr`` (see ``TRUSTED_PROXY_HOPS``)."""
    now = current_app.extensions["casework_engine"].now()
    address = request.remote_addr
    until = throttle.locked_until(db.session, username, address, now)
    if until is not None:
        return SignInAttempt(None, until, now)
    user = authenticate(db.session, username, password)
    if user is None:
        throttle.record_failure(db.session, username, address, now, throttle.Limits.from_config(current_app.config))
        return SignInAttempt(None, None, now)
    throttle.clear(db.session, username, address)
    return SignInAttempt(user, None, now)


def user_for_id(session: Session, user_id: str) -> User | None:
    """The user a session or remember cookie names (``User.get_id``: "id:epoch"), while that account is
    active and its sessions have not been ended since; ids from before epochs existed name nobody."""
    match = _SESSION_ID.fullmatch(user_id or "")
    if match is None:
        return None
    # With their roles in the same statement (as a token's owner): every page reads them (scope, inbox, navigation).
    user = session.get(User, int(match["id"]), options=[joinedload(User.roles)])
    if user is None or not user.active or user.session_epoch != int(match["epoch"]):
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """Every session and remember cookie of this user stops working (the caller commits). Incremented in
    SQL so that two processes ending sessions at once both count."""
    session.execute(sa.update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1))
    session.expire(user, ["session_epoch"])


def sign_out_everywhere(session: Session, user: User) -> None:
    """Sessions, remember cookies and bearer tokens, all ended (the caller commits)."""
    end_sessions(session, user)
    revoke_tokens(session, user_id=user.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str = "", *, days: int = TOKEN_DAYS,
                 now: datetime | None = None) -> str:
    """A new bearer token valid for ``days``; only its digest is stored, so it is shown once."""
    if days < 1:
        raise ValueError("a token must last at least one day")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), label=label, created_at=now,
                         expires_at=now + timedelta(days=days)))
    session.commit()
    return token


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active owner of a token that is neither revoked nor expired (at ``expires_at`` it is expired), read
    with the token and their roles in one statement (as ``user_for_id`` reads a signed-in person)."""
    now = now or utcnow()
    row = session.scalars(sa.select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked.is_(False))
                          .options(joinedload(ApiToken.user).joinedload(User.roles))).unique().first()
    if row is None or row.expires_at is None or as_utc(row.expires_at) <= now or not row.user.active:
        return None
    if row.last_used_at is None or as_utc(row.last_used_at) + TOKEN_LAST_USED_RESOLUTION <= now:
        row.last_used_at = now
        session.commit()
    return row.user


def revoke_tokens(session: Session, *, token_id: int | None = None, user_id: int | None = None) -> int:
    """Revoke one token or all of a user's; how many were still live (the caller commits)."""
    if token_id is None and user_id is None:
        raise ValueError("name a token or a user")
    query = sa.update(ApiToken).where(ApiToken.revoked.is_(False))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return session.execute(query.values(revoked=True)).rowcount


def request_user(session: Session, authorization: str, signed_in: User | None,
                 now: datetime | None = None) -> User | None:
    """Who is calling a JSON endpoint: a bearer token if one is sent (an invalid one is nobody, never a
    fallback to the cookie), else the signed-in session."""
    if authorization.startswith("Bearer "):
        return user_for_token(session, authorization.removeprefix("Bearer ").strip(), now)
    return signed_in
