"""`casework serve`: the production server (gunicorn), several processes of several threads each.

The command checks what serving needs first, in this process: a real SECRET_KEY, workflow definitions that
load, the database configured. Then it becomes gunicorn (exec: the same process id, so systemd's
``ExecReload=kill -HUP $MAINPID`` and a container's signals reach gunicorn's master). gunicorn's master imports
no casework code; each worker builds the app after the fork (``casework.wsgi``), so a HUP starts workers on the
code and definitions now installed and lets the old ones finish their requests (a graceful restart).

Settings come from the environment (``CASEWORK_BIND``, ``CASEWORK_WORKERS``, ``CASEWORK_THREADS``,
``CASEWORK_TIMEOUT``, ``CASEWORK_GRACEFUL_TIMEOUT``); an option on the command line wins over its variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo

GUNICORN_SETTINGS = Path(__file__).resolve().parent.parent / "gunicorn_conf.py"
# A key shorter than this is a word someone typed, not a secret (make one: see the README).
MIN_SECRET_KEY_LENGTH = 32


def secret_key_problem(key: str | None) -> str | None:
    """Why this SECRET_KEY must not sign a production site's sessions, or None when it may."""
    if not key:
        return "SECRET_KEY is not set: set it in the environment before serving casework"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"SECRET_KEY is {len(key)} characters long; casework serve wants at least {MIN_SECRET_KEY_LENGTH} "
                "random ones (python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return None


def default_workers() -> int:
    return max(2, os.cpu_count() or 1)


@click.command("serve")
@click.option("--bind", envvar="CASEWORK_BIND", default="127.0.0.1:8000", show_default=True,
              help="Address to listen on: HOST:PORT or unix:PATH (env CASEWORK_BIND).")
@click.option("--workers", envvar="CASEWORK_WORKERS", type=click.IntRange(min=1), default=default_workers,
              show_default="the machine's cores, at least 2", help="Processes (env CASEWORK_WORKERS).")
@click.option("--threads", envvar="CASEWORK_THREADS", type=click.IntRange(min=1), default=4, show_default=True,
              help="Threads per process (env CASEWORK_THREADS).")
@click.option("--timeout", envvar="CASEWORK_TIMEOUT", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds a request may take before its worker is restarted (env CASEWORK_TIMEOUT).")
@click.option("--graceful-timeout", envvar="CASEWORK_GRACEFUL_TIMEOUT", type=click.IntRange(min=1), default=30,
              show_default=True, help="Seconds old workers get to finish on a restart or stop "
              "(env CASEWORK_GRACEFUL_TIMEOUT).")
def serve(bind: str, workers: int, threads: int, timeout: int, graceful_timeout: int) -> None:
    """Serve casework in production with gunicorn (`casework run` is the development server)."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    problem = secret_key_problem(app.config.get("SECRET_KEY"))
    if problem:
        raise click.ClickException(problem)
    _prepare_environment(app)
    argv = gunicorn_argv(bind=bind, workers=workers, threads=threads, timeout=timeout,
                         graceful_timeout=graceful_timeout)
    click.echo(f"casework serve: {workers} processes × {threads} threads on {bind}", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def _prepare_environment(app: Flask) -> None:
    """What the workers inherit: one JSON log line per request unless turned off, and a folder for the
    processes' shared Prometheus figures (the instance folder's unless PROMETHEUS_MULTIPROC_DIR names one)."""
    os.environ.setdefault("CASEWORK_REQUEST_LOG", "1")
    folder = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(app.instance_path) / "metrics"))
    Path(folder).mkdir(parents=True, exist_ok=True)


def gunicorn_argv(*, bind: str, workers: int, threads: int, timeout: int, graceful_timeout: int) -> list[str]:
    # The workers' heartbeat files in memory: on a disk (a container's /tmp) a busy disk stalls the heartbeat
    # and gunicorn kills workers that were working (gunicorn's own advice).
    in_memory = ["--worker-tmp-dir", "/dev/shm"] if Path("/dev/shm").is_dir() else []
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_SETTINGS),
            "--bind", bind, "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--timeout", str(timeout), "--graceful-timeout", str(graceful_timeout), *in_memory,
            "--error-logfile", "-", "--no-control-socket", "casework.wsgi:application"]


COMMANDS = [serve]
