"""What changed between two versions of a workflow: states, transitions and fields added, removed or changed.

The result is plain data (``WorkflowDiff``, ``as_dict`` for JSON) so the command line prints it and the API can
answer it. A transition is known by its trigger and stage (a trigger may be defined once per stage); a field by
its transition and name. A changed element lists each aspect that differs, old and new, in readable terms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from casework.engine.definition import FieldDef, StateDef, TaskDef, TransitionDef, WorkflowDef


@dataclass(frozen=True)
class Change:
    aspect: str  # e.g. "label", "destinations", "required"
    old: Any
    new: Any


@dataclass(frozen=True)
class ElementDiff:
    name: str
    status: str  # added, removed or changed
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class WorkflowDiff:
    workflow: str
    old_version: int
    new_version: int
    states: tuple[ElementDiff, ...] = ()
    transitions: tuple[ElementDiff, ...] = ()
    fields: tuple[ElementDiff, ...] = ()
    workflow_changes: tuple[Change, ...] = field(default=())  # label, initial state, effective date

    @property
    def is_empty(self) -> bool:
        return not (self.states or self.transitions or self.fields or self.workflow_changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff_workflows(old: WorkflowDef, new: WorkflowDef) -> WorkflowDiff:
    return WorkflowDiff(
        workflow=new.name, old_version=old.version, new_version=new.version,
        workflow_changes=_changes(_workflow_aspects(old), _workflow_aspects(new)),
        states=_compare(old.states, new.states, _state_aspects),
        transitions=_compare(_transitions(old), _transitions(new), _transition_aspects),
        fields=_compare(_fields(old), _fields(new), _field_aspects),
    )


def _compare(old: dict[str, Any], new: dict[str, Any], aspects) -> tuple[ElementDiff, ...]:
    """Added and removed by name, then changed ones with their differing aspects, in definition order."""
    result = []
    for name in [*old, *(n for n in new if n not in old)]:
        if name not in new:
            result.append(ElementDiff(name, "removed"))
        elif name not in old:
            result.append(ElementDiff(name, "added"))
        else:
            changes = _changes(aspects(old[name]), aspects(new[name]))
            if changes:
                result.append(ElementDiff(name, "changed", changes))
    return tuple(result)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[Change, ...]:
    return tuple(Change(aspect, old.get(aspect), new.get(aspect)) for aspect in dict.fromkeys([*old, *new])
                 if old.get(aspect) != new.get(aspect))


def _transitions(wf: WorkflowDef) -> dict[str, TransitionDef]:
    return {_transition_key(t): t for t in wf.transitions}


def _transition_key(t: TransitionDef) -> str:
    return f"{t.trigger} [{t.stage}]" if t.stage else t.trigger


def _fields(wf: WorkflowDef) -> dict[str, FieldDef]:
    return {f"{_transition_key(t)}.{f.name}": f for t in wf.transitions for f in t.fields}


# --- Aspects: what of an element is compared, in readable terms ------------------------------------------


def _workflow_aspects(wf: WorkflowDef) -> dict[str, Any]:
    return {"label": wf.label, "initial": wf.initial, "start": wf.start,
            "effective_from": wf.effective_from.isoformat() if wf.effective_from else None}


def _state_aspects(s: StateDef) -> dict[str, Any]:
    return {"label": s.label, "terminal": s.terminal, "stages": list(s.stages), "tasks": [_task(t) for t in s.tasks]}


def _task(t: TaskDef) -> str:
    text = f"{t.kind} by {t.role}@{'+'.join(t.routing)}"
    if t.stage:
        text += f" in stage {t.stage}"
    if t.after:
        text += f" after {t.after}"
    return text + _due(t)


def _due(t: TaskDef) -> str:
    if t.due is None:
        return ""
    if t.due.at:
        return f", due at {t.due.at}"
    return f", due {t.due.working_days}" + (f" from {t.due.start}" if t.due.start else "")


def _transition_aspects(t: TransitionDef) -> dict[str, Any]:
    return {
        "label": t.label,
        "sources": [s or "(start)" for s in t.sources],
        "destinations": [d.state + (f" if {d.when}" if d.when else "") for d in t.destinations],
        "actors": ["the task's assignee"] if t.actor_is_task else [f"{a.role}@{a.routing}" for a in t.actors],
        "task": t.task_kind,
        "fields": [f.name for f in t.fields],
        "guards": [g.name + (f" {g.params}" if g.params else "") for g in t.guards],
        "deadlines": [_task(c) for c in t.creates] + ([f"clock at {t.clock}"] if t.clock else []),
        "service_levels": [f.check + (f" {f.params}" if f.params else "") for f in t.flags],
        "effects": list(t.effects),
        "field_sets": dict(t.field_sets),
    }


def _field_aspects(f: FieldDef) -> dict[str, Any]:
    aspects = {"type": f.type, "required": f.required, "label": f.label}
    constraints = {"choices": list(f.choices), "min": f.min, "max_length": f.max_length, "pattern": f.pattern,
                   "unit_kinds": list(f.unit_kinds), "form_code": f.form_code, "not_future": f.not_future,
                   "not_before": f.not_before, "sets": f.sets}
    return aspects | {name: value for name, value in constraints.items() if value not in (None, [], False)}


# --- Text ----------------------------------------------------------------------------------------------------


def describe(diff: WorkflowDiff) -> str:
    """The diff as lines a person reads: + added, - removed, ~ changed with each aspect's old → new."""
    lines = [f"{diff.workflow}: version {diff.old_version} → {diff.new_version}"]
    if diff.is_empty:
        return "\n".join([*lines, "  no changes"])
    lines += [f"  ~ {c.aspect}: {_text(c.old)} → {_text(c.new)}" for c in diff.workflow_changes]
    for title, elements in (("States", diff.states), ("Transitions", diff.transitions), ("Fields", diff.fields)):
        if elements:
            lines += ["", f"{title}:"] + [line for e in elements for line in _element_lines(e)]
    return "\n".join(lines)


_MARKS = {"added": "+", "removed": "-", "changed": "~"}


def _element_lines(e: ElementDiff) -> list[str]:
    return [f"  {_MARKS[e.status]} {e.name} ({e.status})"] + [
        f"      {c.aspect}: {_text(c.old)} → {_text(c.new)}" for c in e.changes]


def _text(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and set(value) == {"vi", "en"}:
        return f"{value['en']} / {value['vi']}"
    return str(value)
