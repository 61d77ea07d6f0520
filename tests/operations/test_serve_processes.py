"""The production server as deployed: `casework serve` with 2 worker processes on a PostgreSQL database of its own
(migrated by `casework init-db`), driven over HTTP from threads.

It is alive and ready; people sign in (the session cookie works across processes); the same step sent at once
by several clients is taken exactly once, every other answer a 409; /metrics adds up the processes' figures;
readiness goes to 503 while the database's schema is behind the code's and back when it is at head; a HUP
restarts the workers and the server keeps answering; every request left one JSON line with its request id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from tests.conftest import DATABASE_URL, IS_POSTGRES, START_DAY
from tests.factories import build_org
from tests.walk import referral

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not IS_POSTGRES, reason="several processes on one database need PostgreSQL")]

CLIENTS = 6
CASEWORK = str(Path(sys.executable).parent / "casework")


class Client:
    """One browser-like client: its own cookie jar, JSON in and out."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        status, _headers, raw = self.call(method, path, body)
        return status, json.loads(raw)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def database() -> str:
    """A database beside the test one, at the migrations' head, holding the test organisation."""
    url = sa.make_url(DATABASE_URL)
    served = url.set(database=f"{url.database}_serve")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{served.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{served.database}"'))
    text_url = served.render_as_string(hide_password=False)
    subprocess.run([CASEWORK, "init-db"], env={**os.environ, "DATABASE_URL": text_url}, check=True,
                   capture_output=True, timeout=120)
    yield text_url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{served.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def org(database):
    db_engine = sa.create_engine(database)
    with Session(db_engine, expire_on_commit=False) as session:
        org = build_org(session)
        session.commit()
    db_engine.dispose()
    return org


@pytest.fixture(scope="module")
def server(database, org, tmp_path_factory):
    """`casework serve --workers 2` on a free port; its stderr (gunicorn's lines and ours) goes to a file."""
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database, "SECRET_KEY": "s" * 40,
           "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"), "CASEWORK_BIND": f"127.0.0.1:{port}",
           # the tests' day, not the calendar's: the cases start on the version in effect then, whenever this runs
           "CASEWORK_MODE": "training", "CASEWORK_TODAY": START_DAY.isoformat()}
    log = folder / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([CASEWORK, "serve", "--workers", "2", "--threads", "4", "--graceful-timeout", "5"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: Client(base).call("GET", "/healthz")[0] == 200, process, log)
        yield base, process, log
    finally:
        process.terminate()  # SIGTERM: gunicorn's graceful stop
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(ready, process, log: Path, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server did not answer within {seconds} s:\n{log.read_text()}")


def _fire_together(calls: list) -> list:
    barrier = threading.Barrier(len(calls))
    answers, lock = [], threading.Lock()

    def run(call) -> None:
        barrier.wait()
        answer = call()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == len(calls), "a request hung"
    return answers


def _metrics(base: str) -> dict[tuple[str, tuple], float]:
    status, _headers, raw = Client(base).call("GET", "/metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(raw.decode()) for s in family.samples}


def test_two_processes_serve_one_site(server, org, database):
    base, process, log = server
    status, headers, _ = Client(base).call("GET", "/healthz", headers={"X-Request-ID": "probe-1"})
    assert status == 200 and headers["X-Request-ID"] == "probe-1"
    assert Client(base).json("GET", "/readyz") == (200, {"ready": True, "schema": [_head()]})

    officer = Client(base)
    assert officer.json("POST", "/api/v1/session", {"username": "union_officer", "password": "secret"})[0] == 200
    status, case = officer.json("POST", "/api/v1/cases", referral(org))
    assert status == 201 and case["opened_on"] == START_DAY.isoformat(), case

    secretaries = [Client(base) for _ in range(CLIENTS)]
    for client in secretaries:
        assert client.json("POST", "/api/v1/session", {"username": "cell_secretary", "password": "secret"})[0] == 200
    body = {"expected_version": case["version"], "helper_ids": [org.members["cell"][0].id],
            "resolution_date": case["opened_on"]}
    url = f"/api/v1/cases/{case['id']}/actions/accept_referral"
    answers = _fire_together([lambda c=c: c.json("POST", url, body) for c in secretaries])
    assert sorted(status for status, _ in answers) == [200] + [409] * (CLIENTS - 1), answers
    assert all(body["reasons"][0]["code"] == "stale_version" for status, body in answers if status == 409)

    figures = _metrics(base)  # whichever process answers, the figures are both processes' together
    steps = ("casework_steps_total", (("trigger", "accept_referral"), ("workflow", "admission")))
    refused = ("casework_step_refusals_total", (("code", "stale_version"), ("workflow", "admission")))
    assert figures[steps] == 1 and figures[refused] == CLIENTS - 1
    assert figures[("casework_steps_total", (("trigger", "refer"), ("workflow", "admission")))] == 1
    assert ("casework_mail_outbox_depth", ()) in figures

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["request_id"] == "probe-1" and line["route"] == "/healthz" for line in lines)
    assert sum(1 for line in lines if line["path"] == url and line["status"] == 409) == CLIENTS - 1


def test_not_ready_while_the_schema_is_behind_the_code(server, database):
    base, _process, _log = server
    from alembic.script import ScriptDirectory

    from casework import MIGRATIONS_DIR

    previous = ScriptDirectory(MIGRATIONS_DIR).get_revision(_head()).down_revision
    db_engine = sa.create_engine(database)
    try:
        with db_engine.begin() as conn:  # as a database is between its old and new code's migrations
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": previous})
        status, body = Client(base).json("GET", "/readyz")
        assert status == 503 and body["reason"] == "schema_behind" and previous in body["detail"]
        assert Client(base).call("GET", "/healthz")[0] == 200  # alive all the same: nothing to restart
    finally:
        with db_engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": _head()})
        db_engine.dispose()
    assert Client(base).json("GET", "/readyz")[0] == 200


def test_a_hup_restarts_the_workers_and_the_site_keeps_answering(server):
    base, process, log = server
    booted = log.read_text().count("Booting worker")
    process.send_signal(signal.SIGHUP)
    _wait_for(lambda: log.read_text().count("Booting worker") >= booted + 2, process, log)
    _wait_for(lambda: Client(base).call("GET", "/readyz")[0] == 200, process, log)
    assert process.poll() is None


def _head() -> str:
    from casework import MIGRATIONS_DIR
    from casework.operations.health import code_heads

    (head,) = code_heads(MIGRATIONS_DIR)
    return head
