"""Signing in to the API: session cookie or bearer token, and what an outsider learns (nothing)."""

import sqlalchemy as sa

from casework.auth import create_token, revoke_tokens
from casework.extensions import db
from casework.localtime import as_utc
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


# --- The same throttle as the sign-in page --------------------------------------------------------------


def _sign_in(client, password: str, username: str = "cell_secretary", address: str = "127.0.0.1"):
    return client.post("/api/v1/session", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_the_sixth_attempt_after_five_failures_answers_429_until_the_lock_ends(api, app, clock):
    client = app.test_client()
    for _ in range(5):
        assert _sign_in(client, "guess").status_code == 401
    locked = _sign_in(client, "secret")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    body = locked.get_json()
    assert body["error"] and [r["code"] for r in body["reasons"]] == ["sign_in_locked"]
    reason = body["reasons"][0]
    assert "thử lại sau" in reason["vi"] and "Try again after" in reason["en"]
    assert reason["params"]["retry_after_seconds"] == 900
    assert "cell_secretary" not in locked.get_data(as_text=True)
    clock.advance(seconds=15 * 60 - 1)
    assert _sign_in(client, "secret").headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert _sign_in(client, "secret").status_code == 200


def test_a_lock_from_the_sign_in_page_holds_for_the_api(api, app):
    pages = app.test_client()
    for _ in range(5):
        pages.post("/sign-in", data={"username": "cell_secretary", "password": "guess"})
    assert _sign_in(app.test_client(), "secret").status_code == 429
    assert _sign_in(app.test_client(), "secret", address="198.51.100.7").status_code == 200, "another address"


def test_an_unknown_username_locks_alike(api, app):
    client = app.test_client()
    for _ in range(5):
        _sign_in(client, "guess", username="nobody")
    assert _sign_in(client, "guess", username="nobody").status_code == 429


# --- Ending sessions; bearer tokens that expire -----------------------------------------------------------


def test_delete_session_ends_a_copied_cookie(api, app):
    client = app.test_client()
    assert _sign_in(client, "secret").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/api/v1/tasks").status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert thief.get("/api/v1/tasks").status_code == 401


def test_a_token_is_refused_from_the_instant_it_expires(api, app, web_org, clock):
    token = create_token(db.session, web_org.users["cell_secretary"], "ci", days=1, now=clock.now)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    clock.advance(days=1, seconds=-1)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    clock.advance(seconds=1)
    expired = client.get("/api/v1/tasks", headers=headers)
    assert expired.status_code == 401 and expired.get_json()["error"]


def test_last_use_is_written_at_most_once_an_hour(api, app, web_org, clock):
    token = create_token(db.session, web_org.users["cell_secretary"], now=clock.now)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()

    def last_used():
        db.session.expire_all()
        return as_utc(db.session.scalar(sa.select(ApiToken.last_used_at)))

    client.get("/api/v1/tasks", headers=headers)
    first = clock.now
    assert last_used() == first
    clock.advance(seconds=3599)
    client.get("/api/v1/tasks", headers=headers)
    assert last_used() == first
    clock.advance(seconds=1)
    client.get("/api/v1/tasks", headers=headers)
    assert last_used() == clock.now


def test_revoking_a_users_tokens_ends_only_theirs(api, app, web_org):
    mine = create_token(db.session, web_org.users["cell_secretary"])
    theirs = create_token(db.session, web_org.users["authority"])
    assert revoke_tokens(db.session, user_id=web_org.users["cell_secretary"].id) == 1
    db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {mine}"}).status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {theirs}"}).status_code == 200
