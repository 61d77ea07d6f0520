"""What running casework in production needs beside its pages: liveness and readiness probes, a request id
and one JSON log line per request, and Prometheus figures at ``/metrics``.

``/metrics`` is answered to the addresses in ``CASEWORK_METRICS_ALLOW`` (default: this machine only) or to a
request bearing ``Authorization: Bearer <CASEWORK_METRICS_TOKEN>`` when a token is configured; anyone else
gets a 403. Behind a reverse proxy the address is the client's only when ``CASEWORK_TRUSTED_PROXY_HOPS`` says
how many proxies to believe; until then a request that came through a proxy (it carries X-Forwarded-For) is
never let in by address, or the proxy's own loopback address would open the figures to the world.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from casework.extensions import csrf, db
from casework.operations import health, metrics, requests

bp = Blueprint("operations", __name__)


def register(app: Flask) -> None:
    """Called by ``create_app`` before the other features, so the request id is there for everything after."""
    requests.register(app)
    metrics.install()
    app.extensions["casework_metrics_networks"] = metrics.parse_networks(app.config.get("METRICS_ALLOW", ""))
    csrf.exempt(bp)
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():
    """The process answers; nothing else is asked."""
    return jsonify({"alive": True})


@bp.get("/readyz")
def readyz():
    from casework import MIGRATIONS_DIR

    engine = current_app.extensions.get("casework_engine")
    state = health.readiness(db.session, MIGRATIONS_DIR, list(engine.workflows) if engine else [])
    return jsonify(state.as_dict()), 200 if state.ready else 503


@bp.get("/metrics")
def scrape():
    if not _may_scrape():
        return Response("metrics are served to the configured addresses or token only (see the README)\n",
                        status=403, mimetype="text/plain")
    body, content_type = metrics.scrape(db.session, clock_status_file(current_app))
    return Response(body, content_type=content_type)


def clock_status_file(app: Flask) -> str:
    """Where `casework tick` leaves its latest run's figures: CASEWORK_CLOCK_STATUS_FILE, or the instance folder
    (shared by the web and the clock of one installation)."""
    return app.config.get("CLOCK_STATUS_FILE") or os.path.join(app.instance_path, "clock-last-run.json")


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    through_untrusted_proxy = "X-Forwarded-For" in request.headers and not current_app.config.get("TRUSTED_PROXY_HOPS")
    return not through_untrusted_proxy and metrics.address_allowed(
        request.remote_addr, current_app.extensions["casework_metrics_networks"])
