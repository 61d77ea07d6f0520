"""Every API error is JSON: {"error": ..., "reasons": [...]}, including requests that match no route."""

from typing import Any

import marshmallow as ma
from flask import jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from casework.api import bp
from casework.engine import EngineError
from casework.engine.reasons import Reason


def error_response(status: int, message: str, reasons: list[Reason] | None = None):
    return jsonify({"error": message, "reasons": [r.as_dict() for r in reasons or []]}), status


def answer_errors_as_json(blueprint) -> None:
    """The API's error shape for another blueprint under /api/ (a feature package's endpoints)."""
    blueprint.register_error_handler(EngineError, engine_error)
    blueprint.register_error_handler(HTTPException, http_error)


def engine_error(exc: EngineError):
    return error_response(exc.status, exc.message, exc.reasons)


def http_error(exc: HTTPException):
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if exc.code == 422 and isinstance(messages, dict):  # a body or query its schema refused (webargs)
        return error_response(422, "the request was not accepted", validation_reasons(messages))
    return error_response(exc.code or 500, exc.description or exc.name)


# marshmallow's own messages (a missing or unknown field, a wrong type), each as a reason with a stable code
_LIBRARY_MESSAGES = {
    ma.fields.Field.default_error_messages["required"]: ("required", "Thiếu trường {name}.", "{name} is required."),
    ma.fields.Field.default_error_messages["null"]: ("required", "Thiếu trường {name}.", "{name} is required."),
    ma.Schema._default_error_messages["unknown"]: (
        "unknown_field", "Không có trường {name}.", "{name} is not a field of this request."),
    ma.Schema._default_error_messages["type"]: (
        "not_object", "Nội dung phải là một đối tượng JSON.", "The body must be a JSON object."),
}
_ANY_OTHER = ("bad_value", "{name}: giá trị không hợp lệ.", "{name}: {message}")


def validation_reasons(messages: dict[str, Any]) -> list[Reason]:
    """One reason per refused field, from webargs' {location: {field: [message, ...]}}; a query's fields
    are named as parameters, a body's as fields."""
    key = {"query": "parameter"}
    return [_reason(message, name, key.get(location, "field"))
            for location, problems in messages.items() for name, found in _by_field(problems)
            for message in (found if isinstance(found, list) else [found])]


def _by_field(problems: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(problems, dict):
        return [(prefix or "body", problems)]
    pairs = []
    for name, found in problems.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        pairs += _by_field(found, path) if isinstance(found, dict) else [(path, found)]
    return pairs


def _reason(message: Any, name: str, key: str) -> Reason:
    if isinstance(message, Reason):  # our schemas' fields say why themselves
        return message if key in message.params else Reason(message.code, message.vi, message.en,
                                                            {key: name, **message.params})
    code, vi, en = _LIBRARY_MESSAGES.get(str(message), _ANY_OTHER)
    return Reason(code, vi.format(name=name), en.format(name=name, message=message), {key: name})


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


answer_errors_as_json(bp)
