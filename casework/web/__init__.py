"""The pages: a face over the engine's service functions for every role, in Vietnamese and English."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Called by ``create_app``: languages, template helpers, then one blueprint per feature."""
    from casework.web import errors, i18n, templating
    from casework.web.access_log.routes import bp as access_log_bp
    from casework.web.admin.routes import bp as admin_bp
    from casework.web.auth.routes import bp as auth_bp
    from casework.web.cases.routes import bp as cases_bp
    from casework.web.documents.routes import bp as documents_bp
    from casework.web.inbox.routes import bp as inbox_bp
    from casework.web.printing.routes import bp as printing_bp
    from casework.web.referrals.routes import bp as referrals_bp
    from casework.web.search.routes import bp as search_bp
    from casework.web.verification.routes import bp as verification_bp

    i18n.init_app(app)
    templating.init_app(app)
    _import_package_forms(app)
    for blueprint in (auth_bp, inbox_bp, cases_bp, documents_bp, referrals_bp, verification_bp, printing_bp,
                      admin_bp, access_log_bp, search_bp):
        app.register_blueprint(blueprint)
    errors.register(app)  # the app's own pages for every HTTP error outside the API


def _import_package_forms(app: Flask) -> None:
    """Each loaded workflow package's ``forms`` module registers the widgets of its own field types
    (``casework.web.stepforms.widget``); a package without one uses the engine's field types only."""
    import importlib
    import importlib.util

    from casework.engine.packages import PACKAGE_ROOT

    for name in app.extensions["casework_engine"].workflows:
        module = f"{PACKAGE_ROOT}.{name}.forms"
        if importlib.util.find_spec(f"{PACKAGE_ROOT}.{name}") is not None and importlib.util.find_spec(module):
            importlib.import_module(module)
