"""Every request gets an id and leaves one JSON line and its figures.

The id is the proxy's ``X-Request-ID`` when it sent a sensible one (so the proxy's log and ours name the same
request), else a new one; either way the answer carries it back in ``X-Request-ID``. The log line names the
route as well as the path (no query string: a search may hold a person's name), the status, the time taken and
the account, when the request had already read it. With ``REQUEST_LOG`` on, everything logged on the app's
logger and casework's modules is a JSON line too, with the request id when there is a request (a failed
request's traceback among them), so one id finds a request's every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request

from casework.operations import metrics

HEADER = "X-Request-ID"
_SENSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_ID_KEY, _STARTED_KEY = "casework.request_id", "casework.request_started"
log = logging.getLogger("casework.requests")


def register(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
    if app.config.get("REQUEST_LOG"):
        _log_to_stderr(app)


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, the request id when there is a request, then either
    the request line's fields or the message, and the traceback of an exception as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name}
        if has_request_context():
            line["request_id"] = request_id()
        fields = getattr(record, "fields", None)
        line.update(fields if isinstance(fields, dict) else {"message": record.getMessage()})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _log_to_stderr(app: Flask) -> None:
    """JSON lines on stderr (journald, docker logs) for the app's logger and every casework module's (Flask
    logs a failed request's traceback on the app's logger: ``casework``), once per process however many apps."""
    root = logging.getLogger(app.name)
    if not any(isinstance(h.formatter, JsonLines) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def request_id() -> str:
    """This request's id (kept in the request's WSGI environ, which is the request's own however the app
    context is shared; made here if a request failed before ``start`` ran)."""
    if _ID_KEY not in request.environ:
        offered = request.headers.get(HEADER, "")
        request.environ[_ID_KEY] = offered if _SENSIBLE_ID.fullmatch(offered) else uuid.uuid4().hex
    return request.environ[_ID_KEY]


def start() -> None:
    request.environ[_STARTED_KEY] = time.perf_counter()
    request_id()


def finish(response):
    response.headers[HEADER] = request_id()
    seconds = time.perf_counter() - request.environ.get(_STARTED_KEY, time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "(no route)"  # never the raw path: unbounded labels
    metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    metrics.REQUEST_SECONDS.labels(request.method, route).observe(seconds)
    if log.isEnabledFor(logging.INFO):
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"fields": _line(response, route, seconds)})
    return response


def _line(response, route: str, seconds: float) -> dict:
    return {"request_id": request_id(), "method": request.method, "path": request.path, "route": route,
            "status": response.status_code, "duration_ms": round(seconds * 1000, 1), "remote_addr": request.remote_addr,
            "user_id": _user_id()}


def _user_id() -> int | None:
    """Who made the request, if the request read it: logging reads nothing. The key comes from the session's
    identity map, not the object: after the request's commit the person is expired, and reading ``id`` would
    reload them (a statement per request, just for the log line)."""
    user = g.get("api_user") or g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    state = sa.inspect(user, raiseerr=False)
    identity = state.identity if state is not None else None
    return identity[0] if identity else getattr(user, "id", None)
