"""Page-test helpers: a test client signed in through the sign-in form as one of the test people."""

from __future__ import annotations

import re

import pytest


def sign_in(client, username: str, password: str = "secret", **extra):
    return client.post("/sign-in", data={"username": username, "password": password, **extra})


@pytest.fixture
def page(app, web_org):
    """``page("cell_secretary")`` gives a test client signed in as that person (its own cookie jar)."""

    def signed_in(username: str):
        client = app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return signed_in


def text(response) -> str:
    """The page's visible text, tags stripped, for asserting what a person reads."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
