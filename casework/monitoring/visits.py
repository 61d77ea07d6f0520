"""State visits derived from nothing but the event history: the reference the maintained table must equal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.engine.projection import entered_at
from casework.models import Case, Event, StateVisit
from casework.models.monitoring import visit_days


def visits_from_events(events: Iterable[Event], owning_cell_id: int) -> list[dict[str, Any]]:
    """One row per stay: each state-changing event ends the stay before it and starts the next."""
    rows: list[dict[str, Any]] = []
    for event in sorted(events, key=lambda e: e.seq):
        if event.from_state == event.to_state:
            continue
        if rows:
            last = rows[-1]
            last.update(left_seq=event.seq, left_at=event.occurred_at, next_state=event.to_state,
                        days=visit_days(last["entered_at"], event.occurred_at))
        rows.append({"owning_cell_id": owning_cell_id, "state": event.to_state, "entered_seq": event.seq,
                     "entered_at": entered_at(event.changes or {}, event.occurred_at), "left_seq": None,
                     "left_at": None, "next_state": None, "days": None})
    return rows


def rebuild_visits(session: Session) -> int:
    """Replace the table with what the history says (after a restore, or to prove the two agree)."""
    session.execute(sa.delete(StateVisit))
    count = 0
    for case in session.scalars(sa.select(Case)):
        rows = visits_from_events(case.events, case.owning_cell_id)
        for row in rows:
            session.add(StateVisit(case_id=case.id, **row))
        count += len(rows)
    session.commit()
    return count


def backfill_sql(dialect: str) -> str:
    """One INSERT … SELECT pairing each state-changing event with the next (for the migration that creates
    the table over an existing history)."""
    if dialect == "postgresql":
        days = "round((extract(epoch from (nxt_at - occurred_at)) / 86400)::numeric, 4)"
    else:
        days = "round(julianday(nxt_at) - julianday(occurred_at), 4)"
    return f"""
INSERT INTO state_visits (case_id, owning_cell_id, state, entered_seq, entered_at, left_seq, left_at, next_state,
                          days)
SELECT case_id, owning_cell_id, to_state, seq, occurred_at, nxt_seq, nxt_at, nxt_state, {days}
FROM (SELECT e.case_id, c.owning_cell_id, e.to_state, e.seq, e.occurred_at,
             lead(e.seq) OVER w AS nxt_seq, lead(e.occurred_at) OVER w AS nxt_at, lead(e.to_state) OVER w AS nxt_state
      FROM events e JOIN cases c ON c.id = e.case_id
      WHERE e.from_state IS NULL OR e.from_state <> e.to_state
      WINDOW w AS (PARTITION BY e.case_id ORDER BY e.seq)) AS changes
"""
