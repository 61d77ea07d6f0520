"""Configuration read from the environment.

Every threshold, period and authority of the procedure is configuration: the defaults live in
``casework.engine.rules.Rules`` and any of them can be overridden here with ``CASEWORK_RULES``, a JSON
object such as ``{"verification_reply_working_days": 15}``.
"""

import json
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def _json_env(name: str) -> dict:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise RuntimeError(f"{name} must be a JSON object")
    return value


class Config:
    """Settings for a real deployment; ``create_app`` fills the SQLite default when no URL is given."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WORKFLOWS_DIR = os.environ.get("CASEWORK_WORKFLOWS", str(PROJECT_ROOT / "workflows"))
    CASEWORK_RULES = _json_env("CASEWORK_RULES")
    # Uploaded documents are kept in the database so that web processes stay stateless.
    MAX_CONTENT_LENGTH = int(os.environ.get("CASEWORK_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
    # One attached file, decoded (its base64 form in a JSON body is a third larger).
    MAX_DOCUMENT_BYTES = int(os.environ.get("CASEWORK_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024))
    # E-mail for notifications (sent by `casework tick`); none when SMTP_HOST is empty.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "casework@localhost")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "") in ("1", "true", "yes")
    DEMO = False


class TestConfig(Config):
    """Used by the test suite: ``TEST_DATABASE_URL`` chooses the database (SQLite in memory by default)."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
