"""Home = the inbox: every open task for every hat (role @ unit), overdue first, with counts and filters, split
into work queues by what to do (overdue, due this week, waiting on another organisation, recently done by me).

Who is on a task (take it, give it back, hand it to a colleague) and acting for an absent colleague are here too:
each a thin face over ``casework.engine.claims`` and ``casework.engine.delegation``, whose refusals it shows.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from casework import inbox
from casework.engine import EngineError
from casework.engine import claims as claim_rules
from casework.engine import delegation as delegations
from casework.engine.scope import can_view
from casework.extensions import db
from casework.ids import parse_id
from casework.models import Task, User
from casework.web.engine_access import definition_of, engine, state_name, task_name, workflow
from casework.web.i18n import pick
from casework.web.inbox.forms import AssignForm, DelegationForm, InboxFilterForm
from casework.web.referrals.queries import referrer_roles
from casework.web.stepforms import options

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 25


def _filter_form() -> InboxFilterForm:
    wf = workflow()
    form = InboxFilterForm(request.args)
    form.state.choices = options([("", _("All states"))] + [(s, state_name(s, wf)) for s in wf.states
                                                              if not wf.is_terminal(s)])
    units = {r.unit_id: r.unit.name for r in current_user.hats}
    form.unit.choices = options([("", _("All my units"))] + sorted(units.items(), key=lambda x: x[1]))
    return form


def _filters(form: InboxFilterForm) -> inbox.InboxFilters:
    if not form.validate():
        return inbox.InboxFilters()
    unit = form.unit.data
    return inbox.InboxFilters(name=form.name.data or "", state=form.state.data or "",
                                unit_id=parse_id(unit),
                                overdue=bool(form.overdue.data))


def _queue() -> str:
    queue = request.args.get("queue", "all")
    return queue if queue in inbox.QUEUES else "all"


def _queue_counts(today) -> tuple[list[inbox.HatCount], dict[str, int]]:
    """Each queue's count: the open ones from one grouped query, waiting and done from one count each."""
    hat_counts = inbox.counts(db.session, current_user, today)
    return hat_counts, {
        "all": sum(c.total for c in hat_counts),
        "overdue": sum(c.overdue for c in hat_counts),
        "week": sum(c.due_this_week for c in hat_counts),
        "waiting": inbox.count_of(db.session, inbox.waiting_on_others(current_user), cap=inbox.COUNT_CAP),
        "done": inbox.count_of(db.session, inbox.done_by(current_user, today)),
    }


@bp.get("/")
@login_required
def index():
    today = engine().today()
    queue = _queue()
    form = _filter_form()
    hat_counts, queue_counts = _queue_counts(today)
    number = parse_id(request.args.get("page")) or 1
    result = waiting = done = None
    if queue == "waiting":
        waiting = inbox.waiting_page(db.session, current_user, number, PAGE_SIZE)
    elif queue == "done":
        done = inbox.done_page(db.session, current_user, today, number, PAGE_SIZE)
    else:
        query = inbox.due_in_queue(inbox.filtered(current_user, _filters(form), today), queue, today)
        result = inbox.page(db.session, query, request.args.get("after"), PAGE_SIZE)
    unit_names = {r.unit_id: r.unit.name for r in current_user.hats}
    args = {k: v for k, v in request.args.items() if k not in ("after", "page")}
    start = workflow().start_transition
    start_label = pick(start.label) if referrer_roles(current_user, start) else None
    return render_template("inbox/index.html", form=form, page=result, waiting=waiting, done=done, queue=queue,
                           start_label=start_label, queue_counts=queue_counts, count_cap=inbox.COUNT_CAP,
                           today=today, hat_counts=hat_counts, unit_names=unit_names,
                           args=args, task_name=task_name, state_name=state_name, definition_of=definition_of)


# --------------------------------------------------------------------------------------------------
# Who is on it


def _task(task_id: int) -> Task:
    """An open or closed task of a case this person may see; else 404, as if it did not exist."""
    task = db.session.get(Task, task_id, options=[joinedload(Task.case), joinedload(Task.unit),
                                                  joinedload(Task.claimed_by)])
    if task is None or not can_view(db.session, current_user, task.case_id):
        abort(404)
    return task


def _back(task: Task) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else url_for("inbox.who", task_id=task.id)


def _refused(exc: EngineError) -> None:
    for reason in exc.reasons or []:
        flash(pick(reason), "error")


@bp.get("/tasks/<id:task_id>")
@login_required
def who(task_id: int):
    """Who is on a task, and the buttons to take it, give it back or hand it to a colleague."""
    task = _task(task_id)
    form = AssignForm()
    people = claim_rules.colleagues(db.session, task)
    form.assignee.choices = options([(str(u.id), u.full_name) for u in people])
    return render_template("inbox/who.html", task=task, form=form, people=people, task_name=task_name,
                           state_name=state_name, definition_of=definition_of,
                           may_hold=current_user.holds(task.role, task.unit_id),
                           overseer=claim_rules.is_overseer(current_user, task))


@bp.post("/tasks/<id:task_id>/claim")
@login_required
def claim(task_id: int):
    task = _task(task_id)
    try:
        claim_rules.claim(session=db.session, engine=engine(), task=task, user=current_user)
        flash(_("You have taken this task: colleagues see that you are on it."), "success")
    except EngineError as exc:
        _refused(exc)
    return redirect(_back(task))


@bp.post("/tasks/<id:task_id>/release")
@login_required
def release(task_id: int):
    task = _task(task_id)
    try:
        claim_rules.release(session=db.session, engine=engine(), task=task, user=current_user)
        flash(_("The task is back with everyone holding its role."), "success")
    except EngineError as exc:
        _refused(exc)
    return redirect(_back(task))


@bp.post("/tasks/<id:task_id>/assign")
@login_required
def assign(task_id: int):
    task = _task(task_id)
    form = AssignForm()
    form.assignee.choices = options([(str(u.id), u.full_name) for u in claim_rules.colleagues(db.session, task)])
    assignee_id = parse_id(form.assignee.data)
    if not form.validate() or assignee_id is None:
        flash(_("Choose the colleague to hand this task to."), "error")
        return redirect(_back(task))
    try:
        claim_rules.assign(session=db.session, engine=engine(), task=task, user=current_user, assignee_id=assignee_id)
        flash(_("Task handed to %(name)s.", name=task.claimed_by.full_name), "success")
    except EngineError as exc:
        _refused(exc)
    return redirect(_back(task))


# --------------------------------------------------------------------------------------------------
# Acting for an absent colleague


def _delegation_form(formdata=None) -> DelegationForm:
    form = DelegationForm(formdata)
    units = {r.unit_id: r.unit.name for r in current_user.roles}
    form.unit.choices = options(sorted(((str(k), v) for k, v in units.items()), key=lambda x: x[1]))
    return form


@bp.route("/delegations", methods=["GET", "POST"])
@login_required
def delegation_list():
    """The delegations this person gave or received that have not ended, and a form to name a delegate."""
    form = _delegation_form(request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = _name_delegate(form)
        if status == 302:
            return redirect(url_for("inbox.delegation_list"))
    today = engine().today()
    return render_template("inbox/delegations.html", form=form, today=today,
                           delegations=delegations.delegations_of(db.session, current_user, today)), status


def _name_delegate(form: DelegationForm) -> int:
    if not form.validate():
        return 422
    person = db.session.scalar(User.__table__.select().where(User.username == form.delegate.data.strip())
                               .with_only_columns(User.id))
    if person is None:
        form.delegate.errors = [_("No account has this username: check it with your colleague.")]
        return 422
    try:
        made = delegations.delegate(session=db.session, engine=engine(), delegator=current_user, delegate_id=person,
                                    unit_id=int(form.unit.data), starts_on=form.starts_on.data,
                                    ends_on=form.ends_on.data)
    except EngineError as exc:
        form.form_errors.extend(pick(r) for r in exc.reasons)
        return 422
    flash(_("%(name)s acts for you from %(start)s to %(end)s.", name=made.delegate.full_name,
            start=made.starts_on.strftime("%d/%m/%Y"), end=made.ends_on.strftime("%d/%m/%Y")), "success")
    return 302

