"""Working days: weekends and Vietnamese public holidays (Tết included) do not count.

The holiday calendar, the lunar dates of Tết and the government's swapped working Saturdays come from
the ``holidays`` package; nothing here computes a lunar date.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta


@lru_cache(maxsize=1)
def _vietnam() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


def is_working_day(day: date) -> bool:
    return _vietnam().is_working_day(day)


@lru_cache(maxsize=4096)
def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count). Remembered: every step
    opening a task with a deadline asks it, mostly for today, and the holidays package walks day by day."""
    if days == 0:
        return start
    return _vietnam().get_nth_working_day(start, days)


@lru_cache(maxsize=4096)
def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier."""
    if end == start:
        return 0
    if end > start:
        return _vietnam().get_working_days_count(start, end) - (1 if is_working_day(start) else 0)
    return -working_days_between(end, start)


def add_months(start: date, months: int) -> date:
    """Calendar months; the 31st of a shorter month falls on its last day."""
    return start + relativedelta(months=months)


def full_years(born: date, on: date) -> int:
    """Age in full years on a date: the birthday itself completes the year."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
