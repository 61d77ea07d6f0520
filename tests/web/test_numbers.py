"""Numbers, percentages, file sizes and dates in the page language's conventions: Vietnamese writes "12,0" and
"1.234", English "12.0" and "1,234"; dates read dd/mm/yyyy on every page; downloads keep plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from casework.sizes import size_text
from casework.web.numbers import file_size, number, percent
from casework.web.templating import format_date


@pytest.fixture
def in_language(app):
    def run(language: str, fn, *args, **kwargs):
        with app.test_request_context(), force_locale(language):
            return fn(*args, **kwargs)

    return run


@pytest.mark.parametrize("value, digits, vi, en", [
    (12.0, 1, "12,0", "12.0"),
    (3.6, None, "3,6", "3.6"),
    (3.25, 1, "3,2", "3.2"),  # rounded to one decimal, half to even as Python rounds: never a second one
    (0, None, "0", "0"),
    (999, None, "999", "999"),
    (1000, None, "1.000", "1,000"),  # the first number with a thousands separator
    (1234567, None, "1.234.567", "1,234,567"),
    (-2.5, 1, "-2,5", "-2.5"),
    (7, 0, "7", "7"),
])
def test_numbers_in_each_language(in_language, value, digits, vi, en):
    assert in_language("vi", number, value, digits) == vi
    assert in_language("en", number, value, digits) == en


@pytest.mark.parametrize("value", [None, ""])
def test_nothing_is_written_as_nothing(in_language, value):
    assert in_language("vi", number, value) == ""


def test_text_and_yes_no_pass_through_unchanged(in_language):
    assert in_language("vi", number, "Chi bộ 3") == "Chi bộ 3"
    assert in_language("vi", number, True) == "True"


@pytest.mark.parametrize("share, digits, vi, en", [
    (0.25, 0, "25%", "25%"), (0, 0, "0%", "0%"), (1, 0, "100%", "100%"), (0.125, 1, "12,5%", "12.5%"),
])
def test_percentages_in_each_language(in_language, share, digits, vi, en):
    assert in_language("vi", percent, share, digits) == vi
    assert in_language("en", percent, share, digits) == en


MB = 1024 * 1024


@pytest.mark.parametrize("size, vi, en", [
    (1023, "1.023 B", "1,023 B"),  # the last size in bytes
    (1024, "1 KB", "1 KB"),  # the first in kilobytes
    (MB - 1, "1.024 KB", "1,024 KB"),
    (MB, "1 MB", "1 MB"),  # a whole number of megabytes has no decimals: the limit reads "10 MB"
    (10 * MB, "10 MB", "10 MB"),
    (int(5.04 * MB), "5,0 MB", "5.0 MB"),
    (int(5.5 * MB), "5,5 MB", "5.5 MB"),
])
def test_file_sizes_in_each_language(in_language, size, vi, en):
    assert size_text(size, "vi") == vi and size_text(size, "en") == en
    assert in_language("vi", file_size, size) == vi and in_language("en", file_size, size) == en


def test_dates_read_day_month_year_and_a_late_evening_is_the_vietnamese_day(in_language):
    assert format_date(date(2026, 1, 2)) == "02/01/2026"
    assert format_date("2026-12-31") == "31/12/2026"
    # 17:30 UTC on 31 December is already 1 January in Vietnam (UTC+7).
    assert format_date(datetime(2026, 12, 31, 17, 30, tzinfo=UTC)) == "01/01/2027"
    assert format_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == "31/12/2026"
    assert format_date(None) == "" and format_date("") == ""


def test_the_templates_filters_are_the_helpers(app):
    filters = app.jinja_env.filters
    assert filters["number"] is number and filters["percent"] is percent and filters["file_size"] is file_size
