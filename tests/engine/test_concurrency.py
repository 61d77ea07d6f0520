"""Two people acting on one case at the same moment: exactly one wins, the other is told the case changed,
and the history records one step. Real concurrent transactions need PostgreSQL (SQLite serialises writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.engine import Conflict, EngineError
from casework.engine.service import apply, start_case
from casework.models import Case, Event, User
from tests.conftest import IS_POSTGRES
from tests.walk import Walker, referral
from workflows.admission.models import Candidate

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="real concurrent transactions and row locks need "
                                "PostgreSQL; SQLite serialises writers, so there is no race to test")


def _race(db_engine, attempt: Callable[[Session], object], runners: int = 2) -> list[object]:
    """Run ``attempt`` in separate threads and sessions, released together by a barrier; the results or
    the errors raised, in no particular order."""
    barrier = threading.Barrier(runners)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        with Session(db_engine, expire_on_commit=False) as session:
            try:
                outcome = attempt(session, barrier)
            except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
                outcome = exc
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == runners, "a runner hung"
    return results


def _count(session, model, *where) -> int:
    count = session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    session.rollback()
    return count


def test_two_steps_on_one_version_one_wins(session, db_engine, engine, org):
    case_id = Walker(session, engine, org).case.id
    secretary_id, helper = org.users["cell_secretary"].id, org.members["cell"][0].id

    def accept(own: Session, barrier: threading.Barrier):
        case, user = own.get(Case, case_id), own.get(User, secretary_id)
        _ = case.tasks, case.candidate  # loaded before the race, as a request would have
        own.commit()
        barrier.wait()
        return apply(session=own, engine=engine, case=case, trigger="accept_referral", user=user,
                     data={"helper_ids": [helper], "resolution_date": "2026-11-16"}, expected_version=1)

    results = _race(db_engine, accept)
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, EngineError)]
    assert len(winners) == 1 and len(losers) == 1, [(r, r.reasons, repr(r.__cause__)) for r in results]
    assert isinstance(losers[0], Conflict) and losers[0].reasons
    assert _count(session, Event, Event.case_id == case_id) == 2  # refer, and one accept_referral
    session.expire_all()
    stored = session.get(Case, case_id)
    assert (stored.state, stored.version) == ("sympathiser", 2)


def test_two_referrals_of_one_person_open_one_case(session, db_engine, engine, org):
    data = referral(org)
    officer_id = org.users["union_officer"].id

    def refer_once(own: Session, barrier: threading.Barrier):
        user = own.get(User, officer_id)
        own.commit()
        barrier.wait()
        return start_case(workflow="admission", session=own, engine=engine, user=user, data=dict(data))

    results = _race(db_engine, refer_once)
    cases = [r for r in results if isinstance(r, Case)]
    refusals = [r for r in results if isinstance(r, EngineError)]
    assert len(cases) == 1 and len(refusals) == 1, results
    assert [r.code for r in refusals[0].reasons] == ["open_case_exists"]
    national_id = data["national_id"]
    assert _count(session, Case, Case.subject_key == national_id) == 1
    assert _count(session, Candidate, Candidate.national_id == national_id) == 1
    assert _count(session, Event) == 1


@pytest.mark.parametrize("round_", range(3))
def test_a_step_racing_an_ownership_correction_keeps_the_tallies_true(session, db_engine, engine, org, round_):
    """One person accepts a referral while another corrects the enterprise's ownership: whichever commits
    first, the pipeline tallies end equal to the history (the keys are read under a row lock)."""
    from casework.models import Unit
    from casework.monitoring import summaries

    case_id = Walker(session, engine, org).case.id
    secretary_id, helper, enterprise_id = org.users["cell_secretary"].id, org.members["cell"][0].id, org.enterprise.id

    def act(own: Session, barrier: threading.Barrier):
        case, user = own.get(Case, case_id), own.get(User, secretary_id)
        _ = case.tasks, case.candidate
        own.commit()
        barrier.wait()
        if threading.current_thread().name.endswith("0"):
            own.get(Unit, enterprise_id).ownership = "foreign_invested"
            own.commit()
            return "corrected"
        return apply(session=own, engine=engine, case=case, trigger="accept_referral", user=user,
                     data={"helper_ids": [helper], "resolution_date": "2026-11-16"}, expected_version=1)

    results = _race_named(db_engine, act)
    assert "corrected" in results and any(isinstance(r, Case) for r in results), results
    assert summaries.check(session.connection()) == []
    session.rollback()


def _race_named(db_engine, attempt: Callable[[Session, threading.Barrier], object]) -> list[object]:
    """``_race`` with two threads named ...-0 and ...-1, so each knows its part."""
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with Session(db_engine, expire_on_commit=False) as own:
            try:
                results.append(attempt(own, barrier))
            except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
                results.append(exc)

    threads = [threading.Thread(target=run, name=f"runner-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2, "a runner hung"
    return results


@pytest.mark.postgres_only
def test_sixteen_steps_on_one_version_one_wins_and_the_rest_are_told_the_fresh_version(session, db_engine, engine,
                                                                                        org):
    """Sixteen people submit the same step at once: the row lock makes fifteen of them wait for the first and
    then find its version, so each is refused as a conflict (never a database error) and one event is written."""
    from tests.conftest import PG_CONNECT_ARGS

    case_id = Walker(session, engine, org).case.id
    secretary_id, helper = org.users["cell_secretary"].id, org.members["cell"][0].id
    wide = sa.create_engine(db_engine.url, pool_size=20, connect_args=PG_CONNECT_ARGS)  # one connection each

    def accept(own: Session, barrier: threading.Barrier):
        case, user = own.get(Case, case_id), own.get(User, secretary_id)
        _ = case.tasks, case.candidate
        barrier.wait()  # still inside the transaction that read the case, as a request would be
        return apply(session=own, engine=engine, case=case, trigger="accept_referral", user=user,
                     data={"helper_ids": [helper], "resolution_date": "2026-11-16"}, expected_version=1)

    try:
        results = _race(wide, accept, runners=16)
    finally:
        wide.dispose()
    winners = [r for r in results if isinstance(r, Case)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 15, [repr(r) for r in results if not isinstance(r, Conflict)]
    assert all(c.reasons[0].params["current_version"] == 2 for c in conflicts), [c.reasons for c in conflicts]
    assert _count(session, Event, Event.case_id == case_id) == 2  # refer, and one accept_referral
