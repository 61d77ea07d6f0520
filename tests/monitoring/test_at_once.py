"""Work spread over several connections at once (``casework.monitoring.at_once``): every job runs once, at most
as many connections as asked are open, and a failure stops the rest and reaches the caller."""

from __future__ import annotations

import contextlib
import threading

import pytest

from casework.monitoring.at_once import on_connections


class Opened:
    def __init__(self):
        self.lock = threading.Lock()
        self.open = self.most = 0
        self.done: list[tuple[int, int]] = []  # (connection, job)

    @contextlib.contextmanager
    def connect(self):
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
            number = self.open
        try:
            yield number
        finally:
            with self.lock:
                self.open -= 1


@pytest.mark.parametrize("jobs, connections", [(list(range(7)), 2), ([1], 2), (list(range(3)), 1), ([], 2)])
def test_every_job_runs_once_on_at_most_the_connections_asked(jobs, connections):
    opened = Opened()
    on_connections(opened.connect, jobs, lambda conn, job: opened.done.append((conn, job)), connections)
    assert sorted(job for _, job in opened.done) == jobs
    assert opened.most <= min(connections, len(jobs)) and opened.open == 0


def test_two_connections_work_at_the_same_time():
    opened, both = Opened(), threading.Barrier(2, timeout=10)
    on_connections(opened.connect, [0, 1], lambda conn, job: both.wait(), 2)  # one connection alone would time out
    assert opened.most == 2


def test_a_failure_stops_the_others_and_is_raised():
    opened, started = Opened(), []

    def run(conn, job):
        started.append(job)
        if job == 1:
            raise RuntimeError("index build failed")

    with pytest.raises(RuntimeError, match="index build failed"):
        on_connections(opened.connect, list(range(50)), run, 1)
    assert started == [0, 1]  # taken in order; nothing after the failure
    assert opened.open == 0
