"""Notifications: in-app notices (the bell) always, e-mail through an outbox when SMTP is configured.

Importing this package installs nothing Flask-related; ``register(app)`` adds the pages and JSON endpoints
and tells the engine to notify the holders of every new task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by ``create_app``: the listener for new tasks, the blueprints and the bell."""
    from casework.notifications import inbox, routes

    inbox.install(app.extensions["casework_engine"])
    routes.init_app(app)
