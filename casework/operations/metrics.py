"""Prometheus figures: requests, steps and refusals, the clock's latest run and the mail outbox.

The metric objects are made once per process (prometheus_client's registry refuses a second copy). Under
``casework serve`` every worker writes to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them together,
so the figures are the server's whatever worker answers; without that variable (the development server, the
tests) they are this process's own. Set it for the web server only: any process started with it leaves files
there. The mail outbox and the clock's latest run are read when scraped (the database, the clock's file).

Steps are counted when their transaction commits (a step a later flush undid was never taken); refusals when
the engine refuses, by each reason's code. Both come through the engine's hooks, not from the step itself.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as exposition
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session

from casework.engine import hooks
from casework.engine.errors import EngineError

log = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # prometheus_client opens this process's files there, unasked
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LISTENER_NAME = "metrics"
_PENDING_STEPS = "casework_metrics_steps"  # Session.info key: steps taken in the open transaction

REQUESTS = Counter("casework_http_requests", "HTTP requests answered, by method, route and status",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram("casework_http_request_duration_seconds", "Time to answer a request, by method and route",
                            ["method", "route"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
STEPS = Counter("casework_steps", "Steps committed, by workflow and trigger (the clock's steps too)",
                ["workflow", "trigger"])
REFUSALS = Counter("casework_step_refusals", "Steps and starts the engine refused, by workflow and reason code",
                   ["workflow", "code"])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- steps and refusals, through the engine's hooks ---------------------------------------------------------


def install() -> None:
    """Subscribe to the engine's hooks and to commits (idempotent: the same names replace themselves)."""
    hooks.on_step_taken(LISTENER_NAME)(_step_taken)
    hooks.on_step_refused(LISTENER_NAME)(_step_refused)
    if not sa.event.contains(Session, "after_commit", _count_committed_steps):
        sa.event.listen(Session, "after_commit", _count_committed_steps)
        sa.event.listen(Session, "after_soft_rollback", _forget_steps)


def _step_taken(session: Session, step) -> None:
    session.info.setdefault(_PENDING_STEPS, []).append((step.case.workflow, step.event.trigger))


def _count_committed_steps(session: Session) -> None:
    for workflow, trigger in session.info.pop(_PENDING_STEPS, ()):
        STEPS.labels(workflow, trigger).inc()


def _forget_steps(session: Session, previous_transaction) -> None:
    """The transaction's steps were undone (a savepoint's end leaves the outer transaction's to its commit)."""
    if not previous_transaction.nested:
        session.info.pop(_PENDING_STEPS, None)


def _step_refused(workflow: str, error: EngineError) -> None:
    codes = [reason.code for reason in error.reasons] or [_code_of(error)]
    for code in dict.fromkeys(codes):
        REFUSALS.labels(workflow, code).inc()


def _code_of(error: EngineError) -> str:
    """A refusal without reasons (an unknown step: NotFound) is counted under its kind."""
    name = type(error).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


# --- the clock -----------------------------------------------------------------------------------------------
# `casework tick` is a process of its own that ends (cron, a systemd timer): it leaves what its last run did in a
# small JSON file, replaced whole each time, which a scrape reads. (Prometheus's multi-process files would leave
# a set per run, one run a minute, for ever.)


def record_tick(path: str | Path, *, seconds: float, backlog: int, skipped_locked: int) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = target.with_name(f".{target.name}.{os.getpid()}")
    written.write_text(json.dumps({"finished_at": time.time(), "duration_seconds": round(seconds, 3),
                                   "cases_due": backlog, "cases_skipped_locked": skipped_locked}))
    written.replace(target)  # atomic: a scrape reads the previous run or this one, never half of one


class LastTick:
    """The latest clock run's figures, from the file it left (nothing before the first run)."""

    FIGURES = (("casework_tick_last_finished_timestamp_seconds", "finished_at", "When the latest clock run ended"),
               ("casework_tick_last_duration_seconds", "duration_seconds", "Time the latest clock run took"),
               ("casework_tick_backlog_cases", "cases_due", "Cases the latest clock run found needing the clock"),
               ("casework_tick_last_skipped_locked_cases", "cases_skipped_locked",
                "Cases the latest clock run left because a step held them"))

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            figures = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        for name, key, text in self.FIGURES:
            if isinstance(figures.get(key), int | float):
                yield GaugeMetricFamily(name, text, value=figures[key])


# --- a scrape ------------------------------------------------------------------------------------------------


class OutboxDepth:
    """E-mails waiting to be sent (neither sent nor given up), counted when scraped: the outbox is in the
    database, shared by every process, so no process's own counter could say it."""

    def __init__(self, session: Session):
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from casework.models import OutboxMail

        waiting = (sa.select(sa.func.count()).select_from(OutboxMail)
                   .where(OutboxMail.sent_at.is_(None), OutboxMail.given_up_at.is_(None)))
        try:
            depth = self.session.scalar(waiting)
        except sa.exc.SQLAlchemyError:  # the database is down: say so through /readyz, still serve the rest
            self.session.rollback()
            log.warning("metrics: the mail outbox could not be counted", exc_info=True)
            return
        yield GaugeMetricFamily("casework_mail_outbox_depth", "E-mails waiting to be sent (not sent, not given up)",
                                value=depth)


def scrape(session: Session, clock_status_file: str | Path) -> tuple[bytes, str]:
    """The text Prometheus reads: every process's figures (or this one's), then the outbox and the clock's."""
    own = CollectorRegistry()
    own.register(OutboxDepth(session))
    own.register(LastTick(clock_status_file))
    if multiprocess_dir():
        shared = CollectorRegistry()
        MultiProcessCollector(shared)
        return exposition(shared) + exposition(own), CONTENT_TYPE_LATEST
    return exposition(REGISTRY) + exposition(own), CONTENT_TYPE_LATEST


# --- who may scrape ------------------------------------------------------------------------------------------


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``"127.0.0.1, ::1, 10.0.0.0/8"`` → networks; a bad entry stops the app at start with its name."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise RuntimeError(f"CASEWORK_METRICS_ALLOW: {entry!r} is not an address or network ({exc})") from exc
    return tuple(networks)


def address_allowed(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)
