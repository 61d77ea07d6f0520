"""Languages: Vietnamese by default, English as a choice; messages come from the catalogs in
``casework/translations`` (compiled ``.mo`` files are committed so a plain install needs no build step)."""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_babel import get_locale
from flask_login import current_user

from casework.extensions import babel

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LOCALE = "vi"


def select_locale() -> str:
    """The signed-in person's saved language, else the visitor's choice this session, else Vietnamese."""
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LANGUAGES else DEFAULT_LOCALE


def current_language() -> str:
    """Two-letter code of the page language, for picking the vi/en text of labels and reasons."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def pick(texts: Any) -> str:
    """The page-language text of a ``{vi, en}`` label (workflow labels, engine reasons)."""
    if texts is None:
        return ""
    if isinstance(texts, dict):
        return texts.get(current_language()) or texts.get(DEFAULT_LOCALE) or ""
    text = getattr(texts, "text", None)
    return text(current_language()) if callable(text) else str(texts)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    babel.init_app(app, locale_selector=select_locale)
