"""Independent read-only figures computed at the same time, on PostgreSQL, from one snapshot.

The dashboard's figures do not depend on each other, so a page need not wait for them one after another.
Each runs on its own pooled connection, in a REPEATABLE READ transaction that imports the snapshot one
connection exported first: every figure sees the database at the same instant, as if one query had
computed them all. SQLite (one writer, in-process) runs them in turn on the caller's session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_CONNECTIONS = 4
# What pg_export_snapshot returns ('00000003-0000001B-1'): checked, since SET cannot take a parameter.
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


def run_together(session: Session, jobs: dict[str, Callable[[Session], T]]) -> dict[str, T]:
    """``{name: job(session)}``; on PostgreSQL, with the jobs sharing one snapshot on their own connections."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql" or len(jobs) < 2:
        return {name: job(session) for name, job in jobs.items()}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as exporter:
        snapshot = exporter.scalar(sa.text("SELECT pg_export_snapshot()"))
        if not SNAPSHOT_ID.match(snapshot):
            raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
        with ThreadPoolExecutor(max_workers=min(MAX_CONNECTIONS, len(jobs))) as pool:
            futures = {name: pool.submit(_in_snapshot, engine, snapshot, job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}


def _in_snapshot(engine: sa.Engine, snapshot: str, job: Callable[[Session], T]) -> Any:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(sa.text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        with Session(bind=conn) as session:
            return job(session)
