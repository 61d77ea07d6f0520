"""Monitoring for the organizing department: pipeline, step durations, bottlenecks, targets, forecast and
exports, scoped to the organizer's subtree. The query layer (``queries``, ``targets``, ``forecast``,
``exports``) knows nothing of Flask; ``routes`` is the thin face over it.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Keep visits and tallies with every step and flush, and attach the monitoring pages, with those of the
    app's workflows' packages (called by the app factory for every feature package)."""
    from casework.monitoring import upkeep
    from casework.monitoring.figures import known, registered
    from casework.monitoring.routes import bp

    engine = app.extensions.get("casework_engine")
    upkeep.install(engine)
    app.register_blueprint(bp)
    loaded = {wf.name for wf in known(engine).definitions}
    for package in registered():
        if package.pages is not None and package.workflow in loaded:
            app.register_blueprint(package.pages)
