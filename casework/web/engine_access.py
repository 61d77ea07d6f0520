"""How pages reach the engine and the workflow definition, and name its parts in the page language."""

from __future__ import annotations

from flask import current_app

from casework.engine import Engine
from casework.engine.definition import WorkflowDef
from casework.models import Task
from casework.web.i18n import pick

WORKFLOW = "admission"


def engine() -> Engine:
    return current_app.extensions["casework_engine"]


def workflow(name: str = WORKFLOW) -> WorkflowDef:
    return engine().workflow(name)


def state_name(state: str, wf: WorkflowDef | None = None) -> str:
    wf = wf or workflow()
    return pick(wf.states[state].label) if state in wf.states else state


def task_name(task: Task, wf: WorkflowDef | None = None) -> str:
    """What a task asks for: the step of its state, or the label of the trigger that completes it."""
    wf = wf or workflow()
    if task.kind != "step":
        tdef = next((t for t in wf.transitions if t.trigger == task.kind), None)
        return pick(tdef.label) if tdef else task.kind
    return state_name(task.state, wf)
