"""The sign-in throttle under concurrent failures on PostgreSQL: two web processes failing for the same new
username at the same instant both count (the loser of the row's creation counts again), and neither fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import throttle
from casework.models import LoginThrottle
from casework.models.login_throttle import ANY_ADDRESS
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="real concurrent transactions and row locks need "
                                                        "PostgreSQL (TEST_DATABASE_URL)")

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def test_simultaneous_failures_for_a_new_username_all_count(session, db_engine):
    runners, rounds = 4, 5
    barrier = threading.Barrier(runners)
    errors: list[BaseException] = []
    limits = throttle.Limits(max_failures=1000, username_max_failures=1000)

    def fail() -> None:
        with Session(db_engine) as own:
            try:
                barrier.wait()
                for _ in range(rounds):
                    throttle.record_failure(own, "newcomer", "203.0.113.9", NOW, limits)
            except BaseException as exc:  # noqa: BLE001  (reported below, in the test's thread)
                errors.append(exc)

    threads = [threading.Thread(target=fail) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = dict(session.execute(sa.select(LoginThrottle.address, LoginThrottle.failures)).all())
    assert counts == {"203.0.113.9": runners * rounds, ANY_ADDRESS: runners * rounds}
