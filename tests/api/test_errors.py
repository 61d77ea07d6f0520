"""Every answer under /api/ is JSON, even for paths and methods no route matches."""


def test_an_unknown_api_path_is_a_json_404(api):
    client = api("cell_secretary")
    for url in ("/api/v1/nothing-here", "/api/v2/cases", "/api/v1/cases/abc"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and response.get_json() == {"error": "no such endpoint", "reasons": []}


def test_a_wrong_method_is_a_json_405_with_allow(api):
    response = api("cell_secretary").client.delete("/api/v1/cases")
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_routing_errors_answer_json_without_signing_in(app):
    response = app.test_client().put("/api/v1/tasks")
    assert response.status_code == 405 and response.is_json
