"""The app's own error pages: every HTTP error a page request can meet (400, 403, 404, 405, 409, 413, 500 and
an expired or missing CSRF token) answers with a page in the page language, inside the app's frame, with a
way back. The API keeps its JSON errors (``casework.api.errors``): a request under ``/api/`` that reaches these
handlers (an unexpected failure) answers in the API's shape.

A 500 page says nothing of what failed (the log has it) and is drawn in a frame that needs no database: the
request's session is rolled back first, and the person's saved language is read only if that still works.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from casework.sizes import size_text
from casework.web.i18n import DEFAULT_LOCALE, LANGUAGES, select_locale

# Each status a page can answer with: its heading and what a person can do about it.
PAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in what was sent is not right. Go back, check the form and try again.")),
    403: (_l("Not allowed"), _l("You cannot do this with the roles you hold.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not within your units.")),
    405: (_l("This address does not take this request"),
          _l("The page was reached in a way it does not accept. Open it from the menu instead.")),
    409: (_l("Changed in the meantime"),
          _l("Someone else changed this while you were working on it. Open it again to see the latest "
             "version, then repeat your change if it is still needed.")),
    413: (_l("The file is too large"), None),  # the text names the limit
    500: (_l("Something went wrong on our side"),
          _l("Your request was not completed. Try again in a moment; if it keeps happening, tell your "
             "administrator the time it happened.")),
}
CSRF_PAGE = (_l("This form has expired"),
             _l("The page was open too long, or you signed in again in another tab. Go back, reload the page and "
                "send the form again."))


def register(app: Flask) -> None:
    """Called by ``casework.web.register``: app-wide, after the blueprints' own refusal pages."""
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(InternalServerError, server_error)
    app.register_error_handler(HTTPException, http_error)


def http_error(exc: HTTPException):
    code = exc.code or 500
    if code >= 500:
        return server_error(exc)
    if _is_api():
        return _api_error(exc)
    if code < 400 or code == 401:  # signing in answers a 401 on its own (a redirect to the sign-in page)
        return exc
    heading, explanation = PAGES.get(code, PAGES[400])  # any other refusal of the request (415, 422, 429...)
    if code == 413:
        explanation = _("Files up to %(limit)s are accepted. Make the file smaller (scan at a lower resolution, "
                        "or split it) and attach it again.", limit=_upload_limit())
    return page(code, heading, explanation)


def csrf_error(exc: CSRFError):
    if _is_api():
        return _api_error(exc)
    return page(400, *CSRF_PAGE)


def server_error(exc: HTTPException):
    """Nothing of the failure on the page; the frame reads no database, so a broken session cannot break it."""
    _roll_back_quietly()
    if _is_api():
        from casework.api.errors import error_response

        return error_response(500, "internal server error")
    heading, explanation = PAGES[500]
    with force_locale(_language_quietly()):
        return page(500, heading, explanation, frame="errors/_plain_frame.html")


def page(status: int, heading, explanation, frame: str = "base.html"):
    html = render_template("errors/error.html", frame=frame, status=status, heading=heading,
                           explanation=explanation, back=_previous_page(), home=_home())
    return html, status


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _api_error(exc: HTTPException):
    from casework.api.errors import error_response

    return error_response(exc.code or 500, exc.description or exc.name)


def _upload_limit() -> str:
    from casework.web.i18n import current_language

    return size_text(current_app.config["MAX_CONTENT_LENGTH"], current_language())


def _previous_page() -> str | None:
    """The page the person came from, when it is one of ours and not this same address."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https") or parts.path == request.path:
        return None
    return referrer


def _home() -> str:
    return url_for("inbox.index") if "inbox.index" in current_app.view_functions else "/"


def _roll_back_quietly() -> None:
    from casework.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection itself is gone: the page still answers
        current_app.logger.exception("rolling back before the error page failed")


def _language_quietly() -> str:
    """The person's language if it can still be read, else the visitor's choice, else Vietnamese."""
    try:
        return select_locale()
    except Exception:
        chosen = session.get("locale")
        return chosen if chosen in LANGUAGES else DEFAULT_LOCALE
