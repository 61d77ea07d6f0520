"""A file size as people read it, in a given language's number conventions (Babel's CLDR data): "5,0 MB"
in Vietnamese, "5.0 MB" in English. Flask-free, so a refusal's Vietnamese and English texts can both say it."""

from __future__ import annotations

from babel.numbers import format_decimal

KB, MB = 1024, 1024 * 1024


def size_text(size: int, locale: str) -> str:
    """Bytes below a kilobyte (a 300-byte scan must not read "0 KB"), whole KB below a megabyte, MB with one
    decimal above (a 10 MB limit reads "10 MB", a 5.04 MB file "5,0 MB")."""
    if size < KB:
        return f"{format_decimal(size, locale=locale)} B"
    if size < MB:
        return f"{format_decimal(round(size / KB), locale=locale)} KB"
    megabytes = size / MB
    pattern = "#,##0" if megabytes.is_integer() else "#,##0.0"
    return f"{format_decimal(megabytes, format=pattern, locale=locale)} MB"
