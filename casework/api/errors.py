"""Every API error is JSON: {"error": ..., "reasons": [...]}, including requests that match no route."""

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from casework.api import bp
from casework.engine import EngineError
from casework.engine.reasons import Reason


def error_response(status: int, message: str, reasons: list[Reason] | None = None):
    return jsonify({"error": message, "reasons": [r.as_dict() for r in reasons or []]}), status


@bp.errorhandler(EngineError)
def engine_error(exc: EngineError):
    return error_response(exc.status, exc.message, exc.reasons)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.description or exc.name)


@bp.before_app_request
def unrouted_api_request():
    """A path under the API that matches no route (or not with this method) never reaches the blueprint's
    handlers; answer it here, before the pages' handlers can turn it into HTML."""
    exc = request.routing_exception
    if exc is None or not request.path.startswith("/api/"):
        return None
    if not isinstance(exc, HTTPException) or exc.code not in (404, 405):
        return None  # redirects (a missing trailing slash) keep their own response
    response, status = error_response(exc.code, "no such endpoint" if exc.code == 404 else "method not allowed")
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status
