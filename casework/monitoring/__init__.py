"""Monitoring for the organizing department: pipeline, step durations, bottlenecks, targets, forecast and
exports, scoped to the organizer's subtree. The query layer (``queries``, ``targets``, ``forecast``,
``exports``) knows nothing of Flask; ``routes`` is the thin face over it.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Keep visits and tallies with every step and flush, and attach the monitoring pages (called by the app
    factory for every feature package)."""
    from casework.monitoring import upkeep
    from casework.monitoring.routes import bp

    upkeep.install(app.extensions.get("casework_engine"))
    app.register_blueprint(bp)
