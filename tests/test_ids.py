"""casework.ids.parse_id: the one reading of a record id, at its boundaries."""

import pytest

from casework.ids import MAX_ID, parse_id


@pytest.mark.parametrize("value, expected", [
    ("1", 1), (1, 1), ("2147483647", MAX_ID), (MAX_ID, MAX_ID), (" 42 ", 42), ("007", 7),
    (1.0, 1), (2147483647.0, MAX_ID),  # JSON Schema counts 1.0 as an integer
])
def test_ids_it_accepts(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("value", [
    "2147483648", MAX_ID + 1, 10**20, "99999999999999999999",  # beyond the databases' integer
    "0", 0, "-1", -1, "+1",  # not positive, or not plain digits
    "²", "٣", "１", "1²",  # str.isdigit() says yes; int() refuses or reads another number
    True, False,  # bool is an int in Python, never an id in JSON
    "", " ", "1.5", "1.0", 1.5, 2147483648.0, 1e300, float("nan"), float("inf"), "1e3", None, [1], {"id": 1},
])
def test_anything_else_is_not_an_id(value):
    assert parse_id(value) is None
