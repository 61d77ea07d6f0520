"""Tasks whose holders see only the task, not the case (``view: task`` in the definition): the verification
requests routed to a residential committee (chi ủy / đảng ủy nơi cư trú), say.

The holder sees the people the task names (name, relation, birth date, residence …, as the workflow's package
reads them: ``WorkflowPackage.task_people``), the requesting cell and the due date: not the dossier. Its answer is
the step the task's kind names, taken on that task.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from casework import inbox
from casework.access_log import record_task_access
from casework.engine import Conflict, Invalid
from casework.engine.packages import ListedPerson, package_of
from casework.engine.service import apply
from casework.extensions import db
from casework.ids import parse_id
from casework.models import AccessFace, Case, Task, Unit
from casework.web.access import register_error_pages
from casework.web.choices import units_by_kind
from casework.web.engine_access import definition_of, engine
from casework.web.stepforms import Choices, attach_reasons, build_form, to_engine_data

bp = Blueprint("requests", __name__, url_prefix="/verification")
register_error_pages(bp)
PAGE_SIZE = 25


def _task_view_kinds() -> frozenset[str]:
    """Every kind of task some version of some workflow marks ``view: task``."""
    return frozenset(kind for wf in engine().definitions() for kind in wf.task_view_kinds)


@bp.get("/")
@login_required
def index():
    today = engine().today()
    if request.args.get("replied"):
        return _past_replies(today)
    query = inbox.filtered(current_user, inbox.InboxFilters(kinds=_task_view_kinds()), today)
    result = inbox.page(db.session, query, request.args.get("after"), PAGE_SIZE)
    return render_template("verification/index.html", page=result, today=today, **_listed(result.rows))


def _past_replies(today):
    """The replies sent from this person's committees in the last month (whoever of it sent them), newest first:
    a committee looks back at what it answered without seeing the case."""
    result = inbox.done_page(db.session, current_user, today, parse_id(request.args.get("page")) or 1, PAGE_SIZE,
                             kinds=_task_view_kinds())
    return render_template("verification/replied.html", done=result, today=today, args={"replied": "1"},
                           **_listed(result.rows))


def _listed(tasks: list[Task]) -> dict:
    """The people each task lists (``people``: task id -> ``ListedPerson``s, read by its workflow's package) and
    the names of the units they are placed in (``places``: unit id -> name, in one query)."""
    people: dict[int, list[ListedPerson]] = {t.id: package_of(t.case.workflow).people_listed(t.subject) for t in tasks}
    ids = {unit for listed in people.values() for person in listed for unit in person.places}
    places = {u.id: u.name for u in db.session.query(Unit).filter(Unit.id.in_(ids))} if ids else {}
    return {"people": people, "places": places}


def _my_task(task_id: int) -> Task:
    """A ``view: task`` task routed to a unit where this person holds the task's role; else 404."""
    task = db.session.get(Task, task_id, options=[joinedload(Task.case).joinedload(Case.owning_cell)])
    if task is None or not current_user.holds(task.role, task.unit_id) \
            or task.kind not in definition_of(task.case).task_view_kinds:
        abort(404)
    return task


def _reply_form(task: Task, formdata=None):
    tdef = _transition(task)
    return tdef, build_form(tdef, Choices(units=units_by_kind(db.session, set())), formdata=formdata)


def _transition(task: Task):
    """The answer as the case's own version of the workflow asks for it: the step the task's kind names."""
    return next(t for t in definition_of(task.case).transitions if t.trigger == task.kind)


@bp.route("/<id:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    task = _my_task(task_id)
    tdef, form = _reply_form(task, request.form if request.method == "POST" else None)
    general: list[str] = []
    status = 200
    if request.method == "POST" and task.is_open:
        outcome = _reply(task, tdef, form)
        if outcome is None:
            return redirect(url_for("requests.index"))
        general, status = outcome
    form.expected_version.data = str(task.case.version)
    form.task_id.data = str(task.id)
    if request.method == "GET":
        record_task_access(db.session, current_user, task, AccessFace.PAGE)
    return render_template("verification/task.html", task=task, case=task.case, form=form, errors=general,
                           today=engine().today(), **_listed([task])), status


def _reply(task: Task, tdef, form):
    """Send the reply through the engine; None when saved, else (messages, status)."""
    if not form.validate():
        return [_("The form has expired. Please try again.")], 400
    data, format_errors = to_engine_data(form, tdef)
    if format_errors:
        attach_reasons(form, [], format_errors)
        return [], 422
    version = form.expected_version.data
    try:
        apply(session=db.session, engine=engine(), case=task.case, trigger=task.kind, user=current_user,
              data=data, expected_version=parse_id(version), task_id=task.id)
    except Conflict:
        db.session.refresh(task.case)
        return [_("Someone else has just updated this case. Nothing was saved: check the request and send "
                  "your reply again.")], 409
    except Invalid as exc:
        return attach_reasons(form, exc.reasons, {}), 422
    flash(_("Your reply has been sent to %(cell)s.", cell=task.case.owning_cell.name), "success")
    return None
