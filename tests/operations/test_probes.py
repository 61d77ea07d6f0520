"""/healthz asks nothing of the database; /readyz answers 503 with a reason until the database answers, its
schema is at the migrations' head and definitions are loaded."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework import MIGRATIONS_DIR
from casework.extensions import db
from casework.operations.health import code_heads, known_revisions


@pytest.fixture
def alembic_version(app):
    """``stamp(*revisions)``: the revisions Alembic would have recorded; the table is dropped afterwards."""

    def stamp(*revisions: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(sa.text("DELETE FROM alembic_version"))
            for revision in revisions:
                conn.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})

    yield stamp
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def _head() -> str:
    (head,) = code_heads(MIGRATIONS_DIR)  # the chain is kept linear
    return head


def test_alive_without_asking_the_database(app, monkeypatch):
    def no_database(*_args, **_kwargs):
        raise AssertionError("the liveness probe read the database")

    monkeypatch.setattr(db.session, "execute", no_database)
    monkeypatch.setattr(db.session, "scalar", no_database)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"alive": True}


def test_ready_at_the_head(app, alembic_version):
    alembic_version(_head())
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"ready": True, "schema": [_head()]}


def test_not_ready_before_any_migration(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "schema_not_initialised"


def test_not_ready_one_revision_behind(app, alembic_version):
    from alembic.script import ScriptDirectory

    previous = ScriptDirectory(MIGRATIONS_DIR).get_revision(_head()).down_revision
    alembic_version(previous)
    body = app.test_client().get("/readyz")
    assert body.status_code == 503
    assert body.get_json()["reason"] == "schema_behind" and previous in body.get_json()["detail"]


def test_not_ready_when_a_newer_version_migrated_the_database(app, alembic_version):
    alembic_version("ffffffffffff")
    assert "ffffffffffff" not in known_revisions(MIGRATIONS_DIR)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "schema_ahead"


def test_not_ready_without_the_database(app, alembic_version):
    alembic_version(_head())

    def unreachable(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    app.test_client().get("/readyz")  # the session's first connection
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db.session, "connection", unreachable)
        response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["reason"] == "database_unreachable"


def test_not_ready_without_definitions(app, alembic_version):
    alembic_version(_head())
    engine = app.extensions.pop("casework_engine")
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.extensions["casework_engine"] = engine
    assert response.status_code == 503 and response.get_json()["reason"] == "no_workflows"
