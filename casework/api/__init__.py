"""The JSON API under /api/v1: a thin face over the engine's service functions."""

from flask_smorest import Blueprint

# flask-smorest's Blueprint: a Flask blueprint whose views also write the OpenAPI document (casework.api.openapi)
bp = Blueprint("api", __name__, url_prefix="/api/v1", description="The JSON API")

from casework.api import claims, errors, routes  # noqa: E402,F401  (registers the views on the blueprint)
