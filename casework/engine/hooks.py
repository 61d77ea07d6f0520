"""Listeners the engine calls when it routes work, so features (in-app notifications) can react inside the
same transaction without the engine knowing about them or about Flask.

A listener must never break the step that caused it: its exceptions are logged and swallowed, and it must
not flush (the step's own rows are not written yet), so it adds rows that refer to the new task by
relationship. A listener that needs the database reads under ``session.no_autoflush``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Task

log = logging.getLogger(__name__)

TaskListener = Callable[["Session", "Task"], None]
_TASK_CREATED: dict[str, TaskListener] = {}


def on_task_created(name: str) -> Callable[[TaskListener], TaskListener]:
    """Register ``fn(session, task)`` under a name; registering the same name again replaces it."""

    def register(fn: TaskListener) -> TaskListener:
        _TASK_CREATED[name] = fn
        return fn

    return register


def remove_listener(name: str) -> None:
    _TASK_CREATED.pop(name, None)


def task_created(session: Session, task: Task) -> None:
    """Tell every listener about a new task; a failing listener is logged, never raised."""
    for name, listener in list(_TASK_CREATED.items()):
        try:
            with session.no_autoflush:
                listener(session, task)
        except Exception:  # noqa: BLE001 - a notice must never undo the step that caused it
            log.exception("task listener %s failed for task of case %s", name, getattr(task.case, "id", None))
