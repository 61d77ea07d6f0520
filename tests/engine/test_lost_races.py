"""A race the database catches inside a step, at whatever flush it surfaces, is a Conflict with the version that
won, and nothing of the step is written. (The real races are in test_concurrency.py, on PostgreSQL.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import Conflict, service, step
from casework.models import Event
from tests.walk import Walker


def _accept(walker: Walker, org):
    return walker.act("cell_secretary", "accept_referral",
                      {"helper_ids": [org.members["cell"][0].id], "resolution_date": "2026-11-16"})


def test_a_duplicate_event_number_at_an_early_flush_is_a_conflict(session, engine, org, monkeypatch):
    walker = Walker(session, engine, org)
    case_id = walker.case.id
    checks = step.check_guards

    def a_rival_event_then_guards(ctx):
        # As if another process had written event 2 between our lock and our read: the guards' queries
        # flush it, and the unique key on (case, seq) refuses it there, long before the commit.
        session.add(Event(case_id=case_id, seq=1, trigger="rival", from_state="referred", to_state="referred",
                          data={}, changes={}, flags=[]))
        session.flush()
        return checks(ctx)

    monkeypatch.setattr(step, "check_guards", a_rival_event_then_guards)
    with pytest.raises(Conflict) as refused:
        _accept(walker, org)
    assert refused.value.status == 409
    assert refused.value.reasons[0].params == {"expected_version": 1, "current_version": 1}
    monkeypatch.undo()
    assert session.scalars(sa.select(Event.trigger).where(Event.case_id == case_id)).all() == ["refer"]
    assert _accept(walker, org).version == 2  # and the next try goes through


def test_a_stale_version_says_which_version_is_current(session, engine, org):
    walker = Walker(session, engine, org)
    _accept(walker, org)
    with pytest.raises(Conflict) as refused:
        service.apply(session=session, engine=engine, case=walker.case, trigger="withdraw",
                      user=org.users["cell_secretary"], data={"reason": "x"}, expected_version=1)
    assert refused.value.reasons[0].code == "stale_version"
    assert refused.value.reasons[0].params == {"expected_version": 1, "current_version": 2}
