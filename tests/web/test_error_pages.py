"""Every error a page request meets is the app's own page: in the page language, inside the app's frame, with
a way back; the API keeps its JSON. A 500 says nothing of the failure and renders with the database broken."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from casework.extensions import db
from tests.web.conftest import text

MB = 1024 * 1024


def _english(client):
    client.post("/language", data={"locale": "en", "next": "/"})
    return client


def _is_own_page(response, status: int, heading: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert 'class="site-header"' in html and f"<h1>{heading}</h1>" in html  # the app's frame, its heading
    assert 'href="/"' in html  # the way back to one's work
    return html


@pytest.mark.parametrize("language, heading", [("vi", "Không tìm thấy"), ("en", "Not found")])
def test_a_missing_page_is_the_apps_own_404_in_the_page_language(page, language, heading):
    client = page("organizer")
    if language == "en":
        _english(client)
    html = _is_own_page(client.get("/no-such-page"), 404, heading)
    assert f'<html lang="{language}">' in html


def test_the_error_page_links_back_to_the_page_one_came_from_when_it_is_ours(page):
    client = page("organizer")
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/monitoring/"})
    assert 'href="http://localhost/monitoring/"' in response.get_data(as_text=True)
    elsewhere = client.get("/no-such-page", headers={"Referer": "http://evil.example/phish"})
    assert "evil.example" not in elsewhere.get_data(as_text=True)


def test_a_page_one_may_not_see_is_a_translated_403(page):
    response = _english(page("cell_secretary")).get("/monitoring/")
    _is_own_page(response, 403, "Not allowed")


def test_a_wrong_method_is_a_translated_405(page):
    _is_own_page(page("organizer").delete("/monitoring/"), 405, "Địa chỉ này không nhận yêu cầu như vậy")


def test_a_bad_request_and_a_conflict_are_translated_pages(app, page):
    from flask import abort

    app.add_url_rule("/test-abort/<int:code>", "test_abort", lambda code: abort(code))
    client = page("organizer")
    _is_own_page(client.get("/test-abort/400"), 400, "Yêu cầu không hợp lệ")
    _is_own_page(_english(client).get("/test-abort/409"), 409, "Changed in the meantime")
    _is_own_page(client.get("/test-abort/422"), 422, "The request could not be understood")  # any other 4xx


def test_an_expired_form_is_the_apps_own_page_not_a_bare_csrf_error(app, page):
    client = page("organizer")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/monitoring/targets", data={"unit_id": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    html = _is_own_page(response, 400, "Biểu mẫu đã hết hạn")
    assert "CSRF" not in html


def _upload(client, size: int):
    """A form post announcing ``size`` bytes (the server refuses it on the announced length, unread)."""
    return client.post("/monitoring/targets", data={"table": (io.BytesIO(b"x" * 10), "t.csv")},
                       content_type="multipart/form-data", environ_overrides={"CONTENT_LENGTH": str(size)})


def test_a_file_over_the_limit_gets_the_413_page_naming_the_limit_in_the_page_language(page):
    client = page("organizer")
    assert "10 MB" in _is_own_page(_upload(client, 10 * MB + 1), 413, "Tệp quá lớn")


@pytest.mark.parametrize("language, limit", [("vi", "5,0 MB"), ("en", "5.0 MB")])
def test_a_fractional_limit_is_written_with_the_languages_decimal_mark(app, page, language, limit):
    app.config["MAX_CONTENT_LENGTH"] = int(5.04 * MB)
    client = page("organizer")
    if language == "en":
        _english(client)
    response = _upload(client, 6 * MB)
    assert response.status_code == 413 and limit in text(response)


def test_the_api_keeps_its_json_errors(page):
    client = page("organizer")
    missing = client.get("/api/no-such-endpoint")
    assert missing.status_code == 404 and missing.is_json


@pytest.fixture
def failing(app):
    """Routes that fail: one with a plain bug, one leaving the database session broken."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def bug():
        raise RuntimeError("secret detail: table admission_secrets")

    def broken_session():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    app.add_url_rule("/test-bug", "test_bug", bug)
    app.add_url_rule("/test-broken-session", "test_broken_session", broken_session)
    app.add_url_rule("/api/test-bug", "api_test_bug", bug)
    return app


def test_a_failure_is_a_500_page_that_leaks_nothing(failing, page):
    html = _is_own_page(page("organizer").get("/test-bug"), 500, "Đã có lỗi ở phía hệ thống")
    assert "secret detail" not in html and "RuntimeError" not in html and "Traceback" not in html


def test_the_500_page_renders_with_the_database_session_broken(failing, page):
    client = _english(page("organizer"))
    _is_own_page(client.get("/test-broken-session"), 500, "Something went wrong on our side")


def test_the_500_page_renders_when_the_database_cannot_even_roll_back(failing, page, monkeypatch):
    client = page("organizer")

    def gone(*_args, **_kwargs):
        raise sa.exc.OperationalError("rollback", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "rollback", gone)
    monkeypatch.setattr("casework.web.errors.select_locale", gone)
    html = _is_own_page(client.get("/test-bug"), 500, "Đã có lỗi ở phía hệ thống")
    assert "server closed" not in html


def test_a_failure_under_the_api_answers_json(failing, page):
    response = page("organizer").get("/api/test-bug")
    assert response.status_code == 500 and response.is_json
    assert "secret" not in response.get_data(as_text=True)
