"""The commands' tests: the test organisation with two administrators who may import cases, ``admin`` of its
province and ``commune_admin`` of its other commune (the importing tests' people)."""

import pytest

from casework.extensions import db
from tests.factories import RoleFactory, UserFactory, build_org, use_session


@pytest.fixture
def org(app):
    use_session(db.session)
    org = build_org(db.session)
    RoleFactory(user=UserFactory(username="admin"), unit=org.units["province"], role="admin")
    RoleFactory(user=UserFactory(username="commune_admin"), unit=org.units["other_commune"], role="admin")
    db.session.commit()
    return org
