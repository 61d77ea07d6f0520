"""One clock run at a time per database, whichever machine starts it.

The clock's row locks (``SKIP LOCKED``) and the unique keys of ``clock_marks`` already keep two overlapping runs
from doing anything twice; this lock keeps the second from scanning at all, so a run started on every host
each minute costs one scan, not one per host. It is a PostgreSQL session-level advisory lock, taken with
``pg_try_advisory_lock`` (never waited for) on a connection of its own in autocommit, so no transaction stays
open while the run goes on; if the process dies, the connection closes and the lock with it. Advisory locks
are per database, so two casework sites on one server do not hold each other up. SQLite has one writer at a
time anyway: there every run goes ahead, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

# The lock's key: any fixed 64-bit number other code on the database does not use ("casework" in ASCII).
TICK_LOCK_KEY = 0x63617365776F726B


@contextmanager
def only_one_tick(db_engine: sa.Engine) -> Iterator[bool]:
    """Inside: True when this run holds the clock's lock (or needs none), False when another run holds it."""
    if db_engine.dialect.name != "postgresql":
        yield True
        return
    with db_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(connection.scalar(sa.select(sa.func.pg_try_advisory_lock(TICK_LOCK_KEY))))
        try:
            yield held
        finally:
            if held:
                connection.scalar(sa.select(sa.func.pg_advisory_unlock(TICK_LOCK_KEY)))
