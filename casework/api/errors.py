"""Every API error is JSON: {"error": ..., "reasons": [...]}."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from casework.api import bp
from casework.engine import EngineError


def error_response(status: int, message: str, reasons: list | None = None):
    return jsonify({"error": message, "reasons": reasons or []}), status


@bp.errorhandler(EngineError)
def engine_error(exc: EngineError):
    return error_response(exc.status, exc.message, [r.as_dict() for r in exc.reasons])


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.description or exc.name)
