"""Workflow definitions as data: loading ``workflows/<name>/v<N>.yaml`` into typed, validated objects.

Validation happens once, at load: a definition that names an unknown state, guard, role, routing target
or rule, has a state nobody can reach or a non-terminal state with no way out, fails with the file, the
element and the reason, so a bad edit never reaches a running case.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from casework.engine.errors import DefinitionError

OPEN_STATES = "*open"
TASK_ACTORS = "task"


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    required: bool = True
    label: dict[str, str] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    min: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    unit_kinds: tuple[str, ...] = ()
    form_code: str | None = None
    not_future: bool = False
    not_before: str | None = None
    sets: str | None = None
    # A condition (casework.engine.applicability) without which the field does not apply to the case.
    applies_if: str | None = None


@dataclass(frozen=True)
class DateDef:
    """A key date of the workflow's cases (``dates:``): kept in ``cases.dates``, named by ``sets:``, due rules,
    ``not_before:``, clock steps and flags."""

    name: str
    label: dict[str, str]


@dataclass(frozen=True)
class GuardRef:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActorDef:
    role: str
    routing: str


@dataclass(frozen=True)
class DueDef:
    working_days: str | None = None  # a Rules field
    start: str | None = None  # a case date; the task's creation day when empty
    at: str | None = None  # a case date, exactly


@dataclass(frozen=True)
class TaskDef:
    kind: str
    role: str
    routing: tuple[str, ...]
    stage: str | None = None
    after: str | None = None
    due: DueDef | None = None
    # "task": whoever holds this task sees only what answering it needs (a residential committee verifying a
    # candidate's background), not the whole case; "case" (the default): the whole case.
    view: str = "case"

    @property
    def fans_out(self) -> bool:
        from casework.engine.routing import FAN_OUT_TARGETS  # registered by the workflow packages

        return len(self.routing) > 1 or self.routing[0] in FAN_OUT_TARGETS


@dataclass(frozen=True)
class StateDef:
    name: str
    label: dict[str, str]
    terminal: bool = False
    stages: tuple[str, ...] = ()
    tasks: tuple[TaskDef, ...] = ()
    goal: bool = False  # the end the procedure aims at (an official member): shown at the end of its progress

    def tasks_on_entry(self, stage: str | None) -> list[TaskDef]:
        return [t for t in self.tasks if t.after is None and t.stage == stage]


@dataclass(frozen=True)
class Destination:
    state: str
    when: str | None = None


@dataclass(frozen=True)
class FlagDef:
    check: str
    params: dict[str, Any]


@dataclass(frozen=True)
class VoteDef:
    """A step that records a vote (``vote:``): the field counting who may vote, the one (if any) of those not
    counted, and the votes for. The page shows, as they are typed, how many votes for the majority needs."""

    counted: str
    in_favour: str
    less: str | None = None


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: dict[str, str]
    sources: tuple[str | None, ...]
    destinations: tuple[Destination, ...]
    actors: tuple[ActorDef, ...]
    actor_is_task: bool = False
    task_kind: str | None = None
    stage: str | None = None
    fields: tuple[FieldDef, ...] = ()
    field_sets: dict[str, str] = field(default_factory=dict)
    guards: tuple[GuardRef, ...] = ()
    effects: tuple[str, ...] = ()
    flags: tuple[FlagDef, ...] = ()
    creates: tuple[TaskDef, ...] = ()
    clock: str | None = None
    vote: VoteDef | None = None

    @property
    def changes_state(self) -> bool:
        return bool(self.destinations)

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    def target_of(self, field_def: FieldDef) -> str:
        """Where a recorded value is projected: a key date the workflow declares (``dates:``), or a name in
        ``facts``."""
        return self.field_sets.get(field_def.name) or field_def.sets or field_def.name


@dataclass(frozen=True)
class MonitoringDef:
    """What monitoring needs to know of a workflow beyond its states and terminal states (``monitoring:``)."""

    main_line_until: str | None = None  # the forecast walks the states declared from the initial one to this
    waiting_by_design: tuple[str, ...] = ()  # states where a long wait is the rule, not a case being stuck
    replies: tuple[str, ...] = ()  # task kinds whose completion is a unit's reply, timed per unit
    referred_on: str | None = None  # the key date whose year counts a referral by the case's referring org


@dataclass
class WorkflowDef:
    name: str
    version: int
    label: dict[str, str]
    initial: str
    start: str
    states: dict[str, StateDef]
    transitions: list[TransitionDef]
    file: str
    effective_from: date | None = None  # new cases start on this version from that day; None: from the start
    dates: dict[str, DateDef] = field(default_factory=dict)  # the key dates its cases keep, in display order
    monitoring: MonitoringDef = field(default_factory=MonitoringDef)
    # The values of its choice fields as people read them: value -> {vi, en} (``choices:``).
    choice_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    machine: Any = None  # the shared transitions.Machine, built after validation

    @property
    def start_transition(self) -> TransitionDef:
        return next(t for t in self.transitions if t.trigger == self.start)

    def triggers(self) -> list[str]:
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    def transitions_from(self, state: str, stage: str | None) -> list[TransitionDef]:
        """Every step that can be taken in this state and stage, in definition order."""
        return [t for t in self.transitions if state in t.sources and (t.stage is None or t.stage == stage)]

    def is_terminal(self, state: str) -> bool:
        return self.states[state].terminal

    @property
    def main_line(self) -> tuple[str, ...]:
        """The states declared from the initial one up to ``monitoring.main_line_until`` (none without it)."""
        until = self.monitoring.main_line_until
        if until is None:
            return ()
        names = list(self.states)
        return tuple(names[names.index(self.initial):names.index(until) + 1])

    @functools.cached_property
    def task_view_kinds(self) -> frozenset[str]:
        """Kinds of task whose holders see only the task, not the case (``view: task``)."""
        return frozenset(t.kind for s in self.states.values() for t in s.tasks if t.view == "task")


# --------------------------------------------------------------------------------------------------
# Loading


class _Reader:
    """Reads one YAML file and reports problems as DefinitionError(file, element, reason)."""

    def __init__(self, path: Path):
        self.file = str(path)

    def fail(self, element: str, problem: str) -> DefinitionError:
        return DefinitionError(self.file, element, problem)

    def mapping(self, value: Any, element: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(element, "must be a mapping")
        return value

    def label(self, raw: Any, element: str) -> dict[str, str]:
        label = self.mapping(raw if raw is not None else {}, f"{element}.label")
        # A comma inside an unquoted flow-style value splits it into a stray key: refuse it rather than
        # show half a label.
        self.only(label, {"vi", "en"}, f"{element}.label")
        missing = {"vi", "en"} - set(label)
        if missing:
            raise self.fail(f"{element}.label", f"needs both vi and en (missing {', '.join(sorted(missing))})")
        return {k: str(v) for k, v in label.items()}

    def only(self, raw: dict, allowed: set[str], element: str) -> None:
        unknown = sorted(str(k) for k in set(raw) - allowed)
        if unknown:
            raise self.fail(element, f"unknown key(s): {', '.join(unknown)}")

    def due(self, raw: Any, element: str) -> DueDef | None:
        if raw is None:
            return None
        raw = self.mapping(raw, element)
        self.only(raw, {"working_days", "from", "at"}, element)
        if ("at" in raw) == ("working_days" in raw):
            raise self.fail(element, "give either working_days (optionally with from) or at")
        return DueDef(working_days=raw.get("working_days"), start=raw.get("from"), at=raw.get("at"))

    def task(self, raw: Any, element: str) -> TaskDef:
        raw = self.mapping(raw, element)
        self.only(raw, {"kind", "role", "routing", "stage", "after", "due", "view"}, element)
        if raw.get("view", "case") not in ("case", "task"):
            raise self.fail(f"{element}.view", "must be case or task")
        for key in ("kind", "role", "routing"):
            if key not in raw:
                raise self.fail(element, f"missing {key}")
        routing = raw["routing"]
        routing = tuple(routing) if isinstance(routing, list) else (routing,)
        return TaskDef(kind=raw["kind"], role=raw["role"], routing=routing, stage=raw.get("stage"),
                       after=raw.get("after"), due=self.due(raw.get("due"), f"{element}.due"),
                       view=raw.get("view", "case"))

    def state(self, name: str, raw: Any) -> StateDef:
        element = f"state {name}"
        raw = self.mapping(raw, element)
        self.only(raw, {"label", "terminal", "stages", "tasks", "goal"}, element)
        if raw.get("goal") and not raw.get("terminal"):
            raise self.fail(f"{element}.goal", "only a terminal state can be the goal")
        tasks = tuple(self.task(t, f"{element}.tasks[{i}]") for i, t in enumerate(raw.get("tasks") or []))
        return StateDef(name=name, label=self.label(raw.get("label"), element), terminal=bool(raw.get("terminal")),
                        stages=tuple(raw.get("stages") or ()), tasks=tasks, goal=bool(raw.get("goal")))

    def field_def(self, raw: Any, element: str) -> FieldDef:
        raw = self.mapping(raw, element)
        allowed = {f.name for f in dataclasses.fields(FieldDef)}
        self.only(raw, allowed, element)
        if "name" not in raw or "type" not in raw:
            raise self.fail(element, "a field needs a name and a type")
        values = dict(raw)
        values["label"] = self.label(raw.get("label"), f"{element} {raw['name']}")
        for key in ("choices", "unit_kinds"):
            if key in values:
                values[key] = tuple(values[key])
        return FieldDef(**values)

    def guard_ref(self, raw: Any, element: str) -> GuardRef:
        if isinstance(raw, str):
            return GuardRef(raw)
        raw = self.mapping(raw, element)
        if "name" not in raw:
            raise self.fail(element, "a guard needs a name")
        return GuardRef(raw["name"], {k: v for k, v in raw.items() if k != "name"})

    def transition(self, raw: Any, index: int, states: dict[str, StateDef]) -> TransitionDef:
        element = f"transitions[{index}]"
        raw = self.mapping(raw, element)
        if "trigger" not in raw:
            raise self.fail(element, "missing trigger")
        element = f"transition {raw['trigger']}" + (f" (stage {raw['stage']})" if raw.get("stage") else "")
        self.only(raw, {"trigger", "label", "from", "to", "task", "stage", "actors", "fields", "field_sets",
                        "guards", "effects", "flags", "creates", "clock", "vote"}, element)
        if "from" not in raw:
            raise self.fail(element, "missing from")
        sources = self._sources(raw["from"], states)
        destinations = self._destinations(raw.get("to"), element)
        if not destinations and not raw.get("task") and raw.get("effects") is None and not raw.get("creates"):
            raise self.fail(element, "needs a destination (to), or must complete a task or record something")
        actors_raw = raw.get("actors")
        actor_is_task = actors_raw == TASK_ACTORS
        if actor_is_task and not raw.get("task"):
            raise self.fail(element, "actors: task is only for transitions that complete a task")
        if not actor_is_task:
            if not isinstance(actors_raw, list) or not actors_raw:
                raise self.fail(element, "needs actors: a list of {role, routing}, or `task`")
            actors = tuple(ActorDef(**self.mapping(a, f"{element}.actors")) for a in actors_raw)
        else:
            actors = ()
        fields = tuple(self.field_def(f, f"{element}.fields[{i}]") for i, f in enumerate(raw.get("fields") or []))
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise self.fail(element, "a field name appears twice")
        vote = self._vote(raw.get("vote"), f"{element}.vote", fields)
        return TransitionDef(
            trigger=raw["trigger"],
            label=self.label(raw.get("label"), element),
            sources=sources,
            destinations=destinations,
            actors=actors,
            actor_is_task=actor_is_task,
            task_kind=raw.get("task"),
            stage=raw.get("stage"),
            fields=fields,
            field_sets=dict(raw.get("field_sets") or {}),
            guards=tuple(self.guard_ref(g, f"{element}.guards") for g in raw.get("guards") or []),
            effects=tuple(raw.get("effects") or ()),
            flags=tuple(self._flag(f, f"{element}.flags") for f in raw.get("flags") or []),
            creates=tuple(self.task(t, f"{element}.creates[{i}]") for i, t in enumerate(raw.get("creates") or [])),
            clock=raw.get("clock"),
            vote=vote,
        )

    def _vote(self, raw: Any, element: str, fields: tuple[FieldDef, ...]) -> VoteDef | None:
        if raw is None:
            return None
        raw = self.mapping(raw, element)
        self.only(raw, {"counted", "less", "for"}, element)
        integers = {f.name for f in fields if f.type == "integer"}
        for key in ("counted", "for", "less"):
            name = raw.get(key)
            if (key != "less" or name is not None) and name not in integers:
                raise self.fail(f"{element}.{key}", f"{name!r} is not an integer field of this step")
        return VoteDef(counted=raw["counted"], in_favour=raw["for"], less=raw.get("less"))

    def _sources(self, raw: Any, states: dict[str, StateDef]) -> tuple[str | None, ...]:
        if raw == OPEN_STATES:
            return tuple(name for name, s in states.items() if not s.terminal)
        if raw is None:
            return (None,)
        return tuple(raw) if isinstance(raw, list) else (raw,)

    def _destinations(self, raw: Any, element: str) -> tuple[Destination, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            return (Destination(raw),)
        if not isinstance(raw, list):
            raise self.fail(f"{element}.to", "must be a state or a list of {state, when}")
        options = tuple(Destination(**self.mapping(d, f"{element}.to")) for d in raw)
        if options[-1].when is not None:
            raise self.fail(f"{element}.to", "the last destination must have no condition (the default)")
        return options

    def version(self, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise self.fail("version", f"must be a whole number from 1, not {raw!r}")
        return raw

    def effective_from(self, raw: Any) -> date | None:
        """YAML reads an unquoted 2026-01-01 as a date; a quoted one is accepted in the same ISO form."""
        if raw is None or (isinstance(raw, date) and not isinstance(raw, datetime)):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        raise self.fail("effective_from", f"must be a date (YYYY-MM-DD), not {raw!r}")

    def choice_labels(self, raw: Any, transitions: list[TransitionDef]) -> dict[str, dict[str, str]]:
        """``choices:``: each value a choice field offers, with its label; a value no field offers is refused."""
        raw = self.mapping(raw if raw is not None else {}, "choices")
        offered = {c for t in transitions for f in t.fields for c in f.choices}
        labels = {}
        for value, label in raw.items():
            if value not in offered:
                raise self.fail(f"choices.{value}", "no choice field offers this value")
            labels[str(value)] = self.label(label, f"choices.{value}")
        return labels

    def dates(self, raw: Any) -> dict[str, DateDef]:
        dates = {}
        for name, spec in self.mapping(raw if raw is not None else {}, "dates").items():
            element = f"date {name}"
            spec = self.mapping(spec, element)
            self.only(spec, {"label"}, element)
            dates[str(name)] = DateDef(str(name), self.label(spec.get("label"), element))
        return dates

    def monitoring(self, raw: Any, states: dict[str, StateDef], dates: dict[str, DateDef]) -> MonitoringDef:
        """``monitoring:``: what monitoring reads beyond the states; every name a state, a task kind of them or
        a declared date."""
        raw = self.mapping(raw if raw is not None else {}, "monitoring")
        self.only(raw, {"main_line_until", "waiting_by_design", "replies", "referred_on"}, "monitoring")
        referred_on = raw.get("referred_on")
        if referred_on is not None and referred_on not in dates:
            raise self.fail("monitoring.referred_on", f"{referred_on!r} is not a declared date")
        until = raw.get("main_line_until")
        if until is not None and (until not in states or states[until].terminal):
            raise self.fail("monitoring.main_line_until", f"{until!r} is not an open state")
        kinds = {t.kind for s in states.values() for t in s.tasks}
        lists = {}
        for key, known, what in (("waiting_by_design", states, "state"), ("replies", kinds, "task kind")):
            names = raw.get(key) or []
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise self.fail(f"monitoring.{key}", "must be a list of names")
            unknown = [n for n in names if n not in known]
            if unknown:
                raise self.fail(f"monitoring.{key}", f"no {what} {unknown[0]!r}")
            lists[key] = tuple(names)
        return MonitoringDef(until, **lists, referred_on=referred_on)

    def _flag(self, raw: Any, element: str) -> FlagDef:
        raw = self.mapping(raw, element)
        if "check" not in raw:
            raise self.fail(element, "a flag needs a check")
        return FlagDef(raw["check"], {k: v for k, v in raw.items() if k != "check"})


def load_workflow(path: Path) -> WorkflowDef:
    """Read and validate one definition file."""
    reader = _Reader(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise reader.fail("file", f"not valid YAML: {exc}") from exc
    raw = reader.mapping(raw, "file")
    reader.only(raw, {"name", "version", "effective_from", "label", "initial", "start", "dates", "states",
                      "transitions", "fieldsets", "monitoring", "choices"}, "file")
    for key in ("name", "version", "initial", "start", "states", "transitions"):
        if key not in raw:
            raise reader.fail("file", f"missing {key}")
    version, effective_from = reader.version(raw["version"]), reader.effective_from(raw.get("effective_from"))
    states = {name: reader.state(name, s) for name, s in reader.mapping(raw["states"], "states").items()}
    if not isinstance(raw["transitions"], list):
        raise reader.fail("transitions", "must be a list")
    transitions = [reader.transition(t, i, states) for i, t in enumerate(raw["transitions"])]
    dates = reader.dates(raw.get("dates"))
    workflow = WorkflowDef(name=raw["name"], version=version, label=reader.label(raw.get("label"), "file"),
                           initial=raw["initial"], start=raw["start"], states=states, transitions=transitions,
                           file=str(path), effective_from=effective_from, dates=dates,
                           monitoring=reader.monitoring(raw.get("monitoring"), states, dates),
                           choice_labels=reader.choice_labels(raw.get("choices"), transitions))
    from casework.engine.validation import validate  # the checks need the guard and routing registries

    validate(workflow)
    from casework.engine.machine import build_machine

    workflow.machine = build_machine(workflow)
    return workflow


# Every version of every workflow: name -> version -> definition.
Catalog = dict[str, dict[int, WorkflowDef]]

VERSION_FILE = re.compile(r"v(\d+)\.yaml")


def load_workflows(directory: Path | str) -> Catalog:
    """Every ``<name>/v<N>.yaml`` under the directory: each workflow's folder holds its versions (other files
    there, its code and migration plans, are not definitions). A folder's versions must be 1, 2, 3… with no
    gap, each file saying the name of its folder and the version of its file name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DefinitionError(str(directory), "directory", "no such workflows directory")
    for stray in sorted(directory.glob("*.yaml")):  # the old layout: refused, or its workflow would vanish
        raise DefinitionError(str(stray), "file", "a definition belongs in its workflow's folder, as "
                              f"{stray.stem}/v1.yaml (one file per version)")
    catalog: Catalog = {}
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        versions = _load_versions(folder)
        if versions:
            catalog[folder.name] = versions
    return catalog


def _load_versions(folder: Path) -> dict[int, WorkflowDef]:
    versions: dict[int, WorkflowDef] = {}
    from casework.engine.packages import import_package  # its guards, effects and targets, before the checks

    import_package(folder.name, str(folder))
    for path in sorted(folder.glob("v*.yaml")):
        match = VERSION_FILE.fullmatch(path.name)
        if match is None:
            continue
        workflow = load_workflow(path)
        if workflow.name != folder.name:
            raise DefinitionError(str(path), "name", f"says {workflow.name}, but the folder is {folder.name}")
        if workflow.version != int(match.group(1)):
            raise DefinitionError(str(path), "version", f"says {workflow.version}, but the file name says "
                                  f"{int(match.group(1))}")
        if workflow.version in versions:
            raise DefinitionError(str(path), "version", f"version {workflow.version} is already defined in "
                                  f"{versions[workflow.version].file}")
        versions[workflow.version] = workflow
    _check_sequence(folder, versions)
    return dict(sorted(versions.items()))


def _check_sequence(folder: Path, versions: dict[int, WorkflowDef]) -> None:
    """Versions count 1, 2, 3…, and a later one never takes effect before an earlier one (else which version
    new cases start on would depend on more than the date)."""
    missing = sorted(set(range(1, max(versions, default=0) + 1)) - set(versions))
    if missing:
        raise DefinitionError(str(folder / f"v{missing[0]}.yaml"), "version",
                              f"missing: the versions of {folder.name} must be 1, 2, 3… with no gap")
    ordered = sorted(versions.values(), key=lambda wf: wf.version)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if (earlier.effective_from or date.min) > (later.effective_from or date.min):
            raise DefinitionError(later.file, "effective_from", f"{later.effective_from} is before version "
                                  f"{earlier.version}'s {earlier.effective_from}")


def current_version(versions: dict[int, WorkflowDef], today: date) -> WorkflowDef | None:
    """The version new cases start on: the highest one in effect today (no effective_from: from the start)."""
    in_effect = [wf for wf in versions.values() if wf.effective_from is None or wf.effective_from <= today]
    return max(in_effect, key=lambda wf: wf.version, default=None)
