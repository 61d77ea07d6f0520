"""The notifications' JSON endpoints answer errors in the API's shape, like the rest of /api/v1."""


def test_errors_are_json_with_reasons(api, web_org):
    anonymous = api().get("/api/v1/notifications")
    assert anonymous.status_code == 401 and anonymous.is_json and anonymous.get_json()["reasons"] == []
    secretary = api("cell_secretary")
    missing = secretary.post("/api/v1/notifications/2147483647/read")
    assert missing.status_code == 404 and missing.get_json()["error"] == "no such notification"
    assert secretary.post("/api/v1/notifications/2147483648/read").status_code == 404
    form = secretary.client.post("/api/v1/notifications/read-all", data={"x": "1"})
    assert form.status_code == 415 and form.is_json


def test_a_bad_email_mode_is_a_422_naming_the_choices(api, web_org):
    response = api("cell_secretary").post("/api/v1/notifications/preferences", json={"email_mode": "weekly"})
    assert response.status_code == 422
    reason, = response.get_json()["reasons"]
    assert reason["code"] == "bad_choice" and reason["params"]["field"] == "email_mode"
    assert reason["params"]["allowed"] == ["immediate", "daily_digest", "off"] and reason["vi"] and reason["en"]
