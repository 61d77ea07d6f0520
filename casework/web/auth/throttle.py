"""Slowing down password guessing: after a few failures a username is locked for a while.

Counts live in the database (``LoginThrottle``) so that several web processes share them, and they are
kept for unknown usernames too, so a lock says nothing about whether an account exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.models import LoginThrottle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive UTC timestamps; PostgreSQL aware ones."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    """When the lock on this username ends, or None if attempts are allowed now."""
    row = session.scalar(sa.select(LoginThrottle).where(LoginThrottle.username_key == _key(username)))
    until = _aware(row.locked_until) if row else None
    return until if until is not None and until > now else None


def record_failure(session: Session, username: str, now: datetime, *, max_failures: int = MAX_FAILURES,
                   lock: timedelta = LOCK) -> None:
    """Count one failure (a fresh window when the last one is old) and lock at the limit."""
    for _attempt in range(2):  # two processes may create the row at once: the loser updates it
        row = session.scalar(sa.select(LoginThrottle).where(LoginThrottle.username_key == _key(username))
                             .with_for_update())
        if row is None:
            row = LoginThrottle(username_key=_key(username), failures=0, window_started_at=now)
            session.add(row)
        elif _aware(row.window_started_at) + WINDOW < now:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= max_failures:
            row.locked_until = now + lock
        try:
            session.commit()
            return
        except IntegrityError:
            session.rollback()


def clear(session: Session, username: str) -> None:
    """A successful sign-in forgets earlier failures."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.username_key == _key(username)))
    session.commit()
