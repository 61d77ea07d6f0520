"""The pages: a face over the engine's service functions for every role, in Vietnamese and English."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Called by ``create_app``: languages, template helpers, then one blueprint per feature."""
    from casework.web import i18n, templating
    from casework.web.auth.routes import bp as auth_bp

    i18n.init_app(app)
    templating.init_app(app)
    app.register_blueprint(auth_bp)
    for blueprint in _feature_blueprints():
        app.register_blueprint(blueprint)


def _feature_blueprints() -> list:
    """The page features beyond sign-in, imported here so each module stays independent."""
    import importlib

    names = ("inbox", "cases", "referrals", "documents", "verification", "printing", "admin")
    blueprints = []
    for name in names:
        try:
            module = importlib.import_module(f"casework.web.{name}.routes")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"casework.web.{name}", f"casework.web.{name}.routes"):
                raise
            continue
        blueprints.append(module.bp)
    return blueprints
