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


def version_of(client, case_id: int) -> str:
    """The case version the page offers in its forms (what a person's browser would send back)."""
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    match = re.search(r'name="[a-z_]+-expected_version" type="hidden" value="(\d+)"', body)
    assert match, "the page offers no step"
    return match.group(1)


def step(client, case_id: int, trigger: str, fields: dict, version: str | None = None):
    """Submit a step's form as the page would: field names prefixed with the trigger."""
    data = {f"{trigger}-{name}": value for name, value in fields.items()}
    data[f"{trigger}-expected_version"] = version or version_of(client, case_id)
    return client.post(f"/cases/{case_id}/actions/{trigger}", data=data)


@pytest.fixture
def walker(app, web_org):
    """Moves a case forward through the engine (for tests about pages further along the procedure)."""
    from casework.extensions import db
    from tests.walk import Walker

    def make(**overrides) -> Walker:
        return Walker(db.session, app.extensions["casework_engine"], web_org, **overrides)

    return make
