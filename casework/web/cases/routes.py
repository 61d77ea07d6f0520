"""The case page and the steps taken from it. Every step goes through ``engine.service.apply``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework.access_log import record_case_access
from casework.engine import Conflict, Invalid
from casework.engine.packages import package_of
from casework.engine.scope import task_view_only
from casework.engine.service import apply
from casework.extensions import db
from casework.ids import parse_id  # versions are read as ids are: whole numbers 1..MAX_ID
from casework.models import AccessFace
from casework.web import choices as choice_source
from casework.web.access import register_error_pages, visible_case
from casework.web.cases import views
from casework.web.documents.forms import UploadForm
from casework.web.engine_access import definition_of, engine, state_name
from casework.web.i18n import pick
from casework.web.stepforms import attach_reasons, build_form, to_engine_data

bp = Blueprint("cases", __name__, url_prefix="/cases")
register_error_pages(bp)


def _task_redirect(case):
    """Someone who sees the case only through a ``view: task`` task (a residential committee verifying) sees
    only that task's page, never the dossier."""
    kinds = definition_of(case).task_view_kinds
    mine = [t for t in case.tasks if t.is_open and t.kind in kinds and current_user.holds(t.role, t.unit_id)]
    if not mine:
        abort(404)
    return redirect(url_for("requests.task", task_id=mine[0].id))


@bp.get("/<id:case_id>")
@login_required
def show(case_id: int):
    case = visible_case(case_id)
    if task_view_only(current_user, case, definition_of(case)):
        return _task_redirect(case)
    page = render_case(case)  # rendered first: recording after it reads nothing the page did not load
    record_case_access(db.session, current_user, case, AccessFace.PAGE)
    return page


def render_case(case, *, submitted=None, status: int = 200, stale: bool = False):
    wf = definition_of(case)
    events, describer = views.timeline(case, wf)
    visited = {e.to_state for e in events}
    return render_template(
        "cases/show.html", case=case, wf=wf, events=events, describer=describer,
        steps=views.progress(wf, case, visited), actions=views.action_views(case, current_user, submitted),
        documents=views.documents(case), upload_form=UploadForm(), today=engine().today(),
        fraction=views.vote_fraction(), stale=stale, state_name=state_name,
        open_tasks=[t for t in case.tasks if t.is_open], package=package_of(case.workflow)), status


@bp.post("/<id:case_id>/actions/<trigger>")
@login_required
def act(case_id: int, trigger: str):
    case = visible_case(case_id)
    tdef = next((t for t in definition_of(case).transitions_from(case.state, case.stage)
                 if t.trigger == trigger), None)
    if tdef is None:
        return _not_available(case, trigger)
    form = build_form(tdef, choice_source.for_case(db.session, case, [tdef]), formdata=request.form,
                      skip=views.skipped(tdef, case))
    if not form.validate():  # only the CSRF token and the hidden fields are checked here
        flash(_("The form has expired. Please try again."), "error")
        return render_case(case, status=400)
    data, format_errors = to_engine_data(form, tdef)
    if format_errors:
        attach_reasons(form, [], format_errors)
        return render_case(case, submitted=(trigger, form, []), status=422)
    try:
        apply(session=db.session, engine=engine(), case=case, trigger=trigger, user=current_user, data=data,
              expected_version=parse_id(form.expected_version.data), task_id=form.task_id.data or None)
    except Conflict:
        return _stale(case)
    except Invalid as exc:
        general = attach_reasons(form, exc.reasons, {})
        return render_case(case, submitted=(trigger, form, general), status=422)
    flash(_("Saved: %(step)s.", step=pick(tdef.label)), "success")
    return redirect(_after_step(case))


def _stale(case):
    """Someone acted first: say so, save nothing, and show the case as it stands now."""
    db.session.refresh(case)
    flash(_("Someone else has just updated this case. Nothing was saved: here it is as it stands now."), "error")
    return render_case(case, status=409, stale=True)


def _after_step(case) -> str:
    """Back to the case while the person can still see it, else to the inbox."""
    from casework.engine.scope import can_view

    if can_view(db.session, current_user, case.id) and not task_view_only(current_user, case, definition_of(case)):
        return url_for("cases.show", case_id=case.id)
    return url_for("inbox.index")


def _not_available(case, trigger: str):
    """A step the current state does not offer (an old page, usually): the engine says why, stale first."""
    if trigger not in definition_of(case).triggers():
        abort(404)
    try:
        apply(session=db.session, engine=engine(), case=case, trigger=trigger, user=current_user, data={},
              expected_version=parse_id(request.form.get(f"{trigger}-expected_version")))
    except Conflict:
        return _stale(case)
    except Invalid as exc:
        for reason in exc.reasons:
            flash(pick(reason), "error")
        return render_case(case, status=422)
    abort(409)  # the engine offers no step that the page did not: unreachable unless definitions change


