"""Taking one step, the one pipeline every way of moving a case goes through (a referral, a person's step, the
clock's step): check the guards, work out the changes, then write the event, the case's new state and the task
changes, and tell the step listeners (``casework.engine.hooks.on_step_taken``).

``take_step`` never commits: its caller owns the transaction, the case's row lock and the mapping of refusals
and lost races (``casework.engine.service``, ``casework.engine.clock``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from casework.engine import guards as guard_registry
from casework.engine import hooks
from casework.engine.effects import EFFECTS
from casework.engine.errors import Invalid
from casework.engine.fields import to_json
from casework.engine.flags import run_flag
from casework.engine.machine import destination
from casework.engine.projection import apply_changes
from casework.engine.rows import can_write_now, write_now
from casework.engine.tasks import close_tasks, create_tasks, follow_up_tasks, open_tasks
from casework.models import Case, Event, Task, TaskStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine
    from casework.engine.context import StepContext
    from casework.engine.definition import TransitionDef, WorkflowDef
    from casework.engine.reasons import Reason


@dataclass(frozen=True)
class Step:
    """A step complete in the caller's session (not yet flushed): its event, the case as it moved, and the task
    it answered (done now), if any."""

    event: Event
    case: Case
    task: Task | None
    # Where the case stood before the step (its state's entering event number and moment): the visit a state
    # change closes is found by these, without reading it first. None for a new case.
    left_entered_seq: int | None = None
    left_entered_at: datetime | None = None

    @property
    def changes_state(self) -> bool:
        return self.event.from_state != self.event.to_state


def check_guards(ctx: StepContext) -> list[Reason]:
    """Every reason the transition's guards give for refusing the step now (none: it may be taken)."""
    reasons: list[Reason] = []
    for ref in ctx.transition.guards:
        reasons.extend(guard_registry.evaluate(ref.name, ref.params, ctx))
    return reasons


def first_stage(wf: WorkflowDef, state: str) -> str | None:
    stages = wf.states[state].stages
    return stages[0] if stages else None


def step_changes(ctx: StepContext, *, destination_of=destination, effects=EFFECTS) -> dict[str, Any]:
    """What the step does to the projection: destination, stage, recorded dates and facts, effects.
    ``destination_of(workflow, ctx)`` picks the destination (the generator passes one that remembers them);
    ``effects`` maps the transition's effect names to what runs (the generator's may stand in for one that
    writes to the database)."""
    wf, tdef, values = ctx.workflow, ctx.transition, ctx.data
    changes: dict[str, Any] = {}
    if tdef.changes_state:
        dest = destination_of(wf, ctx)
        changes["state"] = dest
        changes["stage"] = first_stage(wf, dest)
        if wf.is_terminal(dest):
            changes["closed_on"] = ctx.today.isoformat()
    changes.update(recorded_changes(tdef, values, wf.dates))
    for name in tdef.effects:
        effects[name].fn(ctx, changes)
    return changes


def recorded_changes(tdef: TransitionDef, values: dict[str, Any], dates: Collection[str], *,
                     skip: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """The submitted values the case keeps: its key dates (``dates``, the names the workflow declares) and its
    facts, under the names the transition gives them. ``skip`` names fields kept elsewhere (on the case's
    subject)."""
    recorded: dict[str, dict[str, Any]] = {}
    for fdef in tdef.fields:
        if fdef.name not in values or fdef.name in skip:
            continue
        if tdef.task_kind and fdef.name not in tdef.field_sets:
            continue  # a task's answer belongs to the task, not to the whole case
        target = tdef.target_of(fdef)
        bucket = "dates" if target in dates else "facts"
        recorded.setdefault(bucket, {})[target] = to_json(values[fdef.name])
    return recorded


def next_event_seq(case: Case) -> int:
    """The number of the case's next event: one past its last (``cases.last_event_seq``, written with the case
    by every step and by the clock's notices), read with the case under its row lock (the caller's), so no other
    step takes the same number; the unique key on (case, seq) refuses one that does anyway."""
    return 1 if case.id is None else case.last_event_seq + 1


def take_step(session: Session, engine: Engine, ctx: StepContext, actor: tuple[str, int | None], *,
              changes: dict[str, Any] | None = None) -> Event:
    """Check the guards (``Invalid`` with their reasons, nothing written), then write the step: the event, the
    case moved, the task changes. ``changes`` replaces the computed ones (a referral's opening of the case)."""
    reasons = check_guards(ctx)
    if reasons:
        raise Invalid("guard failed", reasons)
    ctx.engine = engine
    if changes is None:
        changes = step_changes(ctx)
    flags = [flag for f in ctx.transition.flags if (flag := run_flag(f.check, f.params, ctx)) is not None]
    if ctx.case not in session:  # a new case; one in the session already needs no cascade over its tasks
        session.add(ctx.case)
    return _write(session, engine, ctx, actor, changes, flags)


def _write(session: Session, engine: Engine, ctx: StepContext, actor: tuple[str, int | None],
           changes: dict[str, Any], flags: list[Reason]) -> Event:
    """Write the event, move the projection, and open and close tasks: all in the caller's transaction."""
    case, tdef, now = ctx.case, ctx.transition, engine.now()
    seq = next_event_seq(case)
    case.last_event_seq = seq  # the case row is written by every step anyway
    from_state = case.state if case.id is not None else None
    if "state" in changes:
        changes["state_seq"] = seq
    old_stage = case.stage
    left = (case.state_seq, case.state_entered_at) if from_state is not None else (None, None)
    # Read before the event is added: loading the tasks then flushes nothing.
    leaving = open_tasks(case) if "state" in changes and from_state is not None else []
    event = _record_event(session, case, dict(
        seq=seq, trigger=tdef.trigger, from_state=from_state, to_state=changes.get("state", case.state),
        actor_id=ctx.user.id if ctx.user else None, actor_role=actor[0], actor_unit_id=actor[1],
        task_id=ctx.task.id if ctx.task else None, acting_for_id=ctx.acting_for.id if ctx.acting_for else None,
        occurred_at=now, data=to_json(ctx.data), changes=changes, flags=[f.as_dict() for f in flags]))
    apply_changes(case, changes, now)
    case.updated_at = now
    if ctx.task is not None:
        ctx.task.status = TaskStatus.DONE
        ctx.task.outcome = to_json(ctx.data)
        ctx.task.completed_at = now
        ctx.task.completed_by_id = ctx.user.id if ctx.user else None
    _route(session, engine, ctx, actor, event, leaving, old_stage)
    hooks.step_taken(session, Step(event, case, ctx.task, *left))
    return event


def _record_event(session: Session, case: Case, values: dict[str, Any]) -> Event:
    """The step's event, written now (``casework.engine.rows``) and linked to its case as a loaded event would
    be. A new case's first event waits for the flush that gives the case its id."""
    if case.id is None or not can_write_now(session):
        event = Event(case=case, **values)
        session.add(event)
        return event
    event = write_now(session, Event, {"case_id": case.id, **values})
    set_committed_value(event, "case", case)
    if "events" in sa.inspect(case).dict:  # the history read already: it ends with this event now
        set_committed_value(case, "events", [*case.events, event])
    return event


def _route(session: Session, engine: Engine, ctx: StepContext, actor: tuple[str, int | None], event: Event,
           leaving: list, old_stage: str | None) -> None:
    """Close the tasks the step ends and open the ones its new state, stage or answered task routes to."""
    wf, case, now, today = ctx.workflow, ctx.case, event.occurred_at, ctx.today

    def create(defs) -> None:
        create_tasks(session, case, list(defs), today=today, rules=engine.rules, now=now)

    if "state" in event.changes:
        close_tasks(leaving, actor_role=actor[0], user_id=event.actor_id, now=now)
        if not wf.is_terminal(case.state):
            create(wf.states[case.state].tasks_on_entry(case.stage))
    elif case.stage != old_stage:
        stepping = [t for t in open_tasks(case) if t.kind == "step"]
        close_tasks(stepping, actor_role=actor[0], user_id=event.actor_id, now=now)
        create(wf.states[case.state].tasks_on_entry(case.stage))
    if ctx.task is not None:
        create(follow_up_tasks(wf, case, ctx.task.kind))
    if ctx.transition.creates:
        create(ctx.transition.creates)
