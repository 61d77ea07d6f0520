"""The JSON API under /api/v1: a thin face over the engine's service functions."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from casework.api import errors, routes  # noqa: E402,F401  (registers the views on the blueprint)
