"""gunicorn's settings file for `casework serve`, loaded by path: the master imports no casework code, so the
workers a HUP starts load the new version of it, and a HUP is a graceful restart of the whole application.

What it adds to the command line's settings: Prometheus's multi-process files (one set per worker, in
``PROMETHEUS_MULTIPROC_DIR``) are cleared when the server starts and a dead worker's live gauges are dropped.
"""

import os
from pathlib import Path


def on_starting(server) -> None:
    """Figures of a previous run are not this run's: start from empty files (the directory is ours)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
