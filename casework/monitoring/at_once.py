"""Work the database server does on several connections at once: after a bulk load, the index builds, the
vacuums and the tallies' grouped queries each keep one core busy, so two connections keep a 2-core server busy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa

Job = TypeVar("Job")


def on_connections(connect: Callable[[], sa.Connection], jobs: Sequence[Job],
                   run: Callable[[sa.Connection, Job], object], connections: int = 2) -> None:
    """``run(conn, job)`` for every job in order, on ``connections`` connections (each from ``connect()``) at once:
    each connection takes the next job when its last is done. The first failure stops the others taking more,
    and is raised here once they have finished."""
    pending = list(reversed(jobs))
    lock = threading.Lock()
    failed: list[BaseException] = []

    def work() -> None:
        try:
            with connect() as conn:
                while not failed:
                    with lock:
                        if not pending:
                            return
                        job = pending.pop()
                    run(conn, job)
        except BaseException as exc:  # noqa: BLE001 — raised again in the caller's thread
            failed.append(exc)

    threads = [threading.Thread(target=work) for _ in range(min(connections, len(jobs)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]
