"""The OpenAPI document at /api/v1/openapi.json: served to anyone, and listing exactly the API's routes."""

from __future__ import annotations

import re

from flask import Flask

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
ERROR_STATUSES = {"400", "401", "403", "404", "409", "413", "415", "422", "429"}


def _document(app: Flask) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) for every rule of the JSON API (the ``api`` blueprint and the feature packages'
    endpoints under /api/, such as notifications), written as OpenAPI writes paths. The document's own
    route is not in the document."""
    routes = set()
    for rule in app.url_map.iter_rules():
        in_api = rule.endpoint.split(".")[0] == "api" or rule.rule.startswith("/api/")
        if not in_api or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented_routes(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in HTTP_METHODS}


def test_the_document_is_openapi_3_1_and_needs_no_sign_in(app):
    document = _document(app)
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"session", "bearerToken"}
    assert document["paths"]["/api/v1/session"]["post"]["security"] == []


def test_every_api_route_is_documented_and_nothing_else(app):
    routes, documented = api_routes(app), documented_routes(_document(app))
    assert routes, "the api blueprint has no rules?"
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations that no route serves"


def test_a_route_left_out_of_the_document_is_caught(app):
    app.add_url_rule("/api/v1/undocumented", endpoint="api.undocumented", view_func=lambda: "")
    assert ("GET", "/api/v1/undocumented") in api_routes(app) - documented_routes(_document(app))


def test_every_error_answer_is_documented_in_the_error_shape(app):
    document = _document(app)
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "reasons"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            errors = {status: answer for status, answer in operation["responses"].items() if status >= "400"}
            assert "401" in errors or operation.get("security") == [], (method, path)
            assert set(errors) <= ERROR_STATUSES, (method, path)
            for answer in errors.values():
                if "$ref" in answer:  # flask-smorest's shared 422 answer, for views reading a schema
                    answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_step_body_is_the_version_and_task_plus_the_steps_own_fields(app):
    document = _document(app)
    operation = document["paths"]["/api/v1/cases/{case_id}/actions/{trigger}"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    step = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert step["required"] == ["expected_version"]
    assert step["properties"]["expected_version"]["type"] == "integer"
    assert set(step["properties"]) == {"expected_version", "task_id"}
    assert step["additionalProperties"] is True
    assert {"400", "403", "404", "409", "415", "422"} <= set(operation["responses"])


def test_the_workflow_takes_a_version_and_says_from_when_it_is_in_effect(app):
    document = _document(app)
    operation = document["paths"]["/api/v1/workflows/{name}"]["get"]
    version = next(p for p in operation["parameters"] if p["name"] == "version")
    assert version["in"] == "query" and version.get("required") is not True
    assert version["schema"]["type"] == "integer" and version["schema"]["minimum"] == 1
    assert "new cases start on" in version["description"]
    assert {"404", "422"} <= set(operation["responses"])
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert answer["properties"]["effective_from"]["format"] == "date" and "effective_from" in answer["required"]


def test_the_notifications_endpoints_are_in_the_document(app):
    paths = _document(app)["paths"]
    assert {"/api/v1/notifications", "/api/v1/notifications/{notification_id}/read",
            "/api/v1/notifications/read-all", "/api/v1/notifications/preferences"} <= set(paths)


def test_ids_in_paths_are_documented_with_their_range(app):
    document = _document(app)
    parameters = document["paths"]["/api/v1/cases/{case_id}"]["parameters"]
    assert parameters[0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}


def test_the_document_is_served_before_any_version_is_in_effect(tmp_path):
    from casework import create_app
    from tests.engine.versions import original, write

    write(tmp_path / "admission", "v1.yaml", {**original(), "effective_from": "2999-01-01"})
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "WORKFLOWS_DIR": str(tmp_path)})
    assert _document(app)["openapi"] == "3.1.0"
