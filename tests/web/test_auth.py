"""Signing in and out: messages that reveal nothing, locking after repeated failures, languages."""

from __future__ import annotations

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
