"""Fixtures shared by every test folder.

The database comes from ``TEST_DATABASE_URL`` (default: SQLite in memory). The same suite runs against
PostgreSQL with ``TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from casework.engine import LOCAL_TZ, Engine
from casework.engine.packages import import_packages
from casework.models import Base
from casework.monitoring import upkeep
from config import PROJECT_ROOT
from tests.factories import build_org, use_session

# Visits and tallies are kept in every test, as in the app (engine tests build no app).
upkeep.install()
# The workflows' own tables (admission's candidates) join the models before any schema is built from them.
import_packages(PROJECT_ROOT / "workflows")

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
IS_POSTGRES = DATABASE_URL.startswith("postgresql")
START_DAY = date(2026, 11, 16)  # a Monday


class Clock:
    """A clock the test moves by hand; engine dates are Vietnamese calendar days."""

    def __init__(self, day: date = START_DAY):
        self.now = datetime.combine(day, time(9, 0), LOCAL_TZ).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date) -> None:
        self.now = datetime.combine(day, time(9, 0), LOCAL_TZ).astimezone(UTC)

    def advance(self, days: int = 0, seconds: int = 0) -> None:
        self.now += timedelta(days=days, seconds=seconds)


# Tests need no durability; not waiting for the disk on every commit keeps the suite fast.
PG_CONNECT_ARGS = {"options": "-c synchronous_commit=off"}


def make_db_engine() -> sa.Engine:
    if IS_POSTGRES:
        return sa.create_engine(DATABASE_URL, connect_args=PG_CONNECT_ARGS)
    return sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})


def reset_schema(db_engine: sa.Engine) -> None:
    with db_engine.begin() as conn:
        if IS_POSTGRES:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
    Base.metadata.create_all(db_engine)


@pytest.fixture(scope="session")
def db_engine():
    engine = make_db_engine()
    reset_schema(engine)
    yield engine
    engine.dispose()


def truncate_all(db_engine: sa.Engine) -> None:
    """Empty every table and restart the ids. DELETE, not TRUNCATE: this runs after every test, and on
    PostgreSQL a TRUNCATE of every table costs most of a second (it rewrites and syncs files)."""
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if IS_POSTGRES:
            conn.execute(sa.text("SELECT " + ", ".join(_restart_id_sequences())))


def _restart_id_sequences() -> list[str]:
    return [f"setval(pg_get_serial_sequence('{table.name}', '{column.name}'), 1, false)"
            for table in Base.metadata.sorted_tables for column in table.primary_key.columns
            if isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto")]


@pytest.fixture
def session(db_engine):
    """A session whose commits are real; every table is emptied afterwards."""
    with Session(db_engine, expire_on_commit=False) as s:
        use_session(s)
        yield s
        s.rollback()
    truncate_all(db_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def workflows():
    return Engine.from_directory(PROJECT_ROOT / "workflows").workflows


@pytest.fixture
def engine(workflows, clock) -> Engine:
    return Engine(workflows=workflows, clock=clock)


@pytest.fixture
def org(session):
    return build_org(session)


# --- The web application ---------------------------------------------------------------------------


@pytest.fixture
def app(db_engine, clock, workflows):
    """The Flask app on the test database, with the test's clock. Tables are emptied afterwards."""
    from casework import create_app
    from casework.extensions import db

    options = ({"connect_args": PG_CONNECT_ARGS} if IS_POSTGRES
               else {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}})
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": DATABASE_URL if IS_POSTGRES else "sqlite://",
                      "SQLALCHEMY_ENGINE_OPTIONS": options})
    app.extensions["casework_engine"].clock = clock
    app.before_request(_forget_previous_caller)
    with app.app_context():
        if not IS_POSTGRES:
            Base.metadata.create_all(db.engine)
        yield app
        db.session.remove()
        if IS_POSTGRES:
            truncate_all(db.engine)
        db.engine.dispose()


def _forget_previous_caller() -> None:
    """The test holds one app context open, so every request shares its ``g``; Flask-Login caches the
    signed-in user there, and a second client would otherwise be served as the first one."""
    from flask import g

    g.pop("_login_user", None)


@pytest.fixture
def web_org(app):
    """The test organisation, written through the app's own session."""
    from casework.extensions import db

    return build_org(db.session)


class ApiClient:
    """A test client signed in as one person, speaking JSON."""

    def __init__(self, client, username: str | None = None, password: str = "secret"):
        self.client = client
        if username:
            response = client.post("/api/v1/session", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json if json is not None else {}, **kw)


@pytest.fixture
def api(app, web_org):
    """``api("cell_secretary")`` gives a client signed in as that test user (each its own cookie jar)."""

    def sign_in(username: str | None = None) -> ApiClient:
        return ApiClient(app.test_client(), username)

    return sign_in
