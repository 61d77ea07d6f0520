"""Every response says how a browser may use it: a CSP the pages satisfy (no inline script or style), no
framing, no type sniffing, referrers kept on this site; HSTS only when cookies are marked secure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casework.security_headers import CONTENT_SECURITY_POLICY
from config import PROJECT_ROOT

EXPECTED = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
# What 'self'-only scripts and styles refuse: inline scripts, style attributes and elements, event handlers.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)


def _assert_headers(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    assert "Strict-Transport-Security" not in response.headers


def test_the_policy_forbids_framing_plugins_and_foreign_sources():
    for part in ("default-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
                 "object-src 'none'"):
        assert part in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_no_template_has_inline_script_style_or_handlers():
    offenders = [f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
                 for path in Path(PROJECT_ROOT, "templates").rglob("*.html")
                 for match in INLINE.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.fixture
def pages(page, walker, web_org):
    """Signed-in pages of every kind, each with the people who may see it."""
    from casework.extensions import db
    from tests.factories import RoleFactory, UserFactory, use_session

    use_session(db.session)
    RoleFactory(user=UserFactory(username="admin"), unit=web_org.commune, role="admin")
    db.session.commit()
    walk = walker()
    walk.to("admitted")
    case_id = walk.case.id
    return [(page("cell_secretary"), ["/", f"/cases/{case_id}", f"/cases/{case_id}/print/5-knd",
                                      f"/cases/{case_id}/print/9-knd", "/notifications/"]),
            (page("organizer"), ["/monitoring/?year=2026", "/monitoring/export/pipeline.csv?year=2026"]),
            (page("admin"), ["/admin/units"])]


def test_every_page_and_download_carries_the_headers_and_no_inline_code(pages, client):
    for browser, urls in pages:
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, url
            _assert_headers(response)
            if response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                assert not INLINE.search(body), (url, INLINE.search(body).group(0))
    for url in ("/sign-in", "/no-such-page", "/api/v1/cases", "/static/casework.css"):
        response = client.get(url)
        _assert_headers(response)
        response.close()


def test_the_print_button_is_wired_by_a_script_file(pages):
    browser, urls = pages[0]
    body = browser.get(urls[2]).get_data(as_text=True)
    assert "data-print" in body and "/static/print.js" in body


def test_hsts_is_sent_only_when_cookies_are_secure(app, client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/sign-in").headers["Strict-Transport-Security"] == "max-age=31536000"
