"""Signing in to the API: session cookie or bearer token, and what an outsider learns (nothing)."""

import sqlalchemy as sa

from casework.auth import create_token
from casework.extensions import db
from casework.models import ApiToken


def test_session_login_shows_the_roles_and_logout_ends_it(api, app):
    client = app.test_client()
    signed_in = client.post("/api/v1/session", json={"username": "cell_secretary", "password": "secret"})
    assert signed_in.status_code == 200
    body = signed_in.get_json()
    assert body["username"] == "cell_secretary"
    assert [r["role"] for r in body["roles"]] == ["cell_secretary"]
    assert client.get("/api/v1/session").get_json()["username"] == "cell_secretary"
    assert client.get("/api/v1/tasks").status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/session").status_code == 401


def test_wrong_password_and_unknown_account_answer_alike(api, app):
    client = app.test_client()
    wrong = client.post("/api/v1/session", json={"username": "cell_secretary", "password": "nope"})
    unknown = client.post("/api/v1/session", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert "cell_secretary" not in wrong.get_data(as_text=True)
    assert client.get("/api/v1/cases").status_code == 401


def test_an_inactive_account_cannot_sign_in(api, app, web_org):
    web_org.users["organizer"].active = False
    db.session.commit()
    response = app.test_client().post("/api/v1/session", json={"username": "organizer", "password": "secret"})
    assert response.status_code == 401


def test_login_needs_a_json_object(api, app):
    client = app.test_client()
    form = client.post("/api/v1/session", data={"username": "cell_secretary", "password": "secret"})
    assert form.status_code == 415
    assert form.is_json and form.get_json()["error"]
    array = client.post("/api/v1/session", json=["cell_secretary", "secret"])
    assert array.status_code == 400 and array.is_json


def test_every_endpoint_needs_a_caller(api, app):
    client = app.test_client()
    for url in ("/api/v1/cases", "/api/v1/tasks", "/api/v1/units", "/api/v1/workflows/admission"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.get_json()["error"]


def test_bearer_token_works_until_revoked(api, app, web_org):
    token = create_token(db.session, web_org.users["cell_secretary"], "test")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/session", headers=headers).get_json()["username"] == "cell_secretary"
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    db.session.execute(sa.update(ApiToken).values(revoked=True))
    db.session.commit()
    revoked = client.get("/api/v1/tasks", headers=headers)
    assert revoked.status_code == 401 and revoked.get_json()["error"]


def test_an_invalid_token_is_refused_even_with_a_session(api, app):
    client = api("cell_secretary").client
    assert client.get("/api/v1/tasks").status_code == 200
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_tokens_are_stored_only_as_digests(api, web_org):
    token = create_token(db.session, web_org.users["authority"])
    stored = db.session.scalars(sa.select(ApiToken.digest)).all()
    assert token not in stored and len(stored) == 1


def test_two_signed_in_clients_are_told_apart(api):
    secretary, authority = api("cell_secretary"), api("authority")
    for client, username in ((secretary, "cell_secretary"), (authority, "authority"), (secretary, "cell_secretary")):
        assert client.get("/api/v1/session").get_json()["username"] == username
