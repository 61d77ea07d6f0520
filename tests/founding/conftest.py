import pytest

from tests.founding.support import founding_org


@pytest.fixture
def forg(session):
    return founding_org(session)


@pytest.fixture
def web_forg(app):
    """The founding organisation, written through the app's own session."""
    from casework.extensions import db

    return founding_org(db.session)


@pytest.fixture
def fapi(app, web_forg):
    """``fapi("grassroots_committee")``: a JSON client signed in as that person of the founding organisation."""
    from tests.conftest import ApiClient

    def sign_in(username: str | None = None) -> ApiClient:
        return ApiClient(app.test_client(), username)

    return sign_in
