"""Every request gets an id and leaves one JSON line and its figures.

The id is the proxy's ``X-Request-ID`` when it sent a sensible one (so the proxy's log and ours name the same
request), else a new one; either way the answer carries it back in ``X-Request-ID``. The log line names the
route as well as the path (no query string: a search may hold a person's name), the status, the time taken and
the account, when the request had already read it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

from casework.operations import metrics

HEADER = "X-Request-ID"
_SENSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_ID_KEY, _STARTED_KEY = "casework.request_id", "casework.request_started"
log = logging.getLogger("casework.requests")


def register(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
    if app.config.get("REQUEST_LOG"):
        _log_to_stderr()


def _log_to_stderr() -> None:
    """One JSON object per line on stderr (journald, docker logs), once per process however many apps."""
    if not any(getattr(h, "casework_json", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.casework_json = True
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


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
        log.info(json.dumps(_line(response, route, seconds), ensure_ascii=False))
    return response


def _line(response, route: str, seconds: float) -> dict:
    user = g.get("api_user") or g.get("_login_user")  # only if the request read it: logging reads nothing
    return {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "request_id": request_id(),
            "method": request.method, "path": request.path, "route": route, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1), "remote_addr": request.remote_addr,
            "user_id": getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None}
