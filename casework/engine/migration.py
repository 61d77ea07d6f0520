"""Moving running cases from one version of a workflow to another, by a plan written as data.

A case keeps the version it started under (``Case.workflow_version``) unless an administrator moves it with a
migration plan. The plan lives beside the definitions, ``workflows/<name>/migrations/<from>-to-<to>.yaml``::

    from: 1
    to: 2
    states:                                   # old state -> new state; unmapped names that exist in both
      verification: background_check          #   versions map to themselves; an old state the new version
      recognition_review:                     #   lacks and the plan leaves unmapped makes its cases unmovable
        to: recognition_review
        stages: {grassroots_vote: committee_vote}   # old stage -> new stage (same names map to themselves)
      dossier: {to: dossier, stage: null, tasks: cancel_and_recreate}   # a fixed stage; tasks for this state
    fields:                                   # facts or dates renamed: old name -> new name
      course: course_name
    defaults:                                 # new facts or dates, set when the case has no value yet
      decision_received_date: {from: decision_date, required_in: [admitted, probation]}
      course_mode: {value: in_person}         # `required: true` (every target state) or `required_in`:
                                              #   without a value there, the case cannot move
    tasks:                                    # open tasks: `keep` (re-labelled to the mapped state and stage)
      default: keep                           #   or `cancel_and_recreate` (cancelled, and the new state's
      verification: cancel_and_recreate       #   entry tasks created); per old state, or a default
    checks:                                   # conditions a case must meet to move (in the old version)
      - {has: certificate_date, in: [dossier]}            # a fact or date must be recorded
      - {no_open_task: confirm_background, in: [verification]}   # no task of that kind still open

``load_plan`` reads and validates a plan against both definitions: an unknown state, stage, field, task
policy or check fails with a ``DefinitionError`` naming the plan file and the element, as definitions do.

``plan_migration`` says, for every selected open case on the old version, what moving it would do (target
state and stage, facts and dates renamed or defaulted, tasks kept, cancelled and created) or every reason it
cannot move, without writing anything. ``migrate`` does it: each case in its own transaction, under the case's
row lock (``casework.engine.races.lock_case``), re-checked there (a case already on the new version is
reported as already migrated, so a rerun after an interruption continues where it stopped), written as an
event with the reserved trigger ``migrate`` whose ``changes`` (``workflow_version``, state, stage, dates,
facts, ``unset_facts``) replay to the case as it is (``casework.engine.projection``). A failure of one case is
reported and the others go on. A step racing the migration waits for the lock and is then refused as stale.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import aliased

from casework.engine import hooks
from casework.engine.errors import DefinitionError, EngineError, Invalid, NotFound, PermissionDenied
from casework.engine.fields import to_json
from casework.engine.projection import apply_changes
from casework.engine.races import is_lost_race, lock_case
from casework.engine.reasons import Reason
from casework.engine.step import Step, next_event_seq
from casework.engine.tasks import close_tasks, create_tasks, open_tasks
from casework.engine.validation import MIGRATE_TRIGGER  # the engine's own trigger: no definition may use it
from casework.ids import parse_id
from casework.models import Case, Event, Task, Unit, User
from casework.models.org import within

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine
    from casework.engine.definition import WorkflowDef

log = logging.getLogger(__name__)

MIGRATE_LABEL = {"vi": "Chuyển sang phiên bản quy trình mới", "en": "Moved to another workflow version"}
ADMIN_ROLE = "admin"
KEEP, CANCEL_AND_RECREATE = "keep", "cancel_and_recreate"
TASK_POLICIES = (KEEP, CANCEL_AND_RECREATE)
CHECK_KINDS = ("has", "no_open_task")
WHERE_KEYS = ("state", "unit", "case")

# Outcomes of one case in a report.
WOULD_MOVE, MOVED, CANNOT_MOVE = "would_move", "moved", "cannot_move"
ALREADY_MIGRATED, SKIPPED, FAILED = "already_migrated", "skipped", "failed"
OUTCOMES = (WOULD_MOVE, MOVED, CANNOT_MOVE, ALREADY_MIGRATED, SKIPPED, FAILED)

_UNSET = object()


# --------------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class StateMap:
    """Where cases in one old state go."""

    source: str
    target: str
    stage: Any = _UNSET  # a fixed target stage (None: no stage); _UNSET: derived from the old stage
    stages: dict[str, str] = field(default_factory=dict)  # old stage -> new stage
    tasks: str | None = None  # this state's task policy; None: the plan's default


@dataclass(frozen=True)
class DefaultDef:
    name: str
    value: Any = None
    source: str | None = None  # another fact or date (read after the renames)
    required_in: frozenset[str] | None = frozenset()  # target states where it must have a value; None: all

    def required_for(self, state: str) -> bool:
        return self.required_in is None or state in self.required_in


@dataclass(frozen=True)
class CheckDef:
    kind: str  # "has" or "no_open_task"
    name: str
    states: frozenset[str] | None = None  # old states it applies to; None: all
    label: dict[str, str] | None = None


@dataclass
class MigrationPlan:
    workflow: str
    from_version: int
    to_version: int
    file: str
    states: dict[str, StateMap]
    fields: dict[str, str]
    defaults: dict[str, DefaultDef]
    tasks_default: str
    task_policies: dict[str, str]  # old state -> policy
    checks: list[CheckDef]
    old: WorkflowDef
    new: WorkflowDef

    def state_map(self, state: str) -> StateMap | None:
        """The mapping of an old state: declared, or the same name when the new version has it."""
        if state in self.states:
            return self.states[state]
        if state in self.new.states and not self.new.states[state].terminal:
            return StateMap(state, state)
        return None

    def task_policy(self, state: str) -> str:
        mapped = self.states.get(state)
        if mapped is not None and mapped.tasks:
            return mapped.tasks
        return self.task_policies.get(state, self.tasks_default)


def plan_path(new: WorkflowDef, from_version: int, to_version: int) -> Path:
    """``workflows/<name>/migrations/<from>-to-<to>.yaml``, beside the definitions."""
    return Path(new.file).parent / "migrations" / f"{from_version}-to-{to_version}.yaml"


def find_plan(engine: Engine, name: str, from_version: Any, to_version: Any) -> MigrationPlan:
    """The plan for moving ``name`` from one version to another: both versions must exist (``NotFound``) and
    differ (``Invalid``), the plan file must exist (``NotFound``) and be valid (``DefinitionError``)."""
    for key, value in (("from", from_version), ("to", to_version)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise Invalid("bad version", [Reason(
                "bad_version", f"Phiên bản {key} phải là số nguyên từ 1.", f"The {key} version must be a whole "
                "number from 1.", {"field": key, "value": value})])
    old, new = engine.workflow(name, from_version), engine.workflow(name, to_version)
    if from_version == to_version:
        raise Invalid("same version", [Reason(
            "same_version", "Phiên bản nguồn và phiên bản đích phải khác nhau.",
            "The from and to versions must differ.", {"from": from_version, "to": to_version})])
    path = plan_path(new, from_version, to_version)
    if not path.is_file():
        raise NotFound("no migration plan", [Reason(
            "no_migration_plan", f"Chưa có kế hoạch chuyển quy trình {name} từ phiên bản {from_version} sang "
            f"{to_version} ({path.parent.name}/{path.name}).",
            f"There is no plan to move {name} from version {from_version} to {to_version} "
            f"({path.parent.name}/{path.name}).", {"workflow": name, "from": from_version, "to": to_version})])
    return load_plan(path, old, new)


def recorded_names(wf: WorkflowDef) -> tuple[set[str], set[str]]:
    """(every fact or date a case of this version may hold, the dates among them)."""
    from casework.engine.effects import EFFECTS

    dates = set(wf.dates)
    for effect in EFFECTS.values():
        dates.update(effect.produces_dates)
    names = set(dates)
    for t in wf.transitions:
        for f in t.fields:
            if t.task_kind and f.name not in t.field_sets:
                continue  # a task's answer stays on the task
            target = t.target_of(f)
            names.add(target)
            if f.type == "date":
                dates.add(target)
    return names, dates


class _PlanReader:
    def __init__(self, path: Path, old: WorkflowDef, new: WorkflowDef):
        self.file, self.old, self.new = str(path), old, new
        self.old_names, self.old_dates = recorded_names(old)
        self.new_names, self.new_dates = recorded_names(new)

    def fail(self, element: str, problem: str) -> DefinitionError:
        return DefinitionError(self.file, element, problem)

    def mapping(self, raw: Any, element: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(element, "must be a mapping")
        return raw

    def only(self, raw: dict, allowed: set[str], element: str) -> None:
        unknown = sorted(str(k) for k in set(raw) - allowed)
        if unknown:
            raise self.fail(element, f"unknown key(s): {', '.join(unknown)}")

    def old_state(self, name: Any, element: str) -> str:
        if not isinstance(name, str) or name not in self.old.states:
            raise self.fail(element, f"unknown state {name} in version {self.old.version}")
        if self.old.states[name].terminal:
            raise self.fail(element, f"{name} is terminal in version {self.old.version}: closed cases keep "
                            "their version")
        return name

    def new_state(self, name: Any, element: str) -> str:
        if not isinstance(name, str) or name not in self.new.states:
            raise self.fail(element, f"unknown state {name} in version {self.new.version}")
        if self.new.states[name].terminal:
            raise self.fail(element, f"{name} is terminal in version {self.new.version}: a migration moves "
                            "open cases to open states")
        return name

    def policy(self, raw: Any, element: str) -> str:
        if raw not in TASK_POLICIES:
            raise self.fail(element, f"unknown task policy {raw} (use {' or '.join(TASK_POLICIES)})")
        return raw

    def states(self, raw: Any) -> dict[str, StateMap]:
        maps = {}
        for source, entry in self.mapping(raw, "states").items():
            element = f"states.{source}"
            self.old_state(source, element)
            if isinstance(entry, str):
                entry = {"to": entry}
            entry = self.mapping(entry, element)
            self.only(entry, {"to", "stage", "stages", "tasks"}, element)
            if "to" not in entry:
                raise self.fail(element, "missing to (the state in the new version)")
            target = self.new_state(entry["to"], f"{element}.to")
            new_stages, old_stages = self.new.states[target].stages, self.old.states[source].stages
            stage: Any = _UNSET
            if "stage" in entry:
                stage = entry["stage"]
                if stage is None and new_stages:
                    raise self.fail(f"{element}.stage", f"{target} has stages: name one of {', '.join(new_stages)}")
                if stage is not None and stage not in new_stages:
                    raise self.fail(f"{element}.stage", f"unknown stage {stage} of {target}")
            stages = {}
            for old_stage, new_stage in self.mapping(entry.get("stages"), f"{element}.stages").items():
                if old_stage not in old_stages:
                    raise self.fail(f"{element}.stages", f"unknown stage {old_stage} of {source}")
                if new_stage not in new_stages:
                    raise self.fail(f"{element}.stages.{old_stage}", f"unknown stage {new_stage} of {target}")
                stages[old_stage] = new_stage
            if stages and stage is not _UNSET:
                raise self.fail(element, "give either stage or stages, not both")
            tasks = self.policy(entry["tasks"], f"{element}.tasks") if "tasks" in entry else None
            maps[source] = StateMap(source, target, stage, stages, tasks)
        return maps

    def fields(self, raw: Any) -> dict[str, str]:
        renames = {}
        for old_name, new_name in self.mapping(raw, "fields").items():
            if old_name not in self.old_names:
                raise self.fail(f"fields.{old_name}", f"unknown fact or date {old_name} in version "
                                f"{self.old.version}")
            if not isinstance(new_name, str) or new_name not in self.new_names:
                raise self.fail(f"fields.{old_name}", f"unknown fact or date {new_name} in version "
                                f"{self.new.version}")
            renames[old_name] = new_name
        targets = Counter(renames.values())
        twice = sorted(n for n, k in targets.items() if k > 1)
        if twice:
            raise self.fail("fields", f"two fields renamed to {twice[0]}")
        return renames

    def defaults(self, raw: Any, renames: dict[str, str]) -> dict[str, DefaultDef]:
        known_sources = (self.old_names - set(renames)) | set(renames.values()) | self.new_names
        defaults = {}
        for name, entry in self.mapping(raw, "defaults").items():
            element = f"defaults.{name}"
            if name not in self.new_names:
                raise self.fail(element, f"unknown fact or date {name} in version {self.new.version}")
            if not isinstance(entry, dict):
                entry = {"value": entry}
            self.only(entry, {"value", "from", "required", "required_in"}, element)
            if "value" not in entry and "from" not in entry:
                raise self.fail(element, "give a value or from: <another fact or date>")
            source = entry.get("from")
            if source is not None and source not in known_sources:
                raise self.fail(f"{element}.from", f"unknown fact or date {source}")
            value = entry.get("value")
            if value is not None and name in self.new_dates:
                value = self.date(value, f"{element}.value")
            if "required" in entry and "required_in" in entry:
                raise self.fail(element, "give either required or required_in, not both")
            required_in: frozenset[str] | None = frozenset()
            if entry.get("required") is True:
                required_in = None
            elif entry.get("required") not in (None, False):
                raise self.fail(f"{element}.required", "must be true or false")
            elif "required_in" in entry:
                states = entry["required_in"] if isinstance(entry["required_in"], list) else [entry["required_in"]]
                for state in states:
                    if state not in self.new.states:
                        raise self.fail(f"{element}.required_in", f"unknown state {state} in version "
                                        f"{self.new.version}")
                required_in = frozenset(states)
            defaults[name] = DefaultDef(name, to_json(value), source, required_in)
        return defaults

    def date(self, raw: Any, element: str) -> str:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise self.fail(element, f"must be a date (YYYY-MM-DD), not {raw!r}") from None

    def tasks(self, raw: Any) -> tuple[str, dict[str, str]]:
        if raw is None:
            return KEEP, {}
        if isinstance(raw, str):
            return self.policy(raw, "tasks"), {}
        policies = {}
        default = KEEP
        for key, value in self.mapping(raw, "tasks").items():
            if key == "default":
                default = self.policy(value, "tasks.default")
            else:
                self.old_state(key, f"tasks.{key}")
                policies[key] = self.policy(value, f"tasks.{key}")
        return default, policies

    def checks(self, raw: Any) -> list[CheckDef]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self.fail("checks", "must be a list")
        kinds = {t.kind for s in self.old.states.values() for t in s.tasks}
        kinds |= {t.kind for tr in self.old.transitions for t in tr.creates} | {"step"}
        checks = []
        for i, entry in enumerate(raw):
            element = f"checks[{i}]"
            entry = self.mapping(entry, element)
            self.only(entry, set(CHECK_KINDS) | {"in", "label"}, element)
            present = [k for k in CHECK_KINDS if k in entry]
            if len(present) != 1:
                raise self.fail(element, f"give exactly one of {', '.join(CHECK_KINDS)}")
            kind, name = present[0], entry[present[0]]
            if kind == "has" and name not in self.old_names:
                raise self.fail(element, f"unknown fact or date {name} in version {self.old.version}")
            if kind == "no_open_task" and name not in kinds:
                raise self.fail(element, f"unknown task kind {name} in version {self.old.version}")
            states = None
            if "in" in entry:
                listed = entry["in"] if isinstance(entry["in"], list) else [entry["in"]]
                states = frozenset(self.old_state(s, f"{element}.in") for s in listed)
            label = None
            if "label" in entry:
                label = self.mapping(entry["label"], f"{element}.label")
                if set(label) != {"vi", "en"}:
                    raise self.fail(f"{element}.label", "needs both vi and en")
                label = {k: str(v) for k, v in label.items()}
            checks.append(CheckDef(kind, name, states, label))
        return checks


def load_plan(path: Path, old: WorkflowDef, new: WorkflowDef) -> MigrationPlan:
    """Read a plan and check it against the two definitions it moves cases between."""
    reader = _PlanReader(path, old, new)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise reader.fail("file", f"not valid YAML: {exc}") from exc
    raw = reader.mapping(raw, "file")
    reader.only(raw, {"workflow", "from", "to", "states", "fields", "defaults", "tasks", "checks"}, "file")
    if raw.get("workflow", new.name) != new.name:
        raise reader.fail("workflow", f"says {raw['workflow']}, but the plan is for {new.name}")
    for key, wf in (("from", old), ("to", new)):
        if raw.get(key) != wf.version:
            raise reader.fail(key, f"must be {wf.version} (the file name says so), not {raw.get(key)!r}")
    renames = reader.fields(raw.get("fields"))
    tasks_default, task_policies = reader.tasks(raw.get("tasks"))
    return MigrationPlan(workflow=new.name, from_version=old.version, to_version=new.version, file=str(path),
                         states=reader.states(raw.get("states")), fields=renames,
                         defaults=reader.defaults(raw.get("defaults"), renames), tasks_default=tasks_default,
                         task_policies=task_policies, checks=reader.checks(raw.get("checks")), old=old, new=new)


PLAN_FILE = re.compile(r"(\d+)-to-(\d+)\.yaml")


def load_plans(catalog: dict[str, dict[int, WorkflowDef]]) -> list[MigrationPlan]:
    """Every plan under each workflow's ``migrations/`` folder, checked (``casework workflow check``): a
    file not named ``<from>-to-<to>.yaml`` or naming a version the workflow lacks fails like a bad plan."""
    plans = []
    for name, versions in catalog.items():
        if not versions:
            continue
        folder = Path(next(iter(versions.values())).file).parent / "migrations"
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            match = PLAN_FILE.fullmatch(path.name)
            if match is None:
                raise DefinitionError(str(path), "file", "a migration plan is named <from>-to-<to>.yaml")
            old, new = (int(v) for v in match.groups())
            for version in (old, new):
                if version not in versions:
                    raise DefinitionError(str(path), "file", f"{name} has no version {version}")
            plans.append(load_plan(path, versions[old], versions[new]))
    return plans


# --------------------------------------------------------------------------------------------------
# Selecting cases


@dataclass(frozen=True)
class Selection:
    """Which cases: states (of the old version), units (owning cell within the subtree) and case ids; each
    key's values are alternatives, and the keys all apply."""

    states: tuple[str, ...] = ()
    units: tuple[int, ...] = ()
    cases: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, list]:
        return {"state": list(self.states), "unit": list(self.units), "case": list(self.cases)}


def _bad_where(vi: str, en: str, **params) -> Invalid:
    return Invalid("bad selection", [Reason("bad_where", vi, en, params)])


def parse_where(raw: Any) -> Selection:
    """``["state=verification", "unit=3"]`` (the command line) or ``{"state": ..., "unit": ..., "case": [...]}``
    (the API) as a Selection; anything else is ``Invalid`` with a ``bad_where`` reason."""
    pairs: list[tuple[str, Any]] = []
    if raw is None:
        return Selection()
    if isinstance(raw, dict):
        for key, value in raw.items():
            for one in value if isinstance(value, list) else [value]:
                pairs.append((key, one))
    elif isinstance(raw, (list, tuple)):
        for expr in raw:
            if not isinstance(expr, str) or "=" not in expr:
                raise _bad_where(f"Điều kiện chọn “{expr}” phải có dạng khóa=giá trị (state, unit hoặc case).",
                                 f"The selection “{expr}” must read key=value (state, unit or case).", where=expr)
            key, _, value = expr.partition("=")
            pairs.append((key.strip(), value.strip()))
    else:
        raise _bad_where("Điều kiện chọn phải là một đối tượng {state, unit, case}.",
                         "The selection must be an object {state, unit, case}.")
    found: dict[str, list] = {key: [] for key in WHERE_KEYS}
    for key, value in pairs:
        if key not in WHERE_KEYS:
            raise _bad_where(f"Không có điều kiện chọn {key} (dùng state, unit hoặc case).",
                             f"There is no selection {key} (use state, unit or case).", key=key)
        if key == "state":
            if not isinstance(value, str) or not value:
                raise _bad_where("state phải là tên một trạng thái.", "state must be the name of a state.",
                                 key=key)
            found[key].append(value)
        else:
            parsed = parse_id(value)
            if parsed is None:
                raise _bad_where(f"{key} phải là mã số (số nguyên dương).", f"{key} must be an id (a whole number).",
                                 key=key, value=value if isinstance(value, (str, int)) else str(value))
            found[key].append(parsed)
    return Selection(tuple(found["state"]), tuple(found["unit"]), tuple(found["case"]))


def admin_units(session: Session, user: User) -> list[Unit]:
    return [session.get(Unit, r.unit_id) for r in user.roles if r.role == ADMIN_ROLE]


def require_admin(session: Session, user: User) -> list[Unit]:
    """The units where this person administers; none: ``PermissionDenied``."""
    units = admin_units(session, user)
    if not units:
        raise PermissionDenied("administrators only", [Reason(
            "admin_only", "Chỉ quản trị viên mới được chuyển hồ sơ sang phiên bản quy trình khác.",
            "Only an administrator may move cases to another workflow version.", {"role": ADMIN_ROLE})])
    return units


def select_case_ids(session: Session, plan: MigrationPlan, selection: Selection,
                    scope: list[Unit] | None = None) -> list[int]:
    """Ids of the cases the selection names: open cases on the plan's old version (a case named by id is
    selected whatever its version or state, so the report can say why it is not moved), owning cell within
    ``scope`` (an administrator's subtrees) when given."""
    for state in selection.states:
        if state not in plan.old.states:
            raise _bad_where(f"Phiên bản {plan.from_version} không có trạng thái {state}.",
                             f"Version {plan.from_version} has no state {state}.", key="state", value=state)
    cell = aliased(Unit)
    query = (sa.select(Case.id).join(cell, cell.id == Case.owning_cell_id)
             .where(Case.workflow == plan.workflow).order_by(Case.id))
    if selection.cases:
        query = query.where(Case.id.in_(selection.cases))
    else:
        query = query.where(Case.workflow_version == plan.from_version, Case.closed_on.is_(None))
    if selection.states:
        query = query.where(Case.state.in_(selection.states))
    if selection.units:
        units = []
        for unit_id in selection.units:
            unit = session.get(Unit, unit_id)
            if unit is None:
                raise _bad_where(f"Không có đơn vị {unit_id}.", f"There is no unit {unit_id}.", key="unit",
                                 value=unit_id)
            units.append(unit)
        query = query.where(sa.or_(*(within(cell.path, u) for u in units)))
    if scope is not None:
        query = query.where(sa.or_(*(within(cell.path, u) for u in scope)) if scope else sa.false())
    return list(session.scalars(query))


# --------------------------------------------------------------------------------------------------
# Planning one case


@dataclass
class CaseMove:
    """What happens (or would, or cannot) to one case."""

    case_id: int
    outcome: str
    from_state: str | None = None
    from_stage: str | None = None
    to_state: str | None = None
    to_stage: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)  # old name -> new name (names with a value)
    defaulted: dict[str, Any] = field(default_factory=dict)  # name -> value given
    tasks_kept: list[dict] = field(default_factory=list)
    tasks_cancelled: list[dict] = field(default_factory=list)
    tasks_created: list[dict] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    event_seq: int | None = None
    # Not reported: what the move writes.
    changes: dict[str, Any] = field(default_factory=dict, repr=False)
    _keep: list[Task] = field(default_factory=list, repr=False)
    _cancel: list[Task] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "outcome": self.outcome,
                "from": {"state": self.from_state, "stage": self.from_stage},
                "to": {"state": self.to_state, "stage": self.to_stage},
                "renamed": dict(self.renamed), "defaulted": dict(self.defaulted),
                "tasks": {"kept": list(self.tasks_kept), "cancelled": list(self.tasks_cancelled),
                          "created": list(self.tasks_created)},
                "reasons": [r.as_dict() for r in self.reasons], "event_seq": self.event_seq}


def _task_json(task: Task) -> dict[str, Any]:
    return {"id": task.id, "kind": task.kind, "role": task.role, "unit_id": task.unit_id}


def _value(case: Case, name: str) -> Any:
    dates = case.dates or {}
    if name in dates:
        return dates[name]
    return (case.facts or {}).get(name)


def _put(changes: dict[str, Any], name: str, value: Any, dates: Collection[str]) -> None:
    if name in dates:
        changes.setdefault("dates", {})[name] = value
    else:
        changes.setdefault("facts", {})[name] = value


def _unset(changes: dict[str, Any], name: str, dates: Collection[str]) -> None:
    if name in dates:
        changes.setdefault("dates", {})[name] = None
    else:
        changes.setdefault("unset_facts", []).append(name)


def _state_label(wf: WorkflowDef, state: str) -> dict[str, str]:
    return wf.states[state].label if state in wf.states else {"vi": state, "en": state}


def _target(plan: MigrationPlan, case: Case, move: CaseMove) -> tuple[str, str | None] | None:
    mapped = plan.state_map(case.state)
    if mapped is None:
        label = _state_label(plan.old, case.state)
        move.reasons.append(Reason(
            "state_unmapped", f"Trạng thái “{label['vi']}” không có (hoặc đã là trạng thái kết thúc) trong phiên "
            f"bản {plan.to_version} và kế hoạch không chỉ định trạng thái thay thế.", f"The state “{label['en']}” "
            f"is not an open state of version {plan.to_version} and the plan maps it nowhere.",
            {"state": case.state, "to": plan.to_version}))
        return None
    new_stages = plan.new.states[mapped.target].stages
    if mapped.stage is not _UNSET:
        return mapped.target, mapped.stage
    if case.stage in mapped.stages:
        return mapped.target, mapped.stages[case.stage]
    if not new_stages:
        return mapped.target, None
    if case.stage in new_stages:
        return mapped.target, case.stage
    if case.stage is None:
        return mapped.target, new_stages[0]
    move.reasons.append(Reason(
        "stage_unmapped", f"Bước “{case.stage}” không có trong trạng thái {mapped.target} của phiên bản "
        f"{plan.to_version} và kế hoạch không chỉ định bước thay thế.", f"The stage “{case.stage}” is not a stage "
        f"of {mapped.target} in version {plan.to_version} and the plan maps it nowhere.",
        {"state": case.state, "stage": case.stage, "to_state": mapped.target}))
    return None


def _checks(plan: MigrationPlan, case: Case, move: CaseMove) -> None:
    for check in plan.checks:
        if check.states is not None and case.state not in check.states:
            continue
        if check.kind == "has" and _value(case, check.name) in (None, "", []):
            vi = check.label["vi"] if check.label else f"Hồ sơ chưa có {check.name}."
            en = check.label["en"] if check.label else f"The case has no {check.name} yet."
            move.reasons.append(Reason("check_failed", vi, en, {"check": "has", "name": check.name}))
        if check.kind == "no_open_task" and any(t.kind == check.name for t in open_tasks(case)):
            vi = check.label["vi"] if check.label else f"Hồ sơ còn việc {check.name} đang mở."
            en = check.label["en"] if check.label else f"The case still has an open {check.name} task."
            move.reasons.append(Reason("check_failed", vi, en, {"check": "no_open_task", "name": check.name}))


def _fields(plan: MigrationPlan, case: Case, move: CaseMove, state: str) -> None:
    changes = move.changes
    values = {}  # what the case holds after the renames
    for old_name, new_name in plan.fields.items():
        value = _value(case, old_name)
        if value is None:
            continue
        existing = _value(case, new_name)
        if existing is not None and existing != value and new_name not in plan.fields:
            move.reasons.append(Reason(
                "rename_conflict", f"Không thể đổi {old_name} thành {new_name}: hồ sơ đã có {new_name} với giá trị "
                "khác.", f"Cannot rename {old_name} to {new_name}: the case already holds a different "
                f"{new_name}.", {"field": old_name, "to": new_name}))
            continue
        _unset(changes, old_name, plan.old.dates)
        values[new_name] = value
        move.renamed[old_name] = new_name
    for new_name, value in values.items():
        _put(changes, new_name, value, plan.new.dates)
        if new_name in changes.get("unset_facts", []):
            changes["unset_facts"].remove(new_name)

    def current(name: str) -> Any:
        if name in values:
            return values[name]
        if name in plan.fields and name in move.renamed:
            return None  # renamed away
        return _value(case, name)

    for default in plan.defaults.values():
        if current(default.name) not in (None, ""):
            continue
        value = current(default.source) if default.source else None
        if value in (None, ""):
            value = default.value
        if value in (None, ""):
            if default.required_for(state):
                move.reasons.append(Reason(
                    "default_unavailable", f"Không xác định được {default.name}"
                    + (f": hồ sơ chưa có {default.source}." if default.source else "."),
                    f"{default.name} cannot be set" + (f": the case has no {default.source}." if default.source
                                                       else "."),
                    {"field": default.name, "from": default.source, "state": state}))
            continue
        _put(changes, default.name, value, plan.new.dates)
        move.defaulted[default.name] = value


def _task_has_place(plan: MigrationPlan, task: Task, state: str, stage: str | None) -> bool:
    """Whether someone can still answer a kept task in the new state: a step task needs the new state to
    route a step to the same role; a task kind of the old version needs a step of the new state completing
    it; the engine's own tasks (escalation copies) go anywhere."""
    new_state = plan.new.states[state]
    if task.kind == "step":
        return any(t.kind == "step" and t.role == task.role for t in new_state.tasks)
    old_kinds = {t.kind for s in plan.old.states.values() for t in s.tasks}
    old_kinds |= {t.kind for tr in plan.old.transitions for t in tr.creates}
    if task.kind not in old_kinds:
        return True
    return any(t.task_kind == task.kind for t in plan.new.transitions_from(state, stage))


def _tasks(plan: MigrationPlan, case: Case, move: CaseMove, state: str, stage: str | None) -> None:
    waiting = open_tasks(case)
    if plan.task_policy(case.state) == CANCEL_AND_RECREATE:
        move._cancel = waiting
        move.tasks_cancelled = [_task_json(t) for t in waiting]
        move.tasks_created = [{"kind": t.kind, "role": t.role, "routing": list(t.routing)}
                              for t in plan.new.states[state].tasks_on_entry(stage)]
        return
    move._keep = waiting
    move.tasks_kept = [_task_json(t) for t in waiting]
    for task in waiting:
        if not _task_has_place(plan, task, state, stage):
            move.reasons.append(Reason(
                "task_has_no_place", f"Việc {task.kind} ({task.role}) đang mở không còn chỗ trong trạng thái {state} "
                f"của phiên bản {plan.to_version}; hãy dùng cancel_and_recreate.", f"The open task {task.kind} "
                f"({task.role}) has no place in state {state} of version {plan.to_version}; use "
                "cancel_and_recreate.", {"task_id": task.id, "kind": task.kind, "state": state}))


def plan_case(plan: MigrationPlan, case: Case) -> CaseMove:
    """What moving this case would do, or every reason it cannot move; writes nothing."""
    move = CaseMove(case.id, WOULD_MOVE, case.state, case.stage)
    if case.workflow != plan.workflow or case.workflow_version != plan.from_version:
        if case.workflow == plan.workflow and case.workflow_version == plan.to_version:
            move.outcome = ALREADY_MIGRATED
        else:
            move.outcome = SKIPPED
            move.reasons.append(Reason(
                "other_version", f"Hồ sơ theo phiên bản {case.workflow_version} của quy trình {case.workflow}, "
                f"không phải phiên bản {plan.from_version}.", f"The case follows version {case.workflow_version} "
                f"of {case.workflow}, not version {plan.from_version}.", {"version": case.workflow_version}))
        return move
    if not case.is_open:
        move.outcome = SKIPPED
        move.reasons.append(Reason("case_closed", "Hồ sơ đã kết thúc: giữ nguyên phiên bản.",
                                   "The case is closed: it keeps its version.", {"state": case.state}))
        return move
    target = _target(plan, case, move)
    _checks(plan, case, move)
    if target is not None:
        state, stage = target
        move.to_state, move.to_stage = state, stage
        _fields(plan, case, move, state)
        _tasks(plan, case, move, state, stage)
    if move.reasons:
        move.outcome = CANNOT_MOVE
    return move


# --------------------------------------------------------------------------------------------------
# Moving one case


def _write(session: Session, engine: Engine, plan: MigrationPlan, case: Case, move: CaseMove,
           actor: tuple[User, str, int | None]) -> None:
    """The move, in the caller's transaction: the case moved, the tasks decided, then the ``migrate`` event
    (written last, whole: events are never changed once written, and it names the tasks created)."""
    user, role, unit_id = actor
    now, today = engine.now(), engine.today()
    seq = next_event_seq(case)
    case.last_event_seq = seq
    from_state, left = case.state, (case.state_seq, case.state_entered_at)
    changes = {"workflow_version": plan.to_version, **move.changes}
    if move.to_state != case.state:
        changes["state"], changes["state_seq"] = move.to_state, seq
    if move.to_stage != case.stage:
        changes["stage"] = move.to_stage
    apply_changes(case, changes, now)  # the case's workflow_version too
    case.updated_at = now
    for task in move._keep:
        task.state = case.state
        task.entry_seq = case.state_seq
        if (task.subject or {}).get("stage", case.stage) != case.stage:
            task.subject = {**task.subject, "stage": case.stage}
    created = []
    if plan.task_policy(move.from_state) == CANCEL_AND_RECREATE:
        close_tasks(move._cancel, actor_role=None, user_id=user.id, now=now)  # cancelled: nobody's step was done
        created = create_tasks(session, case, plan.new.states[case.state].tasks_on_entry(case.stage),
                               today=today, rules=engine.rules, now=now)
        session.flush()  # the new tasks' ids, for the event
    move.tasks_created = [_task_json(t) for t in created]
    move.event_seq = seq
    data = {"label": MIGRATE_LABEL, "plan": _plan_name(plan),
            "from": {"version": plan.from_version, "state": move.from_state, "stage": move.from_stage},
            "to": {"version": plan.to_version, "state": move.to_state, "stage": move.to_stage},
            "renamed": move.renamed, "defaulted": move.defaulted,
            "tasks": {"kept": [t["id"] for t in move.tasks_kept],
                      "cancelled": [t["id"] for t in move.tasks_cancelled],
                      "created": [t["id"] for t in move.tasks_created]}}
    event = Event(case=case, seq=seq, trigger=MIGRATE_TRIGGER, from_state=from_state, to_state=case.state,
                  actor_id=user.id, actor_role=role, actor_unit_id=unit_id, occurred_at=now, data=to_json(data),
                  changes=changes, flags=[])
    session.add(event)
    hooks.step_taken(session, Step(event, case, None, *left))  # monitoring's visits and tallies


def _plan_name(plan: MigrationPlan) -> str:
    path = Path(plan.file)
    return f"{path.parent.name}/{path.name}"


def _actor_unit(session: Session, case: Case, units: list[Unit]) -> int | None:
    cell = session.get(Unit, case.owning_cell_id)
    inside = [u for u in units if cell is not None and cell.is_within(u)]
    return max(inside, key=lambda u: len(u.path)).id if inside else None


def _migrate_one(session: Session, engine: Engine, plan: MigrationPlan, case_id: int, user: User,
                 units: list[Unit]) -> CaseMove:
    case = session.get(Case, case_id)
    if case is None:
        return CaseMove(case_id, SKIPPED, reasons=[Reason("no_such_case", "Không có hồ sơ này.", "There is no such "
                                                          "case.", {"case_id": case_id})])
    lock_case(session, case)  # a step on the case waits for this transaction, then finds itself stale
    move = plan_case(plan, case)
    if move.outcome != WOULD_MOVE:
        session.rollback()
        return move
    _write(session, engine, plan, case, move, (user, ADMIN_ROLE, _actor_unit(session, case, units)))
    session.commit()
    move.outcome = MOVED
    return move


# --------------------------------------------------------------------------------------------------
# The whole run


@dataclass
class MigrationReport:
    workflow: str
    from_version: int
    to_version: int
    dry_run: bool
    plan: str
    selection: Selection
    cases: list[CaseMove] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        counts = Counter(m.outcome for m in self.cases)
        reasons = Counter(r.code for m in self.cases if m.outcome in (CANNOT_MOVE, FAILED) for r in m.reasons)
        return {**{outcome: counts.get(outcome, 0) for outcome in OUTCOMES}, "total": len(self.cases),
                "reasons": dict(sorted(reasons.items()))}

    def as_dict(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "from": self.from_version, "to": self.to_version, "dry_run": self.dry_run,
                "plan": self.plan, "where": self.selection.as_dict(), "summary": self.summary(),
                "cases": [m.as_dict() for m in self.cases]}


def migrate(*, session: Session, engine: Engine, plan: MigrationPlan, selection: Selection | None = None,
            user: User | None = None, dry_run: bool = True, scoped: bool = True) -> MigrationReport:
    """Plan (``dry_run``) or move every selected case, each in its own transaction; returns the report.

    Moving needs ``user``, an administrator: the history names them, and (``scoped``) only cases whose owning
    cell lies within a unit they administer are selected. A dry run writes nothing; with ``user`` it is scoped
    the same way."""
    selection = selection or Selection()
    units = require_admin(session, user) if user is not None else []
    if not dry_run and user is None:
        raise PermissionDenied("an administrator must be named", [Reason(
            "actor_required", "Cần chỉ định quản trị viên thực hiện việc chuyển.",
            "Name the administrator who moves the cases.")])
    ids = select_case_ids(session, plan, selection, units if (user is not None and scoped) else None)
    session.rollback()  # end the reading transaction: each case has its own
    report = MigrationReport(plan.workflow, plan.from_version, plan.to_version, dry_run,
                             _plan_name(plan), selection)
    for case_id in ids:
        if dry_run:
            case = session.get(Case, case_id)
            report.cases.append(plan_case(plan, case))
            session.rollback()
            continue
        report.cases.append(_attempt(session, engine, plan, case_id, user, units))
    return report


def _attempt(session: Session, engine: Engine, plan: MigrationPlan, case_id: int, user: User,
             units: list[Unit]) -> CaseMove:
    """One case's transaction; whatever goes wrong is rolled back and reported, and the run goes on."""
    try:
        return _migrate_one(session, engine, plan, case_id, user, units)
    except EngineError as exc:
        session.rollback()
        return CaseMove(case_id, FAILED, reasons=exc.reasons or [_failure(exc)])
    except Exception as exc:  # noqa: BLE001 - one case's failure must not stop the others
        session.rollback()
        if is_lost_race(exc):
            return CaseMove(case_id, FAILED, reasons=[Reason(
                "concurrent_update", "Hồ sơ vừa được người khác cập nhật cùng lúc; hãy chạy lại.",
                "Someone else changed the case at the same moment; run the migration again.", {"case_id": case_id})])
        log.exception("migrating case %s failed", case_id)
        return CaseMove(case_id, FAILED, reasons=[_failure(exc)])


def _failure(exc: BaseException) -> Reason:
    return Reason("migration_failed", f"Không chuyển được hồ sơ: {exc}", f"The case could not be moved: {exc}",
                  {"error": type(exc).__name__})
