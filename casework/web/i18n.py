"""Languages: Vietnamese by default, English as a choice; messages come from the catalogs in
``casework/translations`` (compiled ``.mo`` files are committed so a plain install needs no build step)."""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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
    app.context_processor(page_translations)


def page_translations() -> dict[str, Any]:
    """The page's catalog, looked up once per page rather than once per message.

    Flask-Babel's template functions find the request's catalog again for every message (two context-local
    lookups and the locale each time): a page of 50 tasks translates some 250 messages, which took a sixth of
    its time. These do the same as those, with the catalog found here; the i18n extension takes ``gettext``
    and the others from the page's context before its own. (A macro imported without the context still uses
    Flask-Babel's, to the same effect.)"""
    catalog = get_translations()
    return {"gettext": _as_in_templates(catalog.ugettext),
            "ngettext": _as_in_templates(catalog.ungettext, plural=True),
            "pgettext": _as_in_templates(catalog.upgettext, contextual=True),
            "npgettext": _as_in_templates(catalog.unpgettext, contextual=True, plural=True)}


def _as_in_templates(translate, *, contextual: bool = False, plural: bool = False):
    """A catalog function as the i18n extension's "newstyle" functions call it: a message context (``contextual``)
    and a count (``plural``, the last argument) are offered to the placeholders as ``context`` and ``num``; the
    message is marked safe when the page escapes (the values filled in are escaped) and its ``%(name)s``
    placeholders are always filled."""

    @pass_context
    def translated(page, *args, **variables):
        if contextual:
            variables.setdefault("context", args[0])
        if plural:
            variables.setdefault("num", args[-1])
        text = translate(*args)
        if page.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return translated
