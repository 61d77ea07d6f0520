"""Slowing down password guessing, for every face that takes a password (the sign-in page and the API).

Two counts, both kept in the database (``LoginThrottle``) so that several web processes share them, and
kept for unknown usernames too, so a lock says nothing about whether an account exists:

* per username and client address: a few failures lock that pair for a while. Someone guessing from one
  address is stopped, and the real person, signing in from their own address, is not locked out by them;
* per username from every address together: a higher threshold whose lock doubles each time (up to a
  maximum), so a guess spread over many addresses is still slowed. One address alone cannot reach it
  while ``username_max_failures`` exceeds what the pair lock lets through in ``username_window``.

Attempts refused by a lock are not counted: the password is not even checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.localtime import as_utc
from casework.models import LoginThrottle
from casework.models.login_throttle import ANY_ADDRESS


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)
    username_max_failures: int = 30
    username_window: timedelta = timedelta(minutes=60)
    username_lock: timedelta = timedelta(minutes=15)
    username_lock_max: timedelta = timedelta(hours=24)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """From the ``LOGIN_*`` settings (see config.py); a missing one keeps its default."""
        default = cls()

        def minutes(name: str, fallback: timedelta) -> timedelta:
            return timedelta(minutes=int(config.get(name, fallback.total_seconds() // 60)))

        return cls(
            max_failures=int(config.get("LOGIN_MAX_FAILURES", default.max_failures)),
            window=minutes("LOGIN_WINDOW_MINUTES", default.window),
            lock=minutes("LOGIN_LOCK_MINUTES", default.lock),
            username_max_failures=int(config.get("LOGIN_USERNAME_MAX_FAILURES", default.username_max_failures)),
            username_window=minutes("LOGIN_USERNAME_WINDOW_MINUTES", default.username_window),
            username_lock=minutes("LOGIN_USERNAME_LOCK_MINUTES", default.username_lock),
            username_lock_max=minutes("LOGIN_USERNAME_LOCK_MAX_MINUTES", default.username_lock_max),
        )

    def username_lock_for(self, lockouts: int) -> timedelta:
        """The n-th lock in a row on a username lasts twice the one before, up to the maximum."""
        return min(self.username_lock * 2 ** max(lockouts - 1, 0), self.username_lock_max)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80]


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def locked_until(session: Session, username: str, address: str | None, now: datetime) -> datetime | None:
    """When the later of the two locks (this address, every address) ends, or None if attempts are allowed."""
    ends = session.scalars(sa.select(LoginThrottle.locked_until).where(
        LoginThrottle.username_key == _key(username),
        LoginThrottle.address.in_([_address(address), ANY_ADDRESS]),
        LoginThrottle.locked_until.is_not(None)))
    until = max((as_utc(end) for end in ends), default=None)
    return until if until is not None and until > now else None


def record_failure(session: Session, username: str, address: str | None, now: datetime, limits: Limits) -> None:
    """Count one failure for the pair and for the username, locking either at its limit."""
    for _attempt in range(3):  # two processes may create a row at once: the loser counts again
        try:
            # Always the pair first, then the username: the same lock order everywhere, no deadlock.
            _count(session, _key(username), _address(address), now, limits.max_failures, limits.window,
                   lambda _lockouts: limits.lock)
            _count(session, _key(username), ANY_ADDRESS, now, limits.username_max_failures,
                   limits.username_window, limits.username_lock_for, forget_after=limits.username_lock_max)
            session.commit()
            return
        except IntegrityError:
            session.rollback()


def _count(session: Session, key: str, address: str, now: datetime, max_failures: int, window: timedelta,
           lock_for: Callable[[int], timedelta], forget_after: timedelta | None = None) -> None:
    row = session.scalar(sa.select(LoginThrottle).where(LoginThrottle.username_key == key,
                                                        LoginThrottle.address == address).with_for_update())
    if row is None:
        row = LoginThrottle(username_key=key, address=address, failures=0, lockouts=0, window_started_at=now)
        session.add(row)
        session.flush()  # a row another process just created fails here, and the whole count is retried
    elif as_utc(row.window_started_at) + window < now:
        row.failures, row.window_started_at = 0, now
    if forget_after is not None and row.locked_until is not None and as_utc(row.locked_until) + forget_after < now:
        row.lockouts = 0  # a lock long past no longer makes the next one longer
    row.failures += 1
    if row.failures >= max_failures:
        row.lockouts += 1
        row.locked_until = now + lock_for(row.lockouts)
        row.failures, row.window_started_at = 0, now  # after the lock, counting starts afresh


def clear(session: Session, username: str, address: str | None) -> None:
    """A successful sign-in forgets the failures from its address. The username's count across addresses
    stays: a distributed guess must not be reset each time the real person signs in."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.username_key == _key(username),
                                                   LoginThrottle.address == _address(address)))
    session.commit()
