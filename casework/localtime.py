"""Vietnamese time for stored instants.

Every timestamp in the database is UTC (SQLite hands them back naive, PostgreSQL aware); the procedure's days,
years and deadlines are Vietnamese calendar days (UTC+7 all year, no daylight saving), whatever the server's
timezone. The one place that converts between the two; it imports nothing from casework, so models, engine
and pages can all use it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC instant."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """A stored time as naive UTC, comparable with what SQLite returns."""
    return as_utc(moment).replace(tzinfo=None)


def local_datetime(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> date:
    """The Vietnamese calendar day of a stored time."""
    return local_datetime(moment).date()


def day_start(day: date) -> datetime:
    """The first instant of a Vietnamese calendar day, in UTC like every stored time."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)
