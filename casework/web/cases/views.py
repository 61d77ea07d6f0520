"""What the case page shows, assembled from the engine: the progress line, the timeline, the actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from casework.engine.applicability import not_applicable
from casework.engine.definition import VoteDef, WorkflowDef
from casework.engine.service import Action, available_actions
from casework.extensions import db
from casework.models import Case, Document, Event, MemberStatus, PartyMember, Task
from casework.web import choices as choice_source
from casework.web.describe import Describer
from casework.web.engine_access import engine
from casework.web.stepforms import StepForm, build_form


@dataclass
class ProgressStep:
    state: str
    status: str  # done, current, todo, ended


def progress(wf: WorkflowDef, case: Case, visited: set[str]) -> list[ProgressStep]:
    """The main line of states in definition order, with the current one marked; a case that ended
    elsewhere (declined, rejected…) shows where it stopped."""
    main = [s for s, d in wf.states.items() if not d.terminal or d.goal]
    ended = wf.is_terminal(case.state) and case.state not in main
    current_index = main.index(case.state) if case.state in main else len(main)
    steps = []
    for index, state in enumerate(main):
        if state == case.state:
            status = "current"
        elif state in visited and (index < current_index or ended):
            status = "done"
        else:
            status = "todo"
        steps.append(ProgressStep(state, status))
    if ended:
        steps.append(ProgressStep(case.state, "ended"))
    return steps


@dataclass
class ActionView:
    action: Action
    form: StepForm | None = None
    errors: list[str] = field(default_factory=list)
    vote: VoteDef | None = None  # the step records a vote: the form shows the votes needed as they are typed
    tasks: list[Task] = field(default_factory=list)
    open: bool = False  # shown unfolded: the first step offered, or the one just refused

    @property
    def trigger(self) -> str:
        return self.action.trigger


def action_views(case: Case, user, submitted: tuple[str, StepForm, list[str]] | None = None) -> list[ActionView]:
    """Every step of the current state for this person: allowed ones with a form, blocked ones with reasons.
    ``submitted`` keeps what was typed (and the errors) in the form that was just refused."""
    actions = available_actions(session=db.session, engine=engine(), case=case, user=user)
    allowed = [a.transition for a in actions if a.allowed]
    options = choice_source.for_case(db.session, case, allowed) if allowed else None
    tasks = {t.id: t for t in case.tasks}
    views = []
    for action in actions:
        if _someone_elses(action):
            continue  # another role's step: the page lists it under "waiting for", not as a warning
        view = ActionView(action, vote=action.transition.vote, tasks=[tasks[i] for i in action.task_ids if i in tasks])
        if action.allowed:
            if submitted and submitted[0] == action.trigger:
                view.form, view.errors = submitted[1], submitted[2]
            else:
                view.form = build_form(action.transition, options, skip=skipped(action.transition, case))
                _prefill_vote(view.form, action.transition.vote, case)
            view.form.expected_version.data = str(case.version)
            if action.task_ids and not view.form.task_id.data:
                view.form.task_id.data = str(action.task_ids[0])
        views.append(view)
    _unfold(views, submitted[0] if submitted else None)
    return views


def skipped(tdef, case: Case) -> frozenset[str]:
    """The step's fields that do not apply to this case today: not shown, not sent (the engine's one rule)."""
    return not_applicable(tdef, case, engine().today(), engine().rules)


def register_counts(cell_id: int) -> tuple[int, int]:
    """The owning cell's official members in the register, and those of them not counted in a vote (exempt or
    temporarily transferred), in one query."""
    official = sa.and_(PartyMember.cell_id == cell_id, PartyMember.status == MemberStatus.OFFICIAL)
    total, excluded = db.session.execute(sa.select(
        sa.func.count(PartyMember.id), sa.func.count(sa.case((PartyMember.excluded_from_votes, PartyMember.id))))
        .where(official)).one()
    return total, excluded


def _prefill_vote(form, vote, case: Case) -> None:
    """A vote's member counts start from the register (the secretary corrects them if it is out of date)."""
    if vote is None:
        return
    total, excluded = register_counts(case.owning_cell_id)
    form[vote.counted].data = str(total)
    if vote.less:
        form[vote.less].data = str(excluded)


# Reasons that only say the step is another role's (or nobody's yet): nothing this person can act on.
OTHERS_REASONS = frozenset({"wrong_role", "wrong_unit", "no_open_task"})


def _someone_elses(action) -> bool:
    return not action.allowed and bool(action.reasons) and all(r.code in OTHERS_REASONS for r in action.reasons)


def _unfold(views: list[ActionView], submitted_trigger: str | None) -> None:
    offered = [v for v in views if v.form is not None]
    chosen = next((v for v in offered if v.trigger == submitted_trigger), offered[0] if offered else None)
    if chosen is not None:
        chosen.open = True


def timeline(case: Case, wf: WorkflowDef) -> tuple[list[Event], Describer]:
    events = db.session.scalars(sa.select(Event).where(Event.case_id == case.id)
                                .options(selectinload(Event.actor), selectinload(Event.actor_unit),
                                         joinedload(Event.acting_for))
                                .order_by(Event.seq.desc())).all()
    describer = Describer(db.session, wf)
    describer.prefetch(events)
    return list(events), describer


def documents(case: Case) -> list[Document]:
    return list(db.session.scalars(sa.select(Document).where(Document.case_id == case.id).order_by(Document.id)))


def vote_fraction() -> Fraction:
    return engine().rules.vote_fraction
