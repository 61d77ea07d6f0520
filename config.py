"""Configuration read from the environment.

Every threshold, period and authority of the procedure is configuration: the defaults live in
``casework.engine.rules.Rules`` and any of them can be overridden here with ``CASEWORK_RULES``, a JSON
object such as ``{"verification_reply_working_days": 15}``.
"""

import json
import os
from datetime import timedelta
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


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from exc


def _flag_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


class Config:
    """Settings for a real deployment; ``create_app`` fills the SQLite default when no URL is given."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WORKFLOWS_DIR = os.environ.get("CASEWORK_WORKFLOWS", str(PROJECT_ROOT / "workflows"))
    # The workflow a referral starts (POST /api/v1/cases, the referral pages) and the case filters list first.
    DEFAULT_WORKFLOW = os.environ.get("CASEWORK_DEFAULT_WORKFLOW", "admission")
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
    # production (the default), demo or training. A demo or training database may live on another day,
    # CASEWORK_TODAY=2027-02-01 or +30d (casework/rehearsal.py); production refuses to start with it set.
    CASEWORK_MODE = os.environ.get("CASEWORK_MODE", "production")
    CASEWORK_TODAY = os.environ.get("CASEWORK_TODAY", "")
    # Reverse proxies in front of the app: their X-Forwarded-For/-Proto/-Host are believed for this many
    # hops (werkzeug's ProxyFix). 0 ignores those headers, so a client cannot choose its own address.
    TRUSTED_PROXY_HOPS = _int_env("CASEWORK_TRUSTED_PROXY_HOPS", 0)
    # One JSON line per request on stderr (casework serve turns it on; see casework/operations/requests.py).
    REQUEST_LOG = _flag_env("CASEWORK_REQUEST_LOG")
    # Who may read /metrics: these addresses or networks, or a request bearing this token (casework/operations).
    METRICS_ALLOW = os.environ.get("CASEWORK_METRICS_ALLOW", "127.0.0.1, ::1")
    METRICS_TOKEN = os.environ.get("CASEWORK_METRICS_TOKEN", "")
    # Where `casework tick` leaves its latest run's figures for /metrics (default: the instance folder).
    CLOCK_STATUS_FILE = os.environ.get("CASEWORK_CLOCK_STATUS_FILE", "")
    # Cookies: not sent by cross-site requests, not readable by scripts, HTTPS-only when set.
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = _flag_env("CASEWORK_SECURE_COOKIES")
    REMEMBER_COOKIE_SECURE = _flag_env("CASEWORK_SECURE_COOKIES")
    REMEMBER_COOKIE_DURATION = timedelta(days=_int_env("CASEWORK_REMEMBER_DAYS", 30))
    # Sign-in throttle (casework/throttle.py): per username and client address, and per username from
    # every address together, with a lock that doubles up to the maximum.
    LOGIN_MAX_FAILURES = _int_env("CASEWORK_LOGIN_MAX_FAILURES", 5)
    LOGIN_WINDOW_MINUTES = _int_env("CASEWORK_LOGIN_WINDOW_MINUTES", 15)
    LOGIN_LOCK_MINUTES = _int_env("CASEWORK_LOGIN_LOCK_MINUTES", 15)
    LOGIN_USERNAME_MAX_FAILURES = _int_env("CASEWORK_LOGIN_USERNAME_MAX_FAILURES", 30)
    LOGIN_USERNAME_WINDOW_MINUTES = _int_env("CASEWORK_LOGIN_USERNAME_WINDOW_MINUTES", 60)
    LOGIN_USERNAME_LOCK_MINUTES = _int_env("CASEWORK_LOGIN_USERNAME_LOCK_MINUTES", 15)
    LOGIN_USERNAME_LOCK_MAX_MINUTES = _int_env("CASEWORK_LOGIN_USERNAME_LOCK_MAX_MINUTES", 24 * 60)
    # Bearer tokens expire after this many days unless `casework token create --expires-days` says otherwise.
    API_TOKEN_DAYS = _int_env("CASEWORK_API_TOKEN_DAYS", 90)


class TestConfig(Config):
    """Used by the test suite: ``TEST_DATABASE_URL`` chooses the database (SQLite in memory by default)."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
