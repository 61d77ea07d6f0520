"""`casework serve` checks what serving needs, then becomes gunicorn with the settings from the environment or its
options; `casework run` says it is the development server."""

from __future__ import annotations

import os
import sys

import flask.cli
import pytest
from click.testing import CliRunner

import config
from casework.cli import main, serve

REAL_KEY = "k" * 32


@pytest.fixture
def becomes(monkeypatch, tmp_path):
    """Stand-in for os.execv: records the command the process would have become, and its environment."""
    calls = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append((path, argv, dict(os.environ))))
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'serve.sqlite'}")
    for name in ("CASEWORK_BIND", "CASEWORK_WORKERS", "CASEWORK_THREADS", "CASEWORK_TIMEOUT",
                 "CASEWORK_GRACEFUL_TIMEOUT", "PROMETHEUS_MULTIPROC_DIR", "CASEWORK_REQUEST_LOG"):
        # Set, then removed: both recorded, so what serve sets for its workers leaves with the test (a
        # PROMETHEUS_MULTIPROC_DIR left behind would turn the later tests' metrics to files).
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return calls


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.mark.parametrize(("key", "says"), [(None, "SECRET_KEY is not set"), ("change-me", "9 characters long"),
                                           ("k" * 31, "31 characters long")])
def test_serve_refuses_without_a_real_secret_key(monkeypatch, becomes, key, says):
    monkeypatch.setattr(config.Config, "SECRET_KEY", key)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and says in result.output
    assert becomes == []


def test_serve_becomes_gunicorn_with_settings_from_the_environment(monkeypatch, becomes, tmp_path):
    monkeypatch.setattr(config.Config, "SECRET_KEY", REAL_KEY)
    monkeypatch.setenv("CASEWORK_WORKERS", "3")
    monkeypatch.setenv("CASEWORK_THREADS", "8")
    monkeypatch.setenv("CASEWORK_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "figures"))
    result = CliRunner().invoke(main, ["serve", "--threads", "2"])
    assert result.exit_code == 0, result.output
    [(path, argv, environ)] = becomes
    assert path == sys.executable and argv[1:3] == ["-m", "gunicorn"] and argv[-1] == "casework.wsgi:application"
    assert option(argv, "--workers") == "3" and option(argv, "--bind") == "0.0.0.0:9000"
    assert option(argv, "--threads") == "2"  # the option wins over CASEWORK_THREADS
    assert option(argv, "--worker-class") == "gthread" and "--no-control-socket" in argv
    assert option(argv, "--config").endswith("casework/gunicorn_conf.py")
    assert environ["CASEWORK_REQUEST_LOG"] == "1" and (tmp_path / "figures").is_dir()


def test_serve_defaults(monkeypatch, becomes):
    monkeypatch.setattr(config.Config, "SECRET_KEY", REAL_KEY)
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    [(_, argv, environ)] = becomes
    assert option(argv, "--bind") == "127.0.0.1:8000" and int(option(argv, "--workers")) >= 2
    assert environ["PROMETHEUS_MULTIPROC_DIR"].endswith("metrics")


def test_a_bad_worker_count_is_refused(monkeypatch, becomes):
    monkeypatch.setattr(config.Config, "SECRET_KEY", REAL_KEY)
    monkeypatch.setenv("CASEWORK_WORKERS", "0")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "--workers" in result.output and "0 is not in the range" in result.output
    assert becomes == []


def test_run_says_it_is_the_development_server(monkeypatch, tmp_path):
    monkeypatch.setattr(flask.cli, "run_simple", lambda *args, **kw: None)
    monkeypatch.setattr(config.Config, "SECRET_KEY", "a-real-secret")
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'run.sqlite'}")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 0 and "development server" in result.output and "casework serve" in result.output
