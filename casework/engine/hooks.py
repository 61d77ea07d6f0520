"""Listeners the engine calls when it routes work or takes a step, so features (in-app notifications,
monitoring's figures) can react inside the same transaction without the engine knowing about them or Flask.

A task listener must never break the step that caused it: its exceptions are logged and swallowed, and it must
not flush (the step's own rows are not written yet), so it adds rows that refer to the new task by
relationship. A listener that needs the database reads under ``session.no_autoflush``.

A step listener is called once the step is complete in the session (event added, case moved, tasks routed),
still inside its transaction; it may flush. Its exceptions are not swallowed: what it keeps (monitoring's
visits and tallies) must agree with the history, so a failure undoes the step rather than the figures
silently drifting.

A refusal listener is told of a step or a start the engine refused, after the rollback, with the refusal and its
reasons (monitoring counts them by reason code); its exceptions are logged and swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.errors import EngineError
    from casework.engine.step import Step
    from casework.models import Task

log = logging.getLogger(__name__)

TaskListener = Callable[["Session", "Task"], None]
_TASK_CREATED: dict[str, TaskListener] = {}


def _registrar(listeners: dict[str, Callable]) -> Callable[[str], Callable[[Callable], Callable]]:
    """``@on_…(name)``: register a listener under a name; registering the same name again replaces it."""

    def under(name: str) -> Callable[[Callable], Callable]:
        def register(fn: Callable) -> Callable:
            listeners[name] = fn
            return fn

        return register

    return under


#: ``@on_task_created(name)`` registers ``fn(session, task)``.
on_task_created = _registrar(_TASK_CREATED)


def remove_listener(name: str) -> None:
    _TASK_CREATED.pop(name, None)
    _STEP_TAKEN.pop(name, None)
    _STEP_REFUSED.pop(name, None)


StepListener = Callable[["Session", "Step"], None]
_STEP_TAKEN: dict[str, StepListener] = {}


#: ``@on_step_taken(name)`` registers ``fn(session, step)``.
on_step_taken = _registrar(_STEP_TAKEN)


def step_taken(session: Session, step: Step) -> None:
    """Tell every step listener, in the order they registered; a failure fails the step."""
    for listener in list(_STEP_TAKEN.values()):
        listener(session, step)


def task_created(session: Session, task: Task) -> None:
    """Tell every listener about a new task; a failing listener is logged, never raised."""
    for name, listener in list(_TASK_CREATED.items()):
        try:
            with session.no_autoflush:
                listener(session, task)
        except Exception:  # noqa: BLE001 - a notice must never undo the step that caused it
            log.exception("task listener %s failed for task of case %s", name, getattr(task.case, "id", None))


RefusalListener = Callable[[str, "EngineError"], None]
_STEP_REFUSED: dict[str, RefusalListener] = {}

#: ``@on_step_refused(name)`` registers ``fn(workflow, error)``: a step or a start the engine refused (the
#: error carries the reasons), after its transaction was rolled back.
on_step_refused = _registrar(_STEP_REFUSED)


def step_refused(workflow: str, error: EngineError) -> None:
    """Tell every refusal listener; a failing listener is logged, never raised (the caller's refusal stands)."""
    for name, listener in list(_STEP_REFUSED.items()):
        try:
            listener(workflow, error)
        except Exception:  # noqa: BLE001 - counting a refusal must not change the answer
            log.exception("refusal listener %s failed", name)
