"""The service functions every face (JSON API, pages, CLI, clock) calls: start a case, list what a person may
do on a case, and apply a step.

Each public function owns its transaction: the new state, the event and the task changes commit together,
and any refusal raises before anything is written (the session is rolled back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.exc import IntegrityError

from casework.engine import claims, hooks
from casework.engine.applicability import applicable, drop_inapplicable, not_applicable
from casework.engine.context import StepContext
from casework.engine.definition import TransitionDef, WorkflowDef
from casework.engine.delegation import acting_roles
from casework.engine.errors import Conflict, Invalid, NotFound, PermissionDenied
from casework.engine.fields import FieldContext, parse_fields
from casework.engine.labels import role_label
from casework.engine.packages import package_of
from casework.engine.races import EXPECTED_VERSION_REQUIRED, is_lost_race, lock_case, lost_race, stale
from casework.engine.reasons import Reason
from casework.engine.routing import resolve_unit
from casework.engine.rows import commit_keeping_what_is_loaded, flush
from casework.engine.step import check_guards, first_stage, recorded_changes, take_step
from casework.engine.tasks import open_tasks
from casework.models import ActingRole, Case, Task, TaskStatus, Unit, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine



@dataclass
class Action:
    """One step a person might take now: allowed, or every reason it is not."""

    transition: TransitionDef
    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)

    @property
    def trigger(self) -> str:
        return self.transition.trigger

    def as_dict(self) -> dict[str, Any]:
        out = {"trigger": self.trigger, "label": self.transition.label, "allowed": self.allowed,
               "reasons": [r.as_dict() for r in self.reasons]}
        if self.transition.task_kind:
            out["task_ids"] = self.task_ids
        return out


# --------------------------------------------------------------------------------------------------
# Authorisation


def _unit_name(session: Session, unit_id: int | None) -> str:
    unit = session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else "?"


def _actor_reasons(session: Session, user: User, wanted: list[tuple[str, int | None]]) -> list[Reason]:
    """Why this person is not one of the wanted (role, unit) pairs: the role itself, or the unit."""
    reasons = []
    for role, unit_id in wanted:
        name = _unit_name(session, unit_id)
        if not any(r.role == role for r in user.roles):  # their own roles: a lent one may have lapsed
            reasons.append(Reason("wrong_role", f"Bước này cần vai trò {role_label(role)} ({name}).",
                                  f"This step needs the role {role_label(role, 'en')} ({name}).",
                                  {"role": role, "unit_id": unit_id}))
        else:
            reasons.append(Reason("wrong_unit", f"Bạn là {role_label(role)} nhưng không phải của {name}.",
                                  f"You are {role_label(role, 'en')}, but not for {name}.",
                                  {"role": role, "unit_id": unit_id}))
    return reasons


class Actor(NamedTuple):
    """The hat a step is taken in: a role at a unit, and the absent person it belongs to when the actor stands in
    for them (a delegation in force that day; the event names both)."""

    role: str
    unit_id: int | None
    acting_for: User | None = None


def _hat(user: User, role: str, unit_id: int | None, acting: tuple[ActingRole, ...]) -> Actor | None:
    if unit_id is None:
        return None
    if user.holds_own(role, unit_id):
        return Actor(role, unit_id)
    stand_in = next((a for a in acting if a.role == role and a.unit_id == unit_id), None)
    return Actor(role, unit_id, stand_in.delegator) if stand_in else None


def authorise(session: Session, tdef: TransitionDef, case: Case, user: User, task: Task | None, *,
              today: date | None = None) -> tuple[Actor | None, list[Reason]]:
    """The hat through which this person may take the step, or the reasons they may not. With ``today`` (a step
    being taken) the delegations are read from the database on that day; without it (a preview) the roles the
    person was given for this request (``User.acting``) are trusted."""
    wanted = ([(task.role, task.unit_id)] if task else []) if tdef.actor_is_task else \
        [(actor.role, resolve_unit(session, case, actor.routing)) for actor in tdef.actors]
    for acting in _acting_sources(session, user, today):
        for role, unit_id in wanted:
            if (hat := _hat(user, role, unit_id, acting)) is not None:
                return hat, []
    if tdef.actor_is_task:
        return None, _actor_reasons(session, user, wanted)
    # Only the roles this person could plausibly hold are worth explaining.
    held = [w for w in wanted if user.units_for(w[0])]
    return None, _actor_reasons(session, user, held or wanted[:1])


def _acting_sources(session: Session, user: User, today: date | None):
    """Own roles first (no query); then, only if those do not do, the roles stood in for."""
    yield ()
    yield acting_roles(session, user, today) if today is not None else user.acting


def _claim_reasons(case: Case, tdef: TransitionDef, user: User, task: Task | None, actor: Actor) -> list[Reason]:
    """Someone else is on it: the task answered, or for a step of the state's actor, its step task at that hat."""
    acting_for_id = actor.acting_for.id if actor.acting_for else None
    tasks = [task] if task is not None else [
        t for t in open_tasks(case) if t.kind == "step" and (t.role, t.unit_id) == (actor.role, actor.unit_id)]
    return [r for t in tasks for r in claims.completion_reasons(t, user, acting_for_id)]


# --------------------------------------------------------------------------------------------------
# Listing what a person may do


def available_actions(*, session: Session, engine: Engine, case: Case, user: User) -> list[Action]:
    """Every step of the case's current state, each allowed or with all its reasons (role, routing scope,
    failing guards). Guards that need submitted values are checked when the step is submitted."""
    wf = engine.definition_of(case)
    actions = []
    for tdef in wf.transitions_from(case.state, case.stage):
        reasons: list[Reason] = []
        task_ids: list[int] = []
        if tdef.task_kind:
            waiting = [t for t in open_tasks(case) if t.kind == tdef.task_kind]
            task_ids = [t.id for t in waiting if user.holds(t.role, t.unit_id)
                        and not claims.completion_reasons(t, user, _delegator_id(user, t))]
            if not waiting:
                reasons.append(Reason("no_open_task", "Không có việc nào đang chờ cho bước này.",
                                      "Nothing is waiting for this step."))
            elif not task_ids:
                held = [t for t in waiting if user.holds(t.role, t.unit_id)]
                reasons.extend([claims._claimed_by_other(held[0])] if held else
                               _actor_reasons(session, user, [(t.role, t.unit_id) for t in waiting[:1]]))
        else:
            actor, reasons = authorise(session, tdef, case, user, None)
            if actor is not None:
                reasons = _claim_reasons(case, tdef, user, None, actor)
        ctx = StepContext(session=session, workflow=wf, transition=tdef, case=case, user=user, rules=engine.rules,
                          today=engine.today(), preview=True)
        reasons.extend(check_guards(ctx))
        actions.append(Action(tdef, allowed=not reasons, reasons=reasons, task_ids=task_ids))
    return actions


def _delegator_id(user: User, task: Task) -> int | None:
    """Whose role at the task's hat this person holds as a delegate (for a preview: the request's roles)."""
    if user.holds_own(task.role, task.unit_id):
        return None
    return next((a.delegator.id for a in user.acting if (a.role, a.unit_id) == (task.role, task.unit_id)), None)


# --------------------------------------------------------------------------------------------------
# Starting a case


def start_case(*, session: Session, engine: Engine, user: User, data: dict[str, Any], workflow: str) -> Case:
    """Open a case of the workflow (its start trigger: admission's ``refer``), on the version in effect today."""
    try:
        return _start_case(session, engine, user, data, workflow)
    except (PermissionDenied, Invalid) as refused:
        session.rollback()  # an existing subject's details may have been touched before a guard failed
        hooks.step_refused(workflow, refused)
        raise


def _start_case(session: Session, engine: Engine, user: User, data: dict[str, Any], workflow: str) -> Case:
    wf = engine.workflow(workflow)  # the version in effect today; the case keeps it (Case.workflow_version)
    package = package_of(wf.name)
    tdef = wf.start_transition
    if not any(user.units_for(actor.role) for actor in tdef.actors):
        raise PermissionDenied("not allowed to start", _actor_reasons(session, user, [(tdef.actors[0].role, None)]))
    data = dict(data)
    if package.prefill is not None:
        package.prefill(user, data)
    today = engine.today()
    values, reasons = parse_fields(tdef.fields, data, FieldContext(session, None, today))
    if reasons:
        raise Invalid("invalid fields", reasons)
    case = package.open_case(session, wf, values, today, engine.now())
    ctx = StepContext(session=session, workflow=wf, transition=tdef, case=case, user=user, rules=engine.rules,
                      today=today, data=values)
    actor, reasons = authorise(session, tdef, case, user, None, today=today)
    if actor is None:
        raise PermissionDenied("not allowed to start for this unit", reasons)
    ctx.acting_for = actor.acting_for
    changes = {"workflow_version": wf.version,  # the history says which version the case follows
               "state": wf.initial, "state_seq": 1, "stage": first_stage(wf, wf.initial)}
    changes.update(recorded_changes(tdef, values, wf.dates, skip=package.subject_fields))
    try:
        take_step(session, engine, ctx, actor, changes=changes)
        commit_keeping_what_is_loaded(session)
    except Invalid as refused:
        raise Invalid("start refused", refused.reasons) from None
    except IntegrityError as exc:  # the same subject's case committed first (the step's flush or ours)
        session.rollback()
        raise Invalid("start refused", [Reason(
            "open_case_exists", "Đối tượng này vừa được mở một hồ sơ khác.",
            "A case has just been opened for the same subject.")]) from exc
    return case


# --------------------------------------------------------------------------------------------------
# Applying a step


def _pick_transition(wf: WorkflowDef, case: Case, trigger: str) -> TransitionDef:
    if trigger != wf.start:  # the state's own steps first: every trigger is not listed on every step
        for tdef in wf.transitions_from(case.state, case.stage):
            if tdef.trigger == trigger:
                return tdef
    if trigger not in wf.triggers() or trigger == wf.start:
        raise NotFound(f"unknown action {trigger}")
    state_label = wf.states[case.state].label
    raise Invalid("not available now", [Reason(
        "not_available_in_state", f"Không thể thực hiện bước này khi hồ sơ ở trạng thái “{state_label['vi']}”.",
        f"This step is not available while the case is in “{state_label['en']}”.", {"state": case.state})])


def _pick_task(session: Session, case: Case, tdef: TransitionDef, user: User, task_id: Any) -> Task:
    waiting = [t for t in open_tasks(case) if t.kind == tdef.task_kind]
    if task_id in (None, ""):
        mine = [t for t in waiting if user.holds(t.role, t.unit_id)]
        if len(mine) == 1:
            return mine[0]
        raise Invalid("task_id needed", [Reason("task_id_required", "Cần chọn việc (task_id) để thực hiện.",
                                                "Say which task this is for (task_id).")])
    task = next((t for t in case.tasks if str(t.id) == str(task_id)), None)
    if task is None:
        raise Invalid("no such task", [Reason("unknown_task", "Không có việc này trong hồ sơ.",
                                              "There is no such task on this case.")])
    if task.kind != tdef.task_kind or task.status != TaskStatus.OPEN:
        raise Invalid("task closed", [Reason("task_not_open", "Việc này đã được xử lý hoặc không thuộc bước này.",
                                             "This task is already closed or belongs to another step.")])
    return task


def _no_task(tdef: TransitionDef, task_id: Any) -> None:
    """A step that answers no task takes no ``task_id``: one sent anyway means the client has another step in
    mind, so it is refused rather than dropped (the step would otherwise be taken as if it were that one)."""
    if task_id not in (None, ""):
        raise Invalid("task_id not taken", [Reason(
            "task_not_taken", "Bước này không giải quyết việc nào: không gửi task_id cho bước này.",
            "This step completes no task: send no task_id with it.", {"trigger": tdef.trigger, "task_id": task_id})])


def apply(*, session: Session, engine: Engine, case: Case, trigger: str, user: User, data: dict[str, Any],
          expected_version: Any, task_id: Any = None) -> Case:
    """Take one step on a case: check the version, role and routing scope, the fields and the guards,
    then write the new state, the event and the task changes in one transaction.

    The case's row lock comes first, so a step racing another one waits for it and is then refused as stale;
    a race the database catches anyway, at any flush, is a ``Conflict`` too (see ``casework.engine.races``)."""
    workflow = case.workflow  # read before a refusal's rollback expires the case
    try:
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise Invalid("expected_version required", [EXPECTED_VERSION_REQUIRED])
        current_version = lock_case(session, case)
        if expected_version != current_version:
            raise stale(expected_version, current_version)
        _apply(session, engine, case, trigger, user, data, task_id)
        flush(session)  # what the step's listeners left unwritten, without the unit of work when it can
        commit_keeping_what_is_loaded(session)
        return case
    except (NotFound, PermissionDenied, Conflict, Invalid) as refused:
        session.rollback()
        hooks.step_refused(workflow, refused)
        raise
    except Exception as exc:
        if not is_lost_race(exc):
            raise
        session.rollback()
        refused = lost_race(session, case.id, expected_version)
        hooks.step_refused(workflow, refused)
        raise refused from exc


def _apply(session, engine, case, trigger, user, data, task_id) -> None:
    wf = engine.definition_of(case)
    tdef = _pick_transition(wf, case, trigger)
    task = _pick_task(session, case, tdef, user, task_id) if tdef.task_kind else _no_task(tdef, task_id)
    today = engine.today()
    actor, reasons = authorise(session, tdef, case, user, task, today=today)
    if actor is None:
        raise PermissionDenied("not your step", reasons)
    reasons = _claim_reasons(case, tdef, user, task, actor)
    if reasons:
        raise PermissionDenied("someone else is on it", reasons)
    skipped = not_applicable(tdef, case, today, engine.rules)
    data, reasons = drop_inapplicable(tdef, skipped, dict(data or {}))
    values, problems = parse_fields(applicable(tdef, skipped), data, FieldContext(session, case, today))
    if reasons or problems:
        raise Invalid("invalid fields", reasons + problems)
    ctx = StepContext(session=session, workflow=wf, transition=tdef, case=case, user=user, rules=engine.rules,
                      today=today, data=values, task=task, acting_for=actor.acting_for)
    take_step(session, engine, ctx, actor)
