"""How pages reach the engine and the workflow definition, and name its parts in the page language."""

from __future__ import annotations

from flask import current_app

from casework.engine import Engine
from casework.engine.definition import WorkflowDef
from casework.models import Task
from casework.web.i18n import pick


def engine() -> Engine:
    return current_app.extensions["casework_engine"]


def default_workflow_name() -> str:
    """The workflow a referral starts (configuration: ``CASEWORK_DEFAULT_WORKFLOW``)."""
    return current_app.config["DEFAULT_WORKFLOW"]


def workflow(name: str | None = None) -> WorkflowDef:
    """The version new cases start on (a referral's form, the filters) of that workflow, else the default one."""
    return engine().workflow(name or default_workflow_name())


def definition_of(case) -> WorkflowDef:
    """The version the case started under: its steps, states and labels."""
    return engine().definition_of(case)


def state_name(state: str, wf: WorkflowDef | None = None) -> str:
    wf = wf or workflow()
    return pick(wf.states[state].label) if state in wf.states else state


def task_name(task: Task, wf: WorkflowDef | None = None) -> str:
    """What a task asks for: the trigger that completes it, or for the actor of a state its first (forward)
    step for that role, as the definition lists them."""
    wf = wf or definition_of(task.case)
    if task.kind != "step":
        tdef = next((t for t in wf.transitions if t.trigger == task.kind), None)
        return pick(tdef.label) if tdef else task.kind
    stage = (task.subject or {}).get("stage")
    forward = next((t for t in wf.transitions_from(task.state, stage)
                    if not t.task_kind and any(a.role == task.role for a in t.actors)), None)
    return pick(forward.label) if forward else state_name(task.state, wf)
