"""The engine's clock during a demo build: set back to each step's day, so histories are dated as if lived."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.engine import LOCAL_TZ
from casework.models import Case, Document, Task

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class DemoClock:
    """The engine's clock during the build: set to each step's day, a few minutes later for each event."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def set_day(self, day: date) -> None:
        self.moment = datetime.combine(day, time(8, 30), LOCAL_TZ).astimezone(UTC)

    def tick(self) -> None:
        self.moment += timedelta(minutes=17)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


@contextmanager
def backdated_rows(session: Session, clock: DemoClock) -> Iterator[None]:
    """Rows the engine creates take their creation time from the database default (real time); in the demo
    they are created on the step's day, like the history that creates them."""

    def stamp(session, _context, _instances) -> None:
        for obj in session.new:
            if isinstance(obj, (Case, Task)):
                obj.created_at = clock()
            elif isinstance(obj, Document):
                obj.uploaded_at = clock()

    sa.event.listen(session, "before_flush", stamp)
    try:
        yield
    finally:
        sa.event.remove(session, "before_flush", stamp)
