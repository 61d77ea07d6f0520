"""Assertions shared by the engine tests: a refusal must explain itself and write nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from casework.engine import EngineError, Invalid
from casework.models import Case, Event, Task


def stored(session, case_id: int) -> tuple[int, int, int, str]:
    """What the database holds for a case (events, version, tasks, state), read past the identity map."""
    events = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case_id))
    tasks = session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.case_id == case_id))
    version, state = session.execute(sa.select(Case.version, Case.state).where(Case.id == case_id)).one()
    session.rollback()  # end the read transaction so later steps start fresh
    return events, version, tasks, state


def assert_readable(reasons) -> None:
    """Every reason has a stable code and a Vietnamese and an English sentence, which differ."""
    assert reasons, "a refusal must say why"
    for reason in reasons:
        assert reason.code
        assert reason.vi.strip() and reason.en.strip()
        assert reason.vi != reason.en, reason


def assert_refused(session, case_id: int, attempt: Callable[[], object], code: str,
                   error: type[EngineError] = Invalid) -> EngineError:
    """``attempt`` raises ``error`` with a reason ``code``, readable reasons, and leaves the case untouched."""
    before = stored(session, case_id)
    with pytest.raises(error) as info:
        attempt()
    codes = [r.code for r in info.value.reasons]
    assert code in codes, codes
    assert_readable(info.value.reasons)
    assert stored(session, case_id) == before
    return info.value


def codes_of(action) -> list[str]:
    return [r.code for r in action.reasons]
