"""The simulated step writer: the rows the engine would write for a step, worked out without a session, for
bulk loading (``casework.monitoring.synthetic``).

A workflow's scenario (its package's ``simulation``) decides which step follows, when, with which submitted
values and by whom; this writer turns each step into the event, the case's projection, the tasks closed and
opened and the state visits exactly as the engine and monitoring's upkeep write them, by running the engine's
own pure code on a stand-in for the case: ``step_changes`` (the destination through the workflow's machine and
its conditions, the first stage, ``closed_on`` for terminal states, the recorded dates and facts, the registered
effects), the transitions' flags, ``apply_changes`` (the projection), ``close_tasks`` and ``follow_up_tasks``,
the tasks each state, stage and transition declares and their due rules. Only two things are not the engine's
code: working days come from a precomputed calendar (the engine's calendar, walked once), and routing targets
that need the database (a committee where someone lives, the organizing department) are looked up in the
places the scenario gives each case. Guards are not checked: the scenario submits values that pass them.

``tests/monitoring/test_generator_matches_engine.py`` holds the writer to what the engine writes.
"""

from __future__ import annotations

import bisect
import operator
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from casework.engine import Engine
from casework.engine.calendar import is_working_day
from casework.engine.context import StepContext
from casework.engine.definition import DueDef, TaskDef, TransitionDef, WorkflowDef, current_version
from casework.engine.effects import EFFECTS, Effect
from casework.engine.fields import to_json
from casework.engine.flags import run_flag
from casework.engine.machine import destination
from casework.engine.projection import apply_changes
from casework.engine.routing import CONDITIONS, TARGETS, Routed
from casework.engine.rules import Rules
from casework.engine.step import first_stage, recorded_changes, step_changes
from casework.engine.tasks import close_tasks, follow_up_tasks, open_tasks
from casework.localtime import LOCAL_TZ, local_date
from casework.models import Case, Event, StateVisit, Task, TaskStatus
from casework.models.monitoring import visit_days

# The case row's columns a scenario gives when the case opens (its subject, units and source).
CASE_COLUMNS = tuple(c.name for c in Case.__table__.columns)

# The task statuses as the column stores them, read once (an enum member's ``value`` is a Python-level lookup).
OPEN, DONE = TaskStatus.OPEN.value, TaskStatus.DONE.value
STATUS_TEXT = {status: status.value for status in TaskStatus}

# Submitted values ``to_json`` returns as they are: most of a step's values are text and numbers.
PLAIN = frozenset({str, int, float, bool, type(None)})


def json_values(values: dict[str, Any]) -> dict[str, Any]:
    """``to_json(values)`` (what the history stores), without a call for every plain value."""
    return {name: value if type(value) in PLAIN else to_json(value) for name, value in values.items()}


class WorkingDays:
    """Working-day arithmetic over a precomputed list of the engine's working days (``add_working_days``
    without walking the holiday calendar for every task)."""

    def __init__(self, start: date, end: date):
        self.days: list[date] = []
        # Every calendar day's position among the working days (the first working day after it), so a due date
        # is a dict lookup rather than a search: a batch asks for some 120,000.
        self.after: dict[date, int] = {}
        day = start
        while day <= end:
            if is_working_day(day):
                self.days.append(day)
            self.after[day] = len(self.days)
            day += timedelta(days=1)

    def add(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself does not count), as the engine's."""
        if n == 0:
            return start
        index = self.after.get(start)
        if index is None:  # outside the calendar's span
            index = bisect.bisect_right(self.days, start)
        return self.days[min(index + n - 1, len(self.days) - 1)]


class Row(dict):
    """A row to write, whose columns read and write as attributes too, so the engine's task functions
    (``close_tasks``, ``open_tasks``) work on it."""

    __slots__ = ()
    __getattr__ = dict.__getitem__  # a missing column is a KeyError
    __setattr__ = dict.__setitem__


# ``__getattr__`` is asked only after the ordinary lookup has failed, which costs some 0.3 µs a read, and the engine's
# task functions read a task's kind, status and role several times a step: the columns of the tables written
# with rows are properties instead, found at once (those a dict's own attributes would hide are left alone).
for _column in {c.name for m in (Event, StateVisit, Task) for c in m.__table__.columns} - set(dir(dict)):
    setattr(Row, _column, property(operator.itemgetter(_column)))


class _Probe:
    """A stand-in value, to see where ``recorded_changes`` puts a field."""

    __slots__ = ()


class SimCase:
    """The case as a step sees it, without a session: the case row's columns, its open tasks (``tasks``: the
    engine's task functions look only at the open ones, so closed ones leave the list; ``all_tasks`` keeps every
    task in the order it was opened), and the places its package's routing targets would find in the database
    (``places``: target -> routed places)."""

    date = Case.date  # the same reading of a key date (declared dates, or older facts)

    def __init__(self, columns: dict[str, Any], places: dict[str, list[Routed]] | None = None):
        self.__dict__.update(dict.fromkeys(CASE_COLUMNS))
        self.__dict__.update(columns)
        self.tasks: list[Row] = []
        self.all_tasks: list[Row] = []
        self.places = places or {}
        self.visit: Row | None = None

    def row(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in CASE_COLUMNS}


@dataclass
class StepWriter:
    """Turns steps into rows: ``start`` a case, ``step`` it, ``finish`` it (the case row). ``ids`` hands out
    row ids per table (``take(table)``); ``add(table, row)`` buffers a row for writing."""

    ids: Any
    add: Callable[[str, dict[str, Any]], None]
    engine: Engine  # the definitions (every version) and the rules
    calendar: WorkingDays
    _destinations: dict[tuple, str] = field(default_factory=dict, repr=False)
    _transitions: dict[tuple, TransitionDef] = field(default_factory=dict, repr=False)
    _versions: dict[tuple, WorkflowDef] = field(default_factory=dict, repr=False)
    _recorded: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict, repr=False)
    _on_entry: dict[tuple, list[TaskDef]] = field(default_factory=dict, repr=False)
    _conditions: dict[int, tuple] = field(default_factory=dict, repr=False)
    _moment: datetime | None = field(default=None, repr=False)
    _day: date | None = field(default=None, repr=False)

    @property
    def rules(self) -> Rules:
        return self.engine.rules

    def day_of(self, moment: datetime) -> date:
        """``local_date(moment)``, remembered for the last moment asked: a scenario asks for a step's day (for its
        values), then the step asks again."""
        if moment is not self._moment:
            # an aware instant converts straight to local time (local_date first reads it as UTC)
            self._moment, self._day = moment, (moment.astimezone(LOCAL_TZ).date() if moment.tzinfo
                                               else local_date(moment))
        return self._day

    def workflow_on(self, name: str, day: date) -> WorkflowDef:
        """The version a case of the workflow opened on ``day`` starts on (and keeps)."""
        return current_version(self.engine.workflows[name], day)

    def workflow_of(self, case: SimCase) -> WorkflowDef:
        key = (case.workflow, case.workflow_version)
        wf = self._versions.get(key)
        if wf is None:
            wf = self._versions[key] = self.engine.workflow(*key)
        return wf

    # -- the case -------------------------------------------------------------------------------------------
    def start(self, wf: WorkflowDef, columns: dict[str, Any], values: dict[str, Any], moment: datetime, *,
              actor_role: str | None = None, subject_fields: frozenset[str] = frozenset(),
              places: dict[str, list[Routed]] | None = None, attributes: dict[str, Any] | None = None) -> SimCase:
        """Open a case (``columns``: what the package's ``open_case`` gives: subject, units, source …) with its
        start step, as ``casework.engine.service.start_case`` does. ``attributes``: what the package's guards,
        effects and flags read on a case beyond its columns (the subject its package maps onto ``Case``)."""
        today = local_date(moment)
        case = SimCase({"id": self.ids.take("cases"), "workflow": wf.name, "workflow_version": wf.version,
                        "state": wf.initial, "stage": None, "state_seq": 1, "last_event_seq": 0, "version": 0,
                        "opened_on": today, "facts": {}, "dates": {}, "created_at": moment,
                        "updated_at": moment, "state_entered_at": moment, **columns}, places)
        case.__dict__.update(attributes or {})
        tdef = wf.start_transition
        changes = {"workflow_version": wf.version, "state": wf.initial, "state_seq": 1,
                   "stage": first_stage(wf, wf.initial)}
        changes.update(recorded_changes(tdef, values, wf.dates, skip=subject_fields))
        self._write(wf, case, tdef, values, moment, self._actor(case, tdef, actor_role, None), None, changes,
                    today)
        return case

    def step(self, case: SimCase, trigger: str, values: dict[str, Any], moment: datetime, *,
             actor_role: str | None = None, task: Row | None = None,
             effects: Mapping[str, Effect] | None = None) -> Row:
        """Take one step (``task``: the open task a task step answers); the event written. ``effects`` stand in
        for registered effects of the same name (one that makes rows in the database, which the writer has not,
        replaced by one recording what the scenario made of them)."""
        wf = self.workflow_of(case)
        tdef = self.transition(wf, case, trigger)
        today = self.day_of(moment)
        data = json_values(values)
        if tdef.effects or tdef.flags:  # the engine's step_changes and flags, which read the step's context
            ctx = self.context(wf, tdef, case, values, today, task)
            changes = self.changes(ctx, effects)
            flags = self.flags(ctx) if tdef.flags else []
        else:
            changes, flags = self.plain_changes(wf, tdef, case, values, data, today, task), []
        return self._write(wf, case, tdef, values, moment, self._actor(case, tdef, actor_role, task), task,
                           changes, today, flags, data)

    def context(self, wf: WorkflowDef, tdef: TransitionDef, case: SimCase, values: dict[str, Any], today: date,
                task: Row | None) -> StepContext:
        return StepContext(session=None, workflow=wf, transition=tdef, case=case, user=None, rules=self.rules,
                           today=today, data=values, task=task, add_working_days=self.calendar.add)

    def plain_changes(self, wf: WorkflowDef, tdef: TransitionDef, case: SimCase, values: dict[str, Any],
                      data: dict[str, Any], today: date, task: Row | None) -> dict[str, Any]:
        """``step_changes`` for a transition without effects, from what is worked out once per transition: the
        destination (remembered as ``destination`` does) and where each submitted value is recorded
        (``recorded``); ``data``: the values as the history stores them."""
        changes: dict[str, Any] = {}
        if tdef.changes_state:
            dest = self._destinations.get(self.destination_key(tdef, case))
            if dest is None:
                dest = self.destination(wf, self.context(wf, tdef, case, values, today, task))
            changes["state"] = dest
            changes["stage"] = first_stage(wf, dest)
            if wf.is_terminal(dest):
                changes["closed_on"] = today.isoformat()
        for name, bucket, target in self.recorded(wf, tdef):
            if name in values:
                changes.setdefault(bucket, {})[target] = data[name]
        return changes

    def recorded(self, wf: WorkflowDef, tdef: TransitionDef) -> list[tuple[str, str, str]]:
        """Where the engine's ``recorded_changes`` keeps each of the transition's fields: (field, "dates" or
        "facts", name), in field order, asked once per field with a stand-in value."""
        plan = self._recorded.get(id(tdef))
        if plan is None:
            plan = []
            for fdef in tdef.fields:
                probe = _Probe()
                for bucket, kept in recorded_changes(tdef, {fdef.name: probe}, wf.dates).items():
                    plan.extend((fdef.name, bucket, target) for target, value in kept.items() if value is probe)
            self._recorded[id(tdef)] = plan
        return plan

    def changes(self, ctx: StepContext, effects: Mapping[str, Effect] | None = None) -> dict[str, Any]:
        """The engine's ``step_changes``, with the destination remembered per transition, state and conditions
        (the machine's answer for the same inputs is the same), and the step's stand-in effects."""
        return step_changes(ctx, destination_of=self.destination,
                            effects=EFFECTS if not effects else ChainMap(effects, EFFECTS))

    def destination(self, wf: WorkflowDef, ctx: StepContext) -> str:
        key = self.destination_key(ctx.transition, ctx.case)
        dest = self._destinations.get(key)
        if dest is None:
            dest = self._destinations[key] = destination(wf, ctx)
        return dest

    def destination_key(self, tdef: TransitionDef, case: SimCase) -> tuple:
        """What the machine's answer depends on: the transition, the state and its destinations' conditions
        (the conditions' functions found once per transition; most transitions have none)."""
        conditions = self._conditions.get(id(tdef))
        if conditions is None:
            conditions = self._conditions[id(tdef)] = tuple(CONDITIONS[d.when] for d in tdef.destinations if d.when)
        return (id(tdef), case.state, tuple([check(None, case) for check in conditions]) if conditions else ())

    def flags(self, ctx: StepContext) -> list[dict[str, Any]]:
        """The transition's flags by the engine's checks, their working days on the precomputed calendar."""
        found = [run_flag(d.check, d.params, ctx) for d in ctx.transition.flags]
        return [f.as_dict() for f in found if f is not None]

    def finish(self, case: SimCase) -> dict[str, Any]:
        """The case row, as the steps left it."""
        row = case.row()
        self.add("cases", row)
        return row

    def transition(self, wf: WorkflowDef, case: SimCase, trigger: str) -> TransitionDef:
        """The step of that trigger in the case's state and stage (remembered: the definitions do not change)."""
        key = (id(wf), case.state, case.stage, trigger)
        tdef = self._transitions.get(key)
        if tdef is None:
            tdef = next((t for t in wf.transitions_from(case.state, case.stage) if t.trigger == trigger), None)
            if tdef is None:
                raise ValueError(f"{trigger} cannot be taken in {case.state} ({case.stage})")
            self._transitions[key] = tdef
        return tdef

    # -- the step -------------------------------------------------------------------------------------------
    def _actor(self, case: SimCase, tdef: TransitionDef, role: str | None, task: Row | None) -> tuple[str, int]:
        """Whom the step is taken as: the task's holder, else the transition's actor of that role (the first
        one when no role is said) at the place its routing names."""
        if tdef.actor_is_task:
            return task.role, task.unit_id
        actor = next((a for a in tdef.actors if a.role == role), None) if role else tdef.actors[0]
        if actor is None:
            raise ValueError(f"{tdef.trigger} is not taken by {role}")
        places = self.places(case, actor.routing)
        return actor.role, places[0].unit_id if places else None

    def _write(self, wf: WorkflowDef, case: SimCase, tdef: TransitionDef, values: dict[str, Any], now: datetime,
               actor: tuple[str, int], task: Row | None, changes: dict[str, Any], today: date,
               flags: list | None = None, data: dict[str, Any] | None = None) -> Row:
        """``casework.engine.step._write`` and ``_route`` on the stand-in, and the visit upkeep writes."""
        seq = case.last_event_seq + 1
        case.last_event_seq = seq
        case.version += 1
        from_state = case.state if seq > 1 else None
        if "state" in changes:
            changes["state_seq"] = seq
        old_stage = case.stage
        leaving = open_tasks(case) if "state" in changes and from_state is not None else []
        if data is None:
            data = json_values(values)
        event = Row(id=self.ids.take("events"), case_id=case.id, seq=seq, trigger=tdef.trigger,
                    from_state=from_state, to_state=changes.get("state", case.state), actor_id=None,
                    actor_role=actor[0], actor_unit_id=actor[1], task_id=task.id if task else None,
                    occurred_at=now, data=data, changes=changes, flags=flags or [])
        self.add("events", event)
        apply_changes(case, changes, now)
        case.updated_at = now
        if task is not None:
            task.update(status=DONE, outcome=data, completed_at=now)
        self._route(wf, case, tdef, actor, event, leaving, old_stage, today, task)
        if event.from_state != event.to_state:
            self._visit(case, event)
        return event

    def _route(self, wf: WorkflowDef, case: SimCase, tdef: TransitionDef, actor: tuple[str, int], event: Row,
               leaving: list[Row], old_stage: str | None, today: date, task: Row | None) -> None:
        now = event.occurred_at
        if "state" in event.changes:
            self._close(leaving, actor[0], now)
            if not wf.is_terminal(case.state):
                self.open(case, self.on_entry(wf, case), today, now)
        elif case.stage != old_stage:
            self._close([t for t in open_tasks(case) if t.kind == "step"], actor[0], now)
            self.open(case, self.on_entry(wf, case), today, now)
        if task is not None:
            self.open(case, follow_up_tasks(wf, case, task.kind), today, now)
        if tdef.creates:
            self.open(case, tdef.creates, today, now)
        case.tasks = open_tasks(case)

    @staticmethod
    def _close(tasks: list[Row], role: str, now: datetime) -> None:
        close_tasks(tasks, actor_role=role, user_id=None, now=now)
        for closed in tasks:
            closed["status"] = STATUS_TEXT[closed["status"]]  # the enum's text, as the column stores it

    def on_entry(self, wf: WorkflowDef, case: SimCase) -> list[TaskDef]:
        """The tasks the case's state opens on entering its stage (remembered per workflow, state and stage)."""
        key = (id(wf), case.state, case.stage)
        defs = self._on_entry.get(key)
        if defs is None:
            defs = self._on_entry[key] = wf.states[case.state].tasks_on_entry(case.stage)
        return defs

    def _visit(self, case: SimCase, event: Row) -> None:
        """What monitoring's upkeep writes for a state-changing event: the open visit closed, the next opened."""
        if case.visit is not None:
            entered, left = case.visit["entered_at"], event.occurred_at
            # visit_days: aware instants subtract as their UTC readings do
            days = round((left - entered).total_seconds() / 86400, 4) if entered.tzinfo and left.tzinfo \
                else visit_days(entered, left)
            case.visit.update(left_seq=event.seq, left_at=left, next_state=event.to_state, days=days)
        case.visit = Row(id=self.ids.take("state_visits"), case_id=case.id, owning_cell_id=case.owning_cell_id,
                         state=event.to_state, entered_seq=event.seq, entered_at=event.occurred_at, left_seq=None,
                         left_at=None, next_state=None, days=None)
        self.add("state_visits", case.visit)

    # -- tasks ----------------------------------------------------------------------------------------------
    def open(self, case: SimCase, defs, today: date, now: datetime) -> list[Row]:
        """``casework.engine.tasks.create_tasks``: one task per place each definition routes to."""
        created: list[Row] = []
        if not defs:  # most steps open nothing besides their state's tasks
            return created
        take, add = self.ids.take, self.add
        case_id, state, stage, seq = case.id, case.state, case.stage, case.state_seq
        for task_def in defs:
            due = self.due_date(task_def.due, case, today)
            for routed in self.resolve(case, task_def):
                task = Row(id=take("tasks"), case_id=case_id, kind=task_def.kind, state=state,
                           role=routed.role or task_def.role, unit_id=routed.unit_id,
                           status=OPEN, subject={"stage": stage, **routed.subject},
                           entry_seq=seq, due_date=due,
                           created_at=now, completed_at=None, completed_by_id=None, outcome={})
                case.tasks.append(task)
                case.all_tasks.append(task)
                add("tasks", task)
                created.append(task)
        return created

    def due_date(self, due: DueDef | None, case: SimCase, today: date) -> date | None:
        """``casework.engine.tasks.due_date`` on the precomputed calendar."""
        if due is None:
            return None
        if due.at:
            return case.date(due.at)
        start = (case.date(due.start) if due.start else None) or today
        return self.calendar.add(start, getattr(self.rules, due.working_days))

    def places(self, case: SimCase, target: str) -> list[Routed]:
        """A routing target's places: the scenario's for this case, else the engine's target when it reads
        only the case's own columns (its cell, committee, authority; asked once, as those never move here)."""
        found = case.places.get(target)
        if found is None:
            found = case.places[target] = TARGETS[target](None, case)
        return found

    def resolve(self, case: SimCase, task_def: TaskDef) -> list[Routed]:
        """``casework.engine.routing.resolve``: places merged so one place (and role) gets one task."""
        if len(task_def.routing) == 1:
            found = self.places(case, task_def.routing[0])
            if len(found) == 1 and not found[0].subject:  # most tasks: one place, nothing to merge or copy
                return found
        merged: dict[tuple[int, str], Routed] = {}
        for target in task_def.routing:
            for routed in self.places(case, target):
                key = (routed.unit_id, routed.role or task_def.role)
                if key in merged:
                    merged[key].subject.setdefault("people", []).extend(routed.subject.get("people", []))
                else:
                    merged[key] = Routed(routed.unit_id, routed.role,
                                         {k: list(v) if isinstance(v, list) else v
                                          for k, v in routed.subject.items()})
        return list(merged.values())
