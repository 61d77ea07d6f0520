"""Finding a case the way the engine's scope allows, and refusals rendered as pages.

A case outside the person's scope answers 404 as if it did not exist; a step they may not take answers
403 with the engine's reasons in the page language.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from casework.engine import EngineError, NotFound, PermissionDenied, scope
from casework.engine.scope import task_view_only
from casework.extensions import db
from casework.models import Case
from casework.web.engine_access import engine


def visible_case(case_id: int) -> Case:
    case = scope.visible_case(db.session, current_user, case_id)
    if case is None:
        abort(404)
    return case


def dossier_case(case_id: int) -> Case:
    """A case whose whole dossier this person may see (not a residential committee that only verifies)."""
    case = visible_case(case_id)
    if task_view_only(current_user, case, engine().definition_of(case)):
        abort(404)
    return case


def _refusal_page(exc: EngineError):
    status = exc.status if isinstance(exc, (NotFound, PermissionDenied)) else 400
    return render_template("errors/refused.html", status=status, reasons=exc.reasons), status


def _http_page(exc):
    from casework.web.errors import http_error

    return http_error(exc)


def register_error_pages(bp: Blueprint) -> None:
    """Refusals inside this blueprint's pages are pages too (the API answers JSON on its own)."""
    bp.register_error_handler(NotFound, _refusal_page)
    bp.register_error_handler(PermissionDenied, _refusal_page)
    for code in (403, 404):
        bp.register_error_handler(code, _http_page)
