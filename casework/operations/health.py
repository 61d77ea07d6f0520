"""Is this process alive, and is it ready to serve?

Alive (``/healthz``) asks nothing of the database: a database outage must not make the orchestrator kill
every web process. Ready (``/readyz``) asks what serving needs: the database answers, its schema is the one
this code was written for (Alembic's head: during a migration the old processes go unready rather than
fail on columns that moved), and the workflow definitions were loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str = ""  # a stable code when not ready
    detail: str = ""
    revision: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        if self.ready:
            return {"ready": True, "schema": list(self.revision)}
        return {"ready": False, "reason": self.reason, "detail": self.detail}


@cache
def code_heads(migrations_dir: str) -> frozenset[str]:
    """The revisions this code's migrations end at (read once: they change only with the code)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(migrations_dir).get_heads())


@cache
def known_revisions(migrations_dir: str) -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(rev.revision for rev in ScriptDirectory(migrations_dir).walk_revisions())


def readiness(session: Session, migrations_dir: str, workflows: list[str]) -> Readiness:
    if not workflows:
        return Readiness(False, "no_workflows", "no workflow definitions were loaded")
    try:
        at = _database_revisions(session)
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        return Readiness(False, "database_unreachable", f"the database did not answer: {type(exc).__name__}")
    heads = code_heads(migrations_dir)
    if at is None or not at:
        return Readiness(False, "schema_not_initialised", "the database has no schema yet: run casework init-db")
    if at == heads:
        return Readiness(True, revision=tuple(sorted(at)))
    if not at <= known_revisions(migrations_dir):
        return Readiness(False, "schema_ahead", f"the database is at {', '.join(sorted(at))}, which this code does "
                         f"not know (a newer version migrated it); this code expects {', '.join(sorted(heads))}")
    return Readiness(False, "schema_behind", f"the database is at {', '.join(sorted(at))}; this code expects "
                     f"{', '.join(sorted(heads))}: run casework init-db")


def _database_revisions(session: Session) -> frozenset[str] | None:
    """The revisions Alembic recorded, or None when it never ran here (the catalogue is asked first, so a
    missing table raises no error inside the transaction)."""
    if not sa.inspect(session.connection()).has_table("alembic_version"):
        session.rollback()
        return None
    rows = session.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    session.rollback()  # end the read: a probe holds nothing
    return frozenset(rows)
