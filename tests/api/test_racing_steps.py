"""Many people submit the same step at once through the app (several threads, one client each, as several web
processes would): one 200, every other answer a 409 that carries the version that won; never a 500."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import Event
from tests.conftest import IS_POSTGRES
from tests.walk import referral

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not IS_POSTGRES, reason="concurrent requests need PostgreSQL's row locks; the "
                                 "SQLite test database is one shared connection")]

RUNNERS = 8


def fire_together(requests: list) -> list:
    """Run each request in its own thread, released together; the responses in no particular order."""
    barrier = threading.Barrier(len(requests))
    responses, lock = [], threading.Lock()

    def run(request) -> None:
        barrier.wait()
        response = request()
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == len(requests), "a request hung"
    return responses


def test_racing_api_steps_answer_one_200_and_409s_with_the_fresh_version(api, web_org):
    case = api("union_officer").post("/api/v1/cases", json=referral(web_org)).get_json()
    body = {"expected_version": case["version"], "helper_ids": [web_org.members["cell"][0].id],
            "resolution_date": "2026-11-16"}
    clients = [api("cell_secretary") for _ in range(RUNNERS)]
    url = f"/api/v1/cases/{case['id']}/actions/accept_referral"
    responses = fire_together([lambda c=c: c.post(url, json=body) for c in clients])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RUNNERS - 1), [r.get_json() for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.get_json()["reasons"][0]["params"]["current_version"] == 2
    count = sa.select(sa.func.count()).select_from(Event).where(Event.case_id == case["id"])
    assert db.session.scalar(count) == 2
