"""`casework demo [--host H] [--port P]`: load the demo organisation and cases, then serve them.

The demo signs its sessions with a random key kept in the instance folder, so signing in survives a
restart; the database (DATABASE_URL, by default SQLite in the instance folder) is brought to the current
schema first, and loading twice adds nothing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from casework.demo import DEMO_PASSWORD, ROLE_ACCOUNTS, DemoSummary, load_demo
from casework.demo.organisation import OTHER_ACCOUNTS, UNITS

SECRET_FILE = "demo-secret-key"


def demo_secret_key(instance_path: str) -> str:
    """The demo's signing key: read from the instance folder, or made once and kept there (owner-only)."""
    path = Path(instance_path) / SECRET_FILE
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def demo_app(instance_path: str) -> Flask:
    from casework import create_app

    return create_app({"DEMO": True, "SECRET_KEY": demo_secret_key(instance_path)})


def prepare(app: Flask) -> DemoSummary:
    """Create or upgrade the schema, then load whatever of the demo is missing."""
    from casework.extensions import db

    with app.app_context():
        upgrade(revision="heads")
        summary = load_demo(db.session, app.extensions["casework_engine"])
        db.session.remove()
        db.engine.dispose()  # the server's threads open their own connections
    return summary


def _unit_names() -> dict[str, str]:
    return {key: name for key, _parent, _kind, name, _attrs in UNITS}


def describe(summary: DemoSummary, url: str) -> str:
    names = _unit_names()
    lines = [f"casework demo — Bắc Ninh: {summary.cases_total} cases ({summary.cases_created} added now), "
             f"{summary.units_created} units added now.", "",
             f"Accounts (password: {DEMO_PASSWORD}):"]
    lines += [f"  {username:<22} {names[unit_key]}" for username, unit_key in ROLE_ACCOUNTS]
    lines += ["", "More accounts for the other units (same password):"]
    lines += [f"  {username:<22} {role} — {names[unit_key]}" for username, role, unit_key in OTHER_ACCOUNTS]
    lines += ["", f"Open {url}  (JSON API: {url}api/v1, sign in with POST {url}api/v1/session)"]
    return "\n".join(lines)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--load-only", is_flag=True, help="Load the demo data and exit without serving.")
def demo(host: str, port: int, load_only: bool) -> None:
    """Load the demo (a province, its people and cases in every state) and serve it."""
    app = demo_app(current_app.instance_path)
    summary = prepare(app)
    click.echo(describe(summary, f"http://{host}:{port}/"))
    if not load_only:
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


COMMANDS = [demo]
