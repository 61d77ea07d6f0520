"""Working days skip weekends and Vietnamese public holidays (Tết from the holidays package) and count
the Saturdays the government swaps into working days."""

from __future__ import annotations

from datetime import date

import pytest

from casework.engine.calendar import add_months, add_working_days, full_years, is_working_day, working_days_between
from casework.engine.definition import DueDef
from casework.engine.rules import Rules
from casework.engine.tasks import due_date
from casework.models import Case


@pytest.mark.parametrize("day", [date(2027, 2, d) for d in range(4, 11)])
def test_tet_2027_is_a_holiday(day):
    assert not is_working_day(day)


def test_a_due_date_across_tet_skips_the_holidays_and_the_weekend():
    # Wednesday 3 February 2027; Tết runs Thursday 4 to Wednesday 10 February.
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)  # Thu 11, Fri 12, then Monday 15
    assert working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3


def test_twenty_working_days_from_late_january_2027():
    # From Mon 25 Jan 2027: 7 working days to Wed 3 Feb, Tết, then 13 more from Thu 11 Feb to Mon 1 Mar.
    assert add_working_days(date(2027, 1, 25), 20) == date(2027, 3, 1)


def test_weekends_do_not_count():
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert working_days_between(friday, date(2026, 11, 23)) == 1
    assert working_days_between(date(2026, 11, 23), friday) == -1
    assert add_working_days(friday, 0) == friday


def test_a_substituted_working_saturday_counts():
    # Saturday 22 August 2026 is worked in exchange for Monday 31 August (before National Day).
    saturday = date(2026, 8, 22)
    assert is_working_day(saturday)
    assert add_working_days(date(2026, 8, 21), 1) == saturday
    assert not is_working_day(date(2026, 8, 31))
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)  # Mon 31, Tue 1 and Wed 2 September are off


def test_a_task_due_date_is_counted_in_working_days():
    case = Case(facts={}, dates={"cell_vote_date": "2027-01-25"})
    rules = Rules(verification_reply_working_days=20)
    from_vote = DueDef(working_days="admission_decision_working_days", start="cell_vote_date")
    assert due_date(DueDef(working_days="verification_reply_working_days"), case, date(2027, 1, 25), rules) \
        == date(2027, 3, 1)
    assert due_date(from_vote, case, date(2030, 1, 1), rules) == add_working_days(date(2027, 1, 25), 60)
    assert due_date(DueDef(at="cell_vote_date"), case, date(2030, 1, 1), rules) == date(2027, 1, 25)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2027, 1, 31), 1, date(2027, 2, 28)),
    (date(2027, 8, 31), 1, date(2027, 9, 30)),
    (date(2021, 11, 17), 60, date(2026, 11, 17)),
])
def test_calendar_months_end_on_the_last_day_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2008, 11, 17), date(2026, 11, 16), 17),
    (date(2008, 11, 17), date(2026, 11, 17), 18),
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),
])
def test_full_years(born, on, age):
    assert full_years(born, on) == age
