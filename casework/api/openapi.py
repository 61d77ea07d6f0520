"""The OpenAPI 3.1 document of the JSON API, at GET /api/v1/openapi.json (no sign-in needed).

flask-smorest writes it from the views' own decorators and schemas (casework.api.schemas), so what the
document promises is what the views load and dump. The API blueprint answers its own errors in the casework
shape (casework.api.errors); flask-smorest's app-wide JSON error handler is left out, so pages keep theirs.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from casework.api import bp
from casework.api.schemas import NOT_BLANK, Actor, Error
from casework.engine import Engine
from casework.engine.definition import current_version
from casework.engine.fields import JSON_SCHEMAS
from casework.ids import MAX_ID, IdConverter

DOCUMENT_SETTINGS = {
    "API_TITLE": "casework",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


# What each error status means here; every one answers the Error shape.
ERROR_MEANINGS = {
    400: "the body is not a JSON object, or text in the request holds a NUL character (any operation)",
    401: "not signed in, or the bearer token is invalid or revoked",
    403: "not yours to do: wrong role or unit (the reasons say which)",
    404: "no such record, or one outside your scope (the two look alike)",
    409: "the case changed since you read it: read it again (stale expected_version)",
    413: "the request is larger than the server accepts",
    415: "the body is not JSON (Content-Type: application/json)",
    422: "refused, with a reason per field or rule",
    429: "too many failed sign-ins for this username or address; wait Retry-After seconds",
}


def errors(*statuses: int):
    """Document the error answers a view gives (its handlers in casework.api.errors shape them). Every
    operation may answer 400: casework.request_text refuses a NUL character before any view runs."""

    def decorator(view):
        for status in sorted({400, *statuses}):
            view = bp.alt_response(status, schema=Error, description=ERROR_MEANINGS[status])(view)
        return view

    return decorator


def path_parameter(name: str, component: str, description: str) -> dict:
    """A path parameter whose values the workflows name (the schema is filled in by register_api)."""
    return {"in": "path", "name": name, "description": description,
            "schema": {"$ref": f"#/components/schemas/{component}"}}


class CaseworkApi(Api):
    ERROR_SCHEMA = Error
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists the errors it can give, no catch-all

    def _register_error_handlers(self) -> None:
        """Nothing app-wide: the API blueprint has its own handlers, the pages answer HTML."""


def register_api(app: Flask) -> CaseworkApi:
    """Register the API blueprint and its document. The app's ``id`` URL converter must be in place."""
    for key, value in DOCUMENT_SETTINGS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"session": []}, {"bearerToken": []}],
        "info": {"description": "Party-building casework: cases of every workflow under workflows/. Errors are "
                                '{"error": ..., "reasons": [{"code", "vi", "en", "params"}]}.'},
    })
    api = CaseworkApi(app)
    api.register_converter(IdConverter, lambda _converter: dict(ID_SCHEMA))
    api.spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
        "description": "the cookie POST /api/v1/session sets"})
    api.spec.components.security_scheme("bearerToken", {
        "type": "http", "scheme": "bearer", "description": "an API token (casework token create)"})
    api.spec.components.schema("Actor", schema=Actor)
    engine = app.extensions["casework_engine"]
    _workflow_names(api, engine)
    api.register_blueprint(bp)
    _referral_fields(api, engine, app.config["DEFAULT_WORKFLOW"])
    _state_names(api, engine)
    app.extensions["casework_api"] = api
    return api


def register_documented(app: Flask, blueprint) -> None:
    """A feature package's JSON endpoints (a flask-smorest Blueprint under /api/v1, answering errors with
    casework.api.errors.answer_errors_as_json) join the document."""
    app.extensions["casework_api"].register_blueprint(blueprint)


def _referral_fields(api: CaseworkApi, engine: Engine, workflow: str) -> None:
    """The default workflow's start step's fields, as the version new cases start on at start-up declares them,
    describe POST /cases's body. They only describe it: the engine checks the values and answers 422 with its
    reasons."""
    # current_version, not engine.workflow: with no version in effect yet the app still starts
    wf = current_version(engine.workflows.get(workflow, {}), engine.today())
    body = api.spec.components.schemas.get("ReferralFields")
    if wf is None or body is None:
        return
    start = wf.start_transition
    body["properties"] = {f.name: field_schema(f) for f in start.fields}
    body["required"] = [f.name for f in start.fields if f.required]


def field_schema(field) -> dict:
    """JSON Schema for a workflow field (casework.engine.definition.FieldDef) as the engine reads it."""
    by_type = {
        "string": {"type": "string"}, "text": {"type": "string"}, "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"}, "integer": {"type": "integer"},
        "choice": {"enum": list(field.choices)}, "unit": dict(ID_SCHEMA), "document": dict(ID_SCHEMA),
        "member_ids": {"type": "array", "items": dict(ID_SCHEMA)},
    }
    schema = dict(by_type.get(field.type) or JSON_SCHEMAS.get(field.type, {}))
    if field.type in ("string", "text") and field.required:
        schema.update(NOT_BLANK)
    if field.pattern is not None:  # the engine matches the whole value; JSON Schema searches within it
        schema["pattern"] = f"^(?:{field.pattern})$"
    for key, value in (("maxLength", field.max_length), ("minimum", field.min)):
        if value is not None:
            schema[key] = value
    label = field.label.get("en") or field.label.get("vi")
    return {**schema, "description": label} if label else schema


def _workflow_names(api: CaseworkApi, engine: Engine) -> None:
    """Workflow names and step triggers (of every version) come from workflows/<name>/v<N>.yaml, loaded
    before the API is registered; any other value answers 404."""
    triggers = sorted({t.trigger for wf in engine.definitions() for t in wf.transitions})
    api.spec.components.schema("WorkflowName", {"type": "string", "enum": sorted(engine.workflows)})
    api.spec.components.schema("Trigger", {"type": "string", "enum": triggers})


def _state_names(api: CaseworkApi, engine: Engine) -> None:
    """GET /cases?state= takes a state some version of some workflow declares (any other answers 422)."""
    states = sorted({name for wf in engine.definitions() for name in wf.states})
    for parameter in api.spec._paths.get("/api/v1/cases", {}).get("get", {}).get("parameters", []):
        if parameter.get("name") == "state":
            parameter["schema"] = {"type": "string", "enum": states}
