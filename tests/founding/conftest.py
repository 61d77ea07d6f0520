import pytest

from tests.founding.support import founding_org


@pytest.fixture
def forg(session):
    return founding_org(session)
