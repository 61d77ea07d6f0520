"""Numbers, percentages and file sizes in the page language's conventions (Babel through Flask-Babel):
"12,0" and "1.234" in Vietnamese, "12.0" and "1,234" in English. The one helper every template uses, through
the filters ``number``, ``percent`` and ``file_size``; downloads keep plain numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, format_percent

from casework.sizes import size_text
from casework.web.i18n import current_language


def number(value: Any, digits: int | None = None) -> str:
    """A count or a measure: ``digits`` decimals when given (a median of 12 days reads "12,0"), else as many
    as it has (up to three); nothing for nothing, and text (a name in a number column) as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    if digits is None:
        return format_decimal(value)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(round(value, digits), format=pattern)


def percent(value: Any, digits: int = 0) -> str:
    """A share (0.25) as a percentage ("25 %" in Vietnamese, "25%" in English)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(value, format=pattern)


def file_size(size: int) -> str:
    return size_text(size, current_language())
