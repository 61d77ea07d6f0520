"""Signing in and out: messages that reveal nothing, locking after repeated failures, languages."""

from __future__ import annotations

import sqlalchemy as sa

from casework.extensions import db
from tests.web.conftest import sign_in, text


def test_sign_in_page_is_vietnamese_by_default(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert "Đăng nhập" in text(response) and 'lang="vi"' in response.get_data(as_text=True)


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_sign_in_lands_on_the_inbox(client, web_org):
    response = sign_in(client, "cell_secretary")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Công việc của tôi" in text(client.get("/"))


def test_wrong_password_and_unknown_user_read_the_same(client, web_org):
    wrong = text(sign_in(client, "cell_secretary", "nope"))
    unknown = text(sign_in(client, "nobody-here", "nope"))
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong and message in unknown


def test_repeated_failures_lock_the_username_for_a_while(app, client, web_org, clock):
    for _ in range(5):
        assert sign_in(client, "cell_secretary", "guess").status_code == 401
    locked = sign_in(client, "cell_secretary", "secret")
    assert locked.status_code == 401 and "thử lại sau" in text(locked)
    clock.advance(seconds=16 * 60)
    assert sign_in(client, "cell_secretary", "secret").status_code == 302


def test_unknown_usernames_lock_too(client, web_org):
    for _ in range(5):
        sign_in(client, "ghost", "guess")
    assert "thử lại sau" in text(sign_in(client, "ghost", "guess"))


def test_remember_me_sets_a_remember_cookie(client, web_org):
    sign_in(client, "cell_secretary", remember="y")
    assert client.get_cookie("remember_token") is not None


def test_sign_out(page):
    client = page("cell_secretary")
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_next_only_goes_to_this_site(client, web_org):
    response = client.post("/sign-in?next=https://evil.example/", data={"username": "cell_secretary",
                                                                         "password": "secret"})
    assert response.headers["Location"] == "/"


def test_english_is_a_choice_saved_for_the_person(app, page, web_org):
    client = page("cell_secretary")
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "My work" in text(client.get("/"))
    other = app.test_client()
    sign_in(other, "cell_secretary")
    assert "My work" in text(other.get("/")), "the choice is saved in the account"


def test_visitors_choose_a_language_for_the_session(client):
    client.post("/language", data={"locale": "en"})
    assert "Sign in" in text(client.get("/sign-in")) and 'lang="en"' in client.get("/sign-in").get_data(as_text=True)


def test_forms_need_a_csrf_token_outside_tests(app, web_org):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = sign_in(client, "cell_secretary")
    assert refused.status_code == 400
    page = client.get("/sign-in").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert sign_in(client, "cell_secretary", csrf_token=token).status_code == 302


# --- One throttle per (username, address), a slower one per username ------------------------------------


def _attempt(client, username: str, password: str, address: str = "127.0.0.1", **headers):
    return client.post("/sign-in", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_the_fifth_failure_locks_the_pair_until_the_minute_it_ends(app, web_org, clock):
    client = app.test_client()
    for _ in range(4):
        assert _attempt(client, "cell_secretary", "guess").status_code == 401
    assert _attempt(client, "cell_secretary", "secret").status_code == 302, "four failures do not lock"
    client.post("/sign-out")
    for _ in range(5):
        assert "không đúng" in text(_attempt(client, "cell_secretary", "guess"))
    locked = _attempt(client, "cell_secretary", "secret")
    assert locked.status_code == 401 and "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau" in text(locked)
    clock.advance(seconds=15 * 60 - 1)
    assert "thử lại sau" in text(_attempt(client, "cell_secretary", "secret"))
    clock.advance(seconds=1)
    assert _attempt(client, "cell_secretary", "secret").status_code == 302


def test_a_guesser_does_not_lock_the_real_person_out_of_their_own_address(app, web_org):
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(6):
        _attempt(attacker, "cell_secretary", "guess", address="203.0.113.9")
    assert "thử lại sau" in text(_attempt(attacker, "cell_secretary", "secret", address="203.0.113.9"))
    assert _attempt(owner, "cell_secretary", "secret", address="198.51.100.7").status_code == 302


def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(app, web_org):
    client = app.test_client()
    for n in range(5):
        _attempt(client, "cell_secretary", "guess", **{"X-Forwarded-For": f"192.0.2.{n}"})
    locked = _attempt(client, "cell_secretary", "secret", **{"X-Forwarded-For": "192.0.2.77"})
    assert "thử lại sau" in text(locked)


def test_one_address_never_reaches_the_username_lock(app, web_org, clock):
    """At the pair's pace (5 failures, then 15 minutes locked) one address makes at most 25 failures in the
    username's hour, under its threshold of 30."""
    client = app.test_client()
    for _round in range(5):
        for _ in range(5):
            _attempt(client, "cell_secretary", "guess", address="203.0.113.9")
        clock.advance(seconds=15 * 60)
    assert _attempt(app.test_client(), "cell_secretary", "secret", address="198.51.100.7").status_code == 302


def test_a_guess_spread_over_addresses_locks_the_username_for_longer_each_time(app, web_org, clock):
    app.config["LOGIN_USERNAME_MAX_FAILURES"] = 8
    client, owner = app.test_client(), app.test_client()

    def spread_guess():
        for n in range(8):
            _attempt(client, "cell_secretary", "guess", address=f"192.0.2.{n}")

    spread_guess()
    assert "thử lại sau" in text(_attempt(owner, "cell_secretary", "secret", address="198.51.100.7"))
    clock.advance(seconds=15 * 60)
    spread_guess()  # the second lock in a row lasts twice as long
    clock.advance(seconds=29 * 60)
    assert "thử lại sau" in text(_attempt(owner, "cell_secretary", "secret", address="198.51.100.7"))
    clock.advance(seconds=60)
    assert _attempt(owner, "cell_secretary", "secret", address="198.51.100.7").status_code == 302


def test_trusted_proxy_hops_take_the_client_address_from_the_proxy():
    from flask import request

    from casework import create_app

    def remote_addr(hops: int) -> str:
        app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                          "TRUSTED_PROXY_HOPS": hops})
        app.add_url_rule("/address", "address", lambda: request.remote_addr or "")
        return app.test_client().get("/address", headers={"X-Forwarded-For": "203.0.113.5"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_data(as_text=True)

    assert remote_addr(0) == "10.0.0.2"
    assert remote_addr(1) == "203.0.113.5"


# --- Signing out ends the session, wherever its cookies were copied -----------------------------------


def copy_cookies(source, names=("session", "remember_token")):
    """A second browser holding the same cookies (as a thief with a copy would)."""
    thief = source.application.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def test_a_copied_session_cookie_stops_working_at_sign_out(app, web_org):
    client = app.test_client()
    sign_in(client, "cell_secretary")
    thief = copy_cookies(client, names=("session",))
    assert thief.get("/").status_code == 200
    client.post("/sign-out")
    assert thief.get("/").status_code == 302


def test_a_remember_cookie_alone_stops_working_at_sign_out(app, web_org):
    client = app.test_client()
    sign_in(client, "cell_secretary", remember="y")
    thief = copy_cookies(client, names=("remember_token",))
    assert thief.get("/").status_code == 200, "the remember cookie signs in by itself"
    client.post("/sign-out")
    assert copy_cookies(client, names=()).get("/").status_code == 302
    assert thief.get("/").status_code == 302


def test_cookies_are_lax_and_http_only(app, web_org):
    client = app.test_client()
    response = sign_in(client, "cell_secretary", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies) and len(cookies) == 2
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 30


def test_secure_cookies_are_a_setting_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("CASEWORK_SECURE_COOKIES", "1")
    try:
        secure = importlib.reload(config).Config
        assert secure.SESSION_COOKIE_SECURE and secure.REMEMBER_COOKIE_SECURE
    finally:
        monkeypatch.delenv("CASEWORK_SECURE_COOKIES")
        plain = importlib.reload(config).Config
    assert not plain.SESSION_COOKIE_SECURE and not plain.REMEMBER_COOKIE_SECURE


def test_a_signed_in_request_reads_the_person_with_their_roles_in_one_statement(page):
    client = page("cell_secretary")
    db.session.remove()  # as a new request in production: nobody is in the session yet
    seen: list[str] = []
    listener = lambda *a: seen.append(" ".join(a[2].split()))  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    response = client.get("/")
    sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and "Công việc của tôi" in text(response)
    person = [s for s in seen if " FROM users " in f"{s} " and "users.password_hash" in s]
    assert len(person) == 1 and "JOIN role_assignments" in person[0], person
    assert not [s for s in seen if s.startswith("SELECT role_assignments.id, role_assignments.user_id")
                and " IN (" in s], seen  # no second statement loading their roles
