"""Text from the outside world never carries a NUL character.

No name, note or username has a reason to contain U+0000, and PostgreSQL refuses it in every text column
(SQLite stores it, so the same request would pass on one database and fail with a 500 on the other). One
check, before any view reads the request: a query parameter, a form field or a string anywhere in a JSON
body holding NUL makes the whole request a 400 that says so, and nothing is read or written.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

NUL = "\x00"
MESSAGE = "text in the request contains a NUL character (U+0000), which no field accepts"


def register(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    if _has_nul(request.args) or _has_nul(request.form) or _has_nul(_json_body()):
        abort(400, MESSAGE)


def _json_body() -> Any:
    return request.get_json(silent=True) if request.is_json else None


def _has_nul(value: Any) -> bool:
    """Keys and values of query strings and forms (MultiDicts), and JSON of any depth."""
    if isinstance(value, str):
        return NUL in value
    if hasattr(value, "items") and hasattr(value, "getlist"):  # werkzeug MultiDict: every value of each key
        return any(NUL in key or any(NUL in item for item in value.getlist(key)) for key in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False
