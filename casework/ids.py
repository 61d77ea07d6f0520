"""One way to read a record id from the outside world: a path, a query, a form, a JSON body, a session.

Ids are the databases' 32-bit integer keys. ``str.isdigit()`` is not the test: it accepts "²" and "٣",
which ``int()`` refuses or reads as another number, and nothing stops a number the database cannot hold;
both used to end in a 500. Anything outside 1..MAX_ID is simply not an id, so it matches nothing.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2_147_483_647  # the largest INTEGER on PostgreSQL; SQLite keys are read the same way
_ASCII_DIGITS = frozenset("0123456789")


def parse_id(value: Any) -> int | None:
    """The id ``value`` names, or None: ints (not bools) and strings of ASCII digits, in 1..MAX_ID. A JSON
    number with nothing after the point (``1.0``) is an integer by JSON Schema's rule, so it is one here too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > len(str(MAX_ID)) or not _ASCII_DIGITS.issuperset(text):
            return None
        value = int(text)
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None


class IdConverter(BaseConverter):
    """``<id:case_id>`` in a route: an id as parse_id reads it; anything else does not match (a 404)."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()  # werkzeug then tries the next rule, and finally answers 404
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))
