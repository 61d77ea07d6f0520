"""Home = the inbox: every open task for every hat (role @ unit), overdue first, with counts and filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework import inbox
from casework.extensions import db
from casework.ids import parse_id
from casework.web.engine_access import definition_of, engine, state_name, task_name, workflow
from casework.web.inbox.forms import InboxFilterForm
from casework.web.stepforms import options

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 25


def _filter_form() -> InboxFilterForm:
    wf = workflow()
    form = InboxFilterForm(request.args)
    form.state.choices = options([("", _("All states"))] + [(s, state_name(s, wf)) for s in wf.states
                                                              if not wf.is_terminal(s)])
    units = {r.unit_id: r.unit.name for r in current_user.roles}
    form.unit.choices = options([("", _("All my units"))] + sorted(units.items(), key=lambda x: x[1]))
    return form


def _filters(form: InboxFilterForm) -> inbox.InboxFilters:
    if not form.validate():
        return inbox.InboxFilters()
    unit = form.unit.data
    return inbox.InboxFilters(name=form.name.data or "", state=form.state.data or "",
                                unit_id=parse_id(unit),
                                overdue=bool(form.overdue.data))


@bp.get("/")
@login_required
def index():
    today = engine().today()
    form = _filter_form()
    filters = _filters(form)
    result = inbox.page(db.session, inbox.filtered(current_user, filters, today), request.args.get("after"),
                          PAGE_SIZE)
    hat_counts = inbox.counts(db.session, current_user, today)
    unit_names = {r.unit_id: r.unit.name for r in current_user.roles}
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("inbox/index.html", form=form, page=result, today=today, hat_counts=hat_counts,
                           unit_names=unit_names, args=args, task_name=task_name,
                           state_name=state_name, definition_of=definition_of)
