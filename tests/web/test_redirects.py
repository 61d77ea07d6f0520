"""``next`` is followed only to a path on this site, by sign-in and by marking a notice read alike."""

import pytest

from casework.web.redirects import is_same_site_path, safe_next


@pytest.mark.parametrize("target", ["/", "/cases/12", "/cases/12?tab=history#events", "/monitoring/?unit=3&year=2026",
                                    "/search?q=%2F%2Fx"])
def test_a_path_on_this_site_is_followed(target):
    assert is_same_site_path(target) and safe_next(target, "/home") == target


@pytest.mark.parametrize("target", [None, "", "https://evil.example/", "//evil.example", "/\\evil.example",
                                    "\\/evil.example", "/\t/evil.example", "/\r\n/evil.example", "javascript:alert(1)",
                                    "http:/evil.example", "evil.example/path", "///evil.example"])
def test_anything_else_goes_to_the_fallback(target):
    assert not is_same_site_path(target) and safe_next(target, "/home") == "/home"


def test_signing_in_does_not_follow_a_backslash_host(client, web_org):
    response = client.post("/sign-in?next=/%5Cevil.example/", data={"username": "cell_secretary",
                                                                    "password": "secret"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
