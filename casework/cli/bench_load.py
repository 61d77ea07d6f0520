"""`casework bench load`: the production server (``casework serve``'s gunicorn settings, N processes) on the
configured database, K clients signed in as generated accounts (``casework generate``), each page and API call in
turn for a bounded time, and the latency, throughput and SQL statements of each, beside ``/healthz``, which does no
work (the stack's own limit), and beside a signed-in page with nothing on it (``FRAME_PATH``): the frame every page
pays for (the session and the person read, the navigation with its counts, the base template), so a page's figures
can be read as the stack's share, the frame's and the page's own work.

The server runs ``bench_app()``: the application ``casework serve`` runs, plus a count of the SQL statements each
request ran, sent back in ``X-Casework-Statements``, and the empty page at ``FRAME_PATH``; a deployment's
application has neither.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import click
import sqlalchemy as sa
from flask import Flask, g, has_request_context
from flask.cli import with_appcontext

STATEMENTS_HEADER = "X-Casework-Statements"
BARE_PATH = "/healthz"  # alive: no database, no template
FRAME_PATH = "/bench/frame"  # signed in, the page frame, no content of its own (only in the bench's server)


# --------------------------------------------------------------------------------------------------
# The server side


def bench_app() -> Flask:
    """The served application (``casework.wsgi``'s), counting the statements of each request."""
    from casework import create_app
    from casework.extensions import db

    app = create_app()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", _count_statement)
    app.after_request(_report_statements)
    app.add_url_rule(FRAME_PATH, "bench_frame", _frame(app))
    return app


def _frame(app: Flask):
    """An empty page, signed in: what every page costs before its own queries and content. Its template is
    compiled here, once, as a page's own is (``render_template_string`` would compile it on every request)."""
    from flask import render_template
    from flask_login import login_required

    template = app.jinja_env.from_string('{% extends "base.html" %}{% block content %}{% endblock %}')
    return login_required(lambda: render_template(template))


def _count_statement(*_args) -> None:
    if has_request_context():
        g.bench_statements = g.get("bench_statements", 0) + 1


def _report_statements(response):
    response.headers[STATEMENTS_HEADER] = str(g.get("bench_statements", 0))
    return response


# --------------------------------------------------------------------------------------------------
# Who signs in, and what they open


@dataclass
class Person:
    """A generated account the clients sign in as, and the cases it may open."""

    username: str
    cases: list[int]


@dataclass
class Cast:
    secretaries: list[Person]  # inbox, case page, API inbox and API case
    organizers: list[Person]  # the dashboard


def cast(session, clients: int) -> Cast:
    """The cell secretaries holding the most open cases (one per client, repeated if there are fewer), each with
    up to 50 of its cells' cases, and the organizer of each one's commune for the dashboard."""
    from casework.models import Case, RoleAssignment, Unit, User

    busiest = session.execute(
        sa.select(User.username, Unit.id, Unit.path)
        .join(RoleAssignment, RoleAssignment.user_id == User.id).join(Unit, Unit.id == RoleAssignment.unit_id)
        .join(Case, Case.owning_cell_id == Unit.id)
        .where(RoleAssignment.role == "cell_secretary", Case.closed_on.is_(None))
        .group_by(User.username, Unit.id, Unit.path).order_by(sa.func.count().desc(), Unit.id).limit(clients)).all()
    if not busiest:
        raise click.ClickException("No cell secretary with open cases: fill the database with `casework generate` "
                                   "first.")
    secretaries, organizers = [], []
    for n in range(clients):
        username, cell_id, path = busiest[n % len(busiest)]
        cases = list(session.scalars(sa.select(Case.id).where(Case.owning_cell_id == cell_id)
                                     .order_by(Case.id.desc()).limit(50)))
        secretaries.append(Person(username, cases))
        ancestors = [int(part) for part in path.strip("/").split("/")]
        organizer = session.scalar(
            sa.select(User.username).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .join(Unit, Unit.id == RoleAssignment.unit_id)
            .where(RoleAssignment.role == "organizer", Unit.id.in_(ancestors))
            .order_by(sa.func.length(Unit.path).desc()).limit(1))
        organizers.append(Person(organizer, cases))
    return Cast(secretaries, organizers)


# --------------------------------------------------------------------------------------------------
# The clients


class Client:
    """One signed-in person over one HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                self.conn.close()  # a kept-alive connection the server closed: once more on a new one
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, dict(response.headers), content

    def sign_in(self, username: str, password: str) -> None:
        _, _, form = self.request("GET", "/sign-in")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', form)
        fields = {"username": username, "password": password}
        if token:
            fields["csrf_token"] = token.group(1).decode()
        status, _, _ = self.request("POST", "/sign-in", urlencode(fields),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise click.ClickException(f"{username} could not sign in (HTTP {status}): is the password the one the "
                                       f"database was generated with (--password)?")


@dataclass
class Endpoint:
    name: str
    who: str  # "secretary" or "organizer"
    path: str  # "{case}" is replaced by one of the person's cases
    timings: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0


ENDPOINTS = (
    ("/healthz (no work)", "secretary", BARE_PATH),
    ("signed-in empty page", "secretary", FRAME_PATH),
    ("inbox /", "secretary", "/"),
    ("case page", "secretary", "/cases/{case}"),
    ("API inbox /api/v1/tasks", "secretary", "/api/v1/tasks"),
    ("API case", "secretary", "/api/v1/cases/{case}"),
    ("dashboard /monitoring/", "organizer", "/monitoring/"),
)


def drive(endpoint: Endpoint, people: list[tuple[Client, Person]], seconds: float) -> None:
    """Every client requests the endpoint back to back for ``seconds``."""
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def run(client: Client, person: Person, offset: int) -> None:
        n = offset
        while time.perf_counter() < stop:
            path = endpoint.path.format(case=person.cases[n % len(person.cases)]) if person.cases else endpoint.path
            n += 1
            started = time.perf_counter()
            try:
                status, headers, _ = client.request("GET", path, headers={"Accept": "text/html,application/json"})
            except OSError:
                status, headers = 0, {}
            took = (time.perf_counter() - started) * 1000
            with lock:
                if status != 200:
                    endpoint.errors += 1
                    continue
                endpoint.timings.append(took)
                endpoint.statements.append(int(headers.get(STATEMENTS_HEADER, 0)))

    threads = [threading.Thread(target=run, args=(client, person, i * 7)) for i, (client, person) in enumerate(people)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    endpoint.seconds = time.perf_counter() - began


def rate(endpoint: Endpoint) -> float:
    return len(endpoint.timings) / endpoint.seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def table(endpoints: list[Endpoint]) -> list[str]:
    lines = [f"  {'endpoint':<26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
             f"{'statements':>10} {'errors':>6}"]
    for e in endpoints:
        if not e.timings:
            lines.append(f"  {e.name:<26} {0:>8} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>10} {e.errors:>6}")
            continue
        statements = statistics.median(e.statements)
        lines.append(f"  {e.name:<26} {len(e.timings):>8} {len(e.timings) / e.seconds:>8.1f} "
                     f"{percentile(e.timings, 50):>8.1f} {percentile(e.timings, 95):>8.1f} "
                     f"{percentile(e.timings, 99):>8.1f} {statements:>10g} {e.errors:>6}")
    return lines


# --------------------------------------------------------------------------------------------------
# The server's process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, processes: int, threads: int, port: int, folder: str,
                 log) -> subprocess.Popen:
    """gunicorn as ``casework serve`` starts it (its settings, its JSON request log, its metrics folder), with
    ``processes`` workers serving ``bench_app`` on the database; a throwaway secret key when none is configured
    (the bench's sessions end with it). What the server prints goes to ``log``."""
    from casework.cli.serve import gunicorn_argv

    env = {**os.environ, "DATABASE_URL": database_url, "PROMETHEUS_MULTIPROC_DIR": folder}
    env.setdefault("CASEWORK_REQUEST_LOG", "1")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    command = gunicorn_argv(bind=f"127.0.0.1:{port}", workers=processes, threads=threads, timeout=300,
                            graceful_timeout=30)
    command[-1] = "casework.cli.bench_load:bench_app()"
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(server: subprocess.Popen, port: int, log, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            said = log.read().decode(errors="replace")[-2000:]
            raise click.ClickException(f"the server stopped on start (exit {server.returncode}):\n{said}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", BARE_PATH)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise click.ClickException("the server did not answer in time")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@click.command("load")
@click.option("--processes", "-n", type=click.IntRange(min=1), default=4, show_default=True,
              help="gunicorn worker processes.")
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True,
              help="Threads per process (as casework serve's default).")
@click.option("--clients", "-k", type=click.IntRange(min=1), default=16, show_default=True,
              help="Concurrent clients, each signed in as a generated account.")
@click.option("--seconds", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="How long all the clients request each endpoint.")
@click.option("--password", envvar="CASEWORK_GENERATED_PASSWORD", default="casework", show_default=True,
              help="The generated accounts' password (or CASEWORK_GENERATED_PASSWORD).")
@with_appcontext
def load(processes: int, threads: int, clients: int, seconds: float, password: str) -> None:
    """Serve the configured database as casework serve does (N processes) and drive K clients over each endpoint
    in turn — /healthz (no work), a signed-in empty page (the frame every page pays for), the inbox, a case page,
    the API's inbox, an API case and the dashboard — for the given seconds each; print p50/p95/p99, throughput and
    SQL statements per request of each."""
    from casework.extensions import db
    from casework.models import Case

    people = cast(db.session, clients)
    loads = [os.getloadavg()[0]]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    database_url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as folder, tempfile.TemporaryFile() as log:
        server = start_server(database_url, processes, threads, port, folder, log)
        endpoints = serve_and_drive(server, port, log, people, password, seconds)
    click.echo(f"{db.engine.dialect.name}: {total:,} cases; gunicorn {processes} process(es) × {threads} thread(s), "
               f"{clients} client(s), {seconds:g} s per endpoint; load average {loads[0]:.2f} before")
    for line in table(endpoints):
        click.echo(line)
    bare, frame = endpoints[0], endpoints[1]
    for e in endpoints[2:4]:
        if e.timings and bare.timings and frame.timings:
            click.echo(f"  {e.name}: {rate(e) / rate(bare):.3f}× the throughput of /healthz, "
                       f"{rate(e) / rate(frame):.3f}× the signed-in empty page's")
    click.echo(f"  load average {os.getloadavg()[0]:.2f} after")


def serve_and_drive(server: subprocess.Popen, port: int, log, people: Cast, password: str,
                    seconds: float) -> list[Endpoint]:
    """Sign the clients in, then drive each endpoint in turn (after a second's warm-up); the server is stopped
    whatever happens."""
    signed_in = {"secretary": [], "organizer": []}
    try:
        wait_until_up(server, port, log)
        for who, group in (("secretary", people.secretaries), ("organizer", people.organizers)):
            for person in group:
                client = Client(port)
                signed_in[who].append((client, person))
                client.sign_in(person.username, password)
        endpoints = []
        for name, who, path in ENDPOINTS:
            drive(Endpoint(name, who, path), signed_in[who], min(1.0, seconds))  # warm the processes up
            endpoint = Endpoint(name, who, path)
            drive(endpoint, signed_in[who], seconds)
            endpoints.append(endpoint)
        return endpoints
    finally:
        for client, _ in signed_in["secretary"] + signed_in["organizer"]:
            client.conn.close()
        stop_server(server)


COMMAND = load
