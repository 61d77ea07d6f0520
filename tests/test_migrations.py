"""`casework init-db` (every Alembic migration, all heads) gives exactly the schema the models describe, on
SQLite and on PostgreSQL: a model change without its migration fails here, not in production."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from casework.models import Base
from tests.conftest import DATABASE_URL, IS_POSTGRES

MIGRATIONS_DATABASE = "casework_migrations"


def _upgrade_and_compare(url: str) -> list:
    """Run the migrations on ``url`` through the app, then diff the result against the models."""
    from casework import create_app
    from casework.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": url})
    loggers = {name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    try:
        with app.app_context():
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        _restore_loggers(loggers)
        with app.app_context():
            db.engine.dispose()


def _restore_loggers(disabled: dict[str, bool]) -> None:
    """Alembic's env.py applies its logging file, which disables every logger that exists; undo that so
    later tests still see their log records."""
    for name, was_disabled in disabled.items():
        logging.getLogger(name).disabled = was_disabled


def test_sqlite_migrations_match_the_models(tmp_path):
    assert _upgrade_and_compare(f"sqlite:///{tmp_path / 'migrated.sqlite'}") == []


def _fresh_postgres_database() -> str:
    """A database of its own, emptied first, so the shared test database is never touched."""
    server = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": MIGRATIONS_DATABASE})
        if not exists:
            conn.execute(sa.text(f"CREATE DATABASE {MIGRATIONS_DATABASE}"))
    server.dispose()
    url = make_url(DATABASE_URL).set(database=MIGRATIONS_DATABASE).render_as_string(hide_password=False)
    target = sa.create_engine(url)
    with target.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    target.dispose()
    return url


@pytest.mark.skipif(not IS_POSTGRES, reason="runs when the suite runs on PostgreSQL (TEST_DATABASE_URL)")
def test_postgres_migrations_match_the_models():
    assert _upgrade_and_compare(_fresh_postgres_database()) == []


def _targets_through_the_measures_revision(url: str) -> tuple[list, list]:
    """A target written with a column per measure, read after the revision that keeps them by measure in one JSON
    map, then after its downgrade."""
    from flask_migrate import downgrade

    from casework import create_app
    from casework.extensions import db
    from casework.models import Unit

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": url})
    loggers = {name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    try:
        with app.app_context():
            upgrade(revision="f7c2a9d4e8b1")
            with db.engine.begin() as conn:
                unit = conn.execute(sa.insert(Unit.__table__).values(kind="commune_committee", name="Xã", code="X1",
                                                                     path="/").returning(Unit.id)).scalar_one()
                conn.execute(sa.text("INSERT INTO monitoring_targets (unit_id, year_from, year_to, admissions, "
                                     "business_owners, new_party_orgs, updated_at) "
                                     "VALUES (:unit, 2026, 2030, 5, 1, 2, CURRENT_TIMESTAMP)"), {"unit": unit})
            upgrade(revision="b6d1f3a8c2e5")
            with db.engine.connect() as conn:
                upgraded = conn.execute(sa.text("SELECT year_from, year_to, amounts FROM monitoring_targets")).all()
            downgrade(revision="f7c2a9d4e8b1")
            with db.engine.connect() as conn:
                downgraded = conn.execute(sa.text("SELECT admissions, business_owners, new_party_orgs "
                                                  "FROM monitoring_targets")).all()
            return [(*r[:2], r[2] if isinstance(r[2], dict) else json.loads(r[2]))
                    for r in upgraded], [tuple(r) for r in downgraded]
    finally:
        _restore_loggers(loggers)
        with app.app_context():
            db.engine.dispose()


MEASURED = ([(2026, 2030, {"admissions": 5, "business_owners": 1, "new_party_orgs": 2})], [(5, 1, 2)])


def test_sqlite_targets_keep_their_numbers_by_measure(tmp_path):
    assert _targets_through_the_measures_revision(f"sqlite:///{tmp_path / 'targets.sqlite'}") == MEASURED


@pytest.mark.skipif(not IS_POSTGRES, reason="runs when the suite runs on PostgreSQL (TEST_DATABASE_URL)")
def test_postgres_targets_keep_their_numbers_by_measure():
    assert _targets_through_the_measures_revision(_fresh_postgres_database()) == MEASURED
