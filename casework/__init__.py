"""casework: party-building casework as versioned workflows (admitting members, founding party organisations in
enterprises) for party cells, residential committees, grassroots committees and organizing departments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from casework import operations, request_text, security_headers
from casework.engine import Engine, Rules
from casework.extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


class MissingSecretKey(RuntimeError):
    """Raised at start-up when a real deployment has no SECRET_KEY."""


def create_app(config: dict[str, Any] | None = None, *, require_secret_key: bool = True) -> Flask:
    """Build the application. ``config`` overrides settings (tests, the demo); maintenance commands may
    run without a SECRET_KEY, the web server may not (outside demo and tests)."""
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates")
    app.config.from_object("config.Config")
    if config:
        app.config.from_mapping(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'casework.sqlite'}"
    _tune_postgresql(app)
    _check_secret_key(app, require_secret_key)
    _trust_proxies(app)
    app.json.ensure_ascii = False  # Vietnamese names as written, not \uXXXX escapes
    register_extensions(app)
    register_engine(app)
    operations.register(app)  # first: the request id and timing wrap everything registered after
    register_blueprints(app)
    register_commands(app)
    security_headers.register(app)
    request_text.register(app)
    return app


def check_serving_secret_key(app: Flask) -> None:
    """Refuse to serve pages and sessions signed with no key (the demo and the tests make their own)."""
    _check_secret_key(app, required=True)


def _check_secret_key(app: Flask, required: bool) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if required and not (app.testing or app.config.get("DEMO")):
        raise MissingSecretKey("SECRET_KEY is not set: set it in the environment before serving casework "
                               "(the demo and the tests make their own)")


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, the client's address (and scheme and host) come from the headers the
    proxies add; with 0 those headers are ignored, or a client could pick its own address (and so its
    own sign-in throttle)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    login_manager.user_loader(_load_user)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _load_user(user_id: str):
    """Session and remember cookies alike: only while the account is active and not signed out since."""
    from flask import current_app

    from casework.auth import user_for_id
    from casework.engine.delegation import load_acting

    user = user_for_id(db.session, user_id)
    # The roles they stand in for today (a colleague's delegation in force): scope, inbox and pages include them.
    return load_acting(db.session, user, current_app.extensions["casework_engine"].today()) if user else None


def _tune_postgresql(app: Flask) -> None:
    """PostgreSQL's JIT compiler off for this app's connections: a page's queries over a large province are
    estimated costly enough to be compiled, and compiling took longer (150+ ms) than running them."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".strip()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def _tune_sqlite(app: Flask) -> None:
    """Foreign keys on, and a wait instead of an immediate 'database is locked' when writers overlap."""
    import sqlalchemy as sa

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def register_engine(app: Flask) -> None:
    """One engine per process: definitions are loaded and validated once, at start. Its clock is the app's
    one source of "now" (a rehearsal day in demo and training mode: casework.rehearsal). Each workflow
    package's templates (its subject panel, its printed forms) join the app's."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    from casework import rehearsal
    from casework.engine.packages import PACKAGES

    rules = Rules.from_mapping(app.config.get("CASEWORK_RULES"))
    day = rehearsal.register(app)  # CASEWORK_TODAY: refused here outside demo and training mode
    clock = {"clock": day.clock()} if day is not None else {}
    engine = app.extensions["casework_engine"] = Engine.from_directory(app.config["WORKFLOWS_DIR"], rules, **clock)
    folders = [PACKAGES[name].templates for name in engine.workflows
               if name in PACKAGES and PACKAGES[name].templates is not None]
    app.jinja_loader = ChoiceLoader([app.jinja_loader, *(FileSystemLoader(folder) for folder in folders)])


def register_blueprints(app: Flask) -> None:
    from casework import monitoring, notifications, web
    from casework.api import bp as api_bp
    from casework.api.openapi import register_api
    from casework.ids import IdConverter

    app.url_map.converters["id"] = IdConverter  # every <id:…> in a route: see casework.ids
    register_api(app)
    csrf.exempt(api_bp)  # the API authenticates every request itself (session or bearer token)
    for feature in (web, monitoring, notifications):  # each feature package with pages registers itself
        feature.register(app)


def register_commands(app: Flask) -> None:
    from casework.cli import register

    register(app)
