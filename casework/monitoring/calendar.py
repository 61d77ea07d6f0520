"""Working days inside the database: a table numbering every day by the working days up to it.

Reply times are counted in working days (weekends, Vietnamese holidays and Tết skipped). Computing that per
task in Python does not scale to millions of tasks; with each day's running count of working days in a
table, ``answered.ordinal - asked.ordinal`` is the same figure as ``working_days_between`` and the database
aggregates it. The table is derived from the engine's calendar only and filled on demand.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.engine.calendar import is_working_day
from casework.models import WorkingDay
from casework.models.tallies import sql_local_day

# A fixed origin keeps ordinals stable whatever range has been filled so far.
ORIGIN = date(2000, 1, 1)
table = WorkingDay.__table__


def ordinals(until: date) -> dict[date, int]:
    """Working days from ``ORIGIN`` up to and including each day."""
    out, count, day = {}, 0, ORIGIN
    while day <= until:
        if is_working_day(day):
            count += 1
        out[day] = count
        day += timedelta(days=1)
    return out


def ensure_calendar(session: Session, until: date) -> None:
    """Make sure every day up to ``until`` (and a year beyond, for due dates) is in the table."""
    if not _missing(session.connection(), until):
        return
    try:
        fill_calendar(session.connection(), until)
        session.commit()
    except IntegrityError:  # another process filled it at the same moment
        session.rollback()


def fill_calendar(conn: sa.Connection, until: date) -> None:
    """Add the days the table lacks up to a year after ``until``, within the caller's transaction."""
    last = conn.scalar(sa.select(sa.func.max(table.c.day)))
    wanted = until + timedelta(days=366)
    if last is None or last < wanted:
        conn.execute(table.insert(), [{"day": d, "ordinal": n} for d, n in ordinals(wanted).items()
                                      if last is None or d > last])


def _missing(conn: sa.Connection, until: date) -> bool:
    last = conn.scalar(sa.select(sa.func.max(table.c.day)))
    return last is None or last < until + timedelta(days=366)


def ordinal(session: Session, day: date) -> int:
    return session.scalar(sa.select(table.c.ordinal).where(table.c.day == day))


def local_day(session: Session, column):
    """The Vietnamese calendar day of a UTC timestamp column (UTC+7 all year, no daylight saving)."""
    return sql_local_day(session.get_bind().dialect.name, column)
