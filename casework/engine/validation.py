"""Checks a loaded workflow definition against the engine's registries and for graph sanity."""

from __future__ import annotations

import inspect
from collections import deque

from casework.engine.applicability import APPLIES
from casework.engine.definition import DueDef, TaskDef, TransitionDef, WorkflowDef
from casework.engine.effects import EFFECTS
from casework.engine.errors import DefinitionError
from casework.engine.fields import PARSERS
from casework.engine.flags import CHECKS, PARAM_ALIASES
from casework.engine.guards import GUARDS
from casework.engine.routing import CONDITIONS, TARGETS
from casework.engine.rules import Rules
from casework.models import Role

ROLES = frozenset(r.value for r in Role)
_RULES = Rules()
# The trigger of the event the engine writes when it moves a case to another version of its workflow
# (casework.engine.migration): no definition may name a step so, or its history could not be told apart.
MIGRATE_TRIGGER = "migrate"
# The trigger of the event that opens a case brought in from a spreadsheet in the middle of its procedure
# (casework.engine.importing).
IMPORT_TRIGGER = "imported"
RESERVED_TRIGGERS = frozenset({MIGRATE_TRIGGER, IMPORT_TRIGGER})


def validate(wf: WorkflowDef) -> None:
    """Raise DefinitionError for the first problem found, naming the element."""
    v = _Validator(wf)
    v.top()
    for state in wf.states.values():
        for i, task in enumerate(state.tasks):
            v.task(task, f"state {state.name}.tasks[{i}]", state.stages)
        v.after_refs(state)
    for t in wf.transitions:
        v.transition(t)
    v.duplicates()
    v.reachability()
    v.dead_ends()


class _Validator:
    def __init__(self, wf: WorkflowDef):
        self.wf = wf
        self.dates = self._known_dates()

    def fail(self, element: str, problem: str) -> DefinitionError:
        return DefinitionError(self.wf.file, element, problem)

    def _known_dates(self) -> set[str]:
        """Dates a guard or a flag may read from the step: the case's key dates (``dates:``) and wherever a date
        field is recorded."""
        dates = set(self.wf.dates)
        for t in self.wf.transitions:
            dates.update(t.target_of(f) for f in t.fields if f.type == "date")
        return dates

    def top(self) -> None:
        wf = self.wf
        if wf.initial not in wf.states:
            raise self.fail("initial", f"unknown state {wf.initial}")
        if wf.states[wf.initial].terminal:
            raise self.fail("initial", f"{wf.initial} is terminal")
        starts = [t for t in wf.transitions if t.trigger == wf.start]
        if len(starts) != 1 or starts[0].sources != (None,):
            raise self.fail("start", f"{wf.start} must be exactly one transition with from: null")
        if [d.state for d in starts[0].destinations] != [wf.initial]:
            raise self.fail(f"transition {wf.start}", f"must lead to the initial state {wf.initial}")
        if not any(s.terminal for s in wf.states.values()):
            raise self.fail("states", "no terminal state")

    def rule(self, name: str | None, element: str) -> None:
        if name is not None and not _RULES.has(name):
            raise self.fail(element, f"unknown rule {name} (not a field of casework.engine.rules.Rules)")

    def date(self, name: str | None, element: str) -> None:
        if name is not None and name not in self.dates:
            raise self.fail(element, f"unknown date {name}")

    def case_date(self, name: str | None, element: str) -> None:
        """A date read from the case itself must be one of its key dates, declared under ``dates:``."""
        if name is not None and name not in self.wf.dates:
            raise self.fail(element, f"unknown date {name}: not one of the key dates declared under dates:")

    def due(self, due: DueDef | None, element: str) -> None:
        if due is None:
            return
        self.rule(due.working_days, f"{element}.due")
        self.case_date(due.start, f"{element}.due.from")
        self.case_date(due.at, f"{element}.due.at")

    def role(self, role: str, element: str) -> None:
        if role not in ROLES:
            raise self.fail(element, f"unknown role {role}")

    def routing(self, target: str, element: str) -> None:
        if target not in TARGETS:
            raise self.fail(element, f"unknown routing target {target}")

    def task(self, task: TaskDef, element: str, stages: tuple[str, ...]) -> None:
        self.role(task.role, element)
        for target in task.routing:
            self.routing(target, element)
        if task.stage is not None and task.stage not in stages:
            raise self.fail(element, f"unknown stage {task.stage}")
        self.due(task.due, element)

    def after_refs(self, state) -> None:
        kinds = {t.kind for t in state.tasks}
        for i, task in enumerate(state.tasks):
            if task.after is not None and task.after not in kinds:
                raise self.fail(f"state {state.name}.tasks[{i}]", f"after names no task of this state: {task.after}")

    def transition(self, t: TransitionDef) -> None:
        element = f"transition {t.trigger}" + (f" (stage {t.stage})" if t.stage else "")
        if t.trigger in RESERVED_TRIGGERS:
            raise self.fail(element, f"{t.trigger} is the engine's own trigger (a case moved to another version, "
                            "or imported); give the step another name")
        for source in t.sources:
            if source is None and t.trigger != self.wf.start:
                raise self.fail(element, "only the start transition may have from: null")
            if source is not None and source not in self.wf.states:
                raise self.fail(element, f"unknown state {source}")
            if source is not None and self.wf.states[source].terminal:
                raise self.fail(element, f"leaves the terminal state {source}")
            if t.stage is not None and source is not None and t.stage not in self.wf.states[source].stages:
                raise self.fail(element, f"state {source} has no stage {t.stage}")
        for dest in t.destinations:
            if dest.state not in self.wf.states:
                raise self.fail(element, f"unknown state {dest.state}")
            if dest.when is not None and dest.when not in CONDITIONS:
                raise self.fail(element, f"unknown condition {dest.when}")
        for actor in t.actors:
            self.role(actor.role, element)
            self.routing(actor.routing, element)
        if t.task_kind is not None:
            created = {c.kind for c in t.creates}
            for source in t.sources:
                if t.task_kind not in {k.kind for k in self.wf.states[source].tasks} | created:
                    raise self.fail(element, f"no task {t.task_kind} is created in state {source}")
        for f in t.fields:
            self.field(f, element)
        for name, target in t.field_sets.items():
            source = t.field(name)
            if source is None:
                raise self.fail(f"{element}.field_sets", f"no field {name}")
            if target in self.wf.dates and source.type != "date":
                raise self.fail(f"{element}.field_sets", f"{name} is not a date, but {target} is a key date")
        for f in t.fields:
            # A field named like a key date of the case must say where it goes, or a later step's date
            # (the recognition decision, say) would silently overwrite an earlier one (the admission decision).
            if f.name in self.wf.dates and f.sets != f.name and t.target_of(f) == f.name:
                raise self.fail(f"{element} field {f.name}", f"shadows the case date {f.name}: add `sets: {f.name}` "
                                "or map it to another name in field_sets")
        for ref in t.guards:
            self.guard(ref.name, ref.params, element)
        for name in t.effects:
            if name not in EFFECTS:
                raise self.fail(element, f"unknown effect {name}")
            for produced in EFFECTS[name].produces_dates:
                self.case_date(produced, f"{element} effect {name}")
        for flag in t.flags:
            self.flag(flag.check, flag.params, element)
            for key in ("extension_field", "waived_by"):  # fields the step itself records
                if flag.params.get(key) is not None and t.field(flag.params[key]) is None:
                    raise self.fail(f"{element}.flags", f"{key}: {flag.params[key]} is not a field of this step")
        for i, task in enumerate(t.creates):
            self.task(task, f"{element}.creates[{i}]", ())
        self.case_date(t.clock, f"{element}.clock")

    def field(self, f, element: str) -> None:
        where = f"{element} field {f.name}"
        if f.type not in PARSERS:
            raise self.fail(where, f"unknown field type {f.type}")
        if f.type == "choice" and not f.choices:
            raise self.fail(where, "a choice field needs choices")
        if f.type == "document" and not f.form_code:
            raise self.fail(where, "a document field needs a form_code")
        self.case_date(f.not_before, f"{where}.not_before")
        if f.applies_if is not None:
            if f.applies_if not in APPLIES:
                raise self.fail(where, f"applies_if names no registered condition: {f.applies_if}")
            if f.required:
                raise self.fail(where, "a field that applies only to some cases cannot be required of all")
        if f.sets is not None:
            if f.sets not in self.wf.dates:
                raise self.fail(where, f"sets names no key date declared under dates: {f.sets}")
            if f.type != "date":
                raise self.fail(where, f"sets the key date {f.sets}, but is not a date")

    def guard(self, name: str, params: dict, element: str) -> None:
        if name not in GUARDS:
            raise self.fail(element, f"unknown guard {name}")
        unknown = set(params) - set(GUARDS[name].params)
        if unknown:
            raise self.fail(element, f"guard {name} takes no parameter {', '.join(sorted(unknown))}")
        for value in params.values():
            if isinstance(value, str) and value not in self.dates:
                raise self.fail(element, f"guard {name}: unknown date {value}")

    def flag(self, check: str, params: dict, element: str) -> None:
        if check not in CHECKS:
            raise self.fail(element, f"unknown flag check {check}")
        accepted = set(inspect.signature(CHECKS[check]).parameters) - {"ctx"}
        names = {PARAM_ALIASES.get(k, k) for k in params}
        if names - accepted:
            raise self.fail(element, f"flag {check} takes no parameter {', '.join(sorted(names - accepted))}")
        for key in ("working_days", "extension_working_days"):
            self.rule(params.get(key), f"{element}.flags")
        self.date(params.get("date"), f"{element}.flags")  # the step's own date field
        self.case_date(params.get("from"), f"{element}.flags")  # a key date of the case
        self.case_date(params.get("otherwise"), f"{element}.flags")

    def duplicates(self) -> None:
        seen: dict[tuple[str, str | None, str | None], TransitionDef] = {}
        for t in self.wf.transitions:
            for source in t.sources:
                key = (t.trigger, source, t.stage)
                if key in seen:
                    raise self.fail(f"transition {t.trigger}", f"defined twice for state {source}"
                                    + (f" and stage {t.stage}" if t.stage else ""))
                seen[key] = t

    def reachability(self) -> None:
        reached = {self.wf.initial}
        queue = deque([self.wf.initial])
        while queue:
            state = queue.popleft()
            for t in self.wf.transitions:
                if state in t.sources:
                    for dest in t.destinations:
                        if dest.state not in reached:
                            reached.add(dest.state)
                            queue.append(dest.state)
        for name in self.wf.states:
            if name not in reached:
                raise self.fail(f"state {name}", "unreachable from the initial state")

    def dead_ends(self) -> None:
        for name, state in self.wf.states.items():
            if state.terminal:
                continue
            if not any(name in t.sources and t.destinations for t in self.wf.transitions):
                raise self.fail(f"state {name}", "dead end: not terminal, and no transition leaves it")


