"""The referral form (built from the ``refer`` step's fields) and the list of one's referrals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework.engine import Invalid
from casework.engine.packages import package_of
from casework.engine.service import start_case
from casework.extensions import db
from casework.ids import parse_id
from casework.web.access import register_error_pages
from casework.web.choices import units_by_kind
from casework.web.engine_access import default_workflow_name, definition_of, engine, state_name, workflow
from casework.web.referrals import queries
from casework.web.stepforms import Choices, attach_reasons, build_form, to_engine_data

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
register_error_pages(bp)
PAGE_SIZE = 25


def _choices(tdef) -> Choices:
    """Units by kind for the form; a field naming the unit a step is taken for (a field called as an actor's
    routing: admission's referring organisation) offers only the units where the person holds that actor's
    role: an officer refers on behalf of their own organisations, and no other."""
    own = {}
    for actor in tdef.actors:
        own.setdefault(actor.routing, set()).add(actor.role)
    kinds = {k for f in tdef.fields for k in f.unit_kinds if f.name not in own}
    units = units_by_kind(db.session, kinds)
    for fdef in tdef.fields:
        if fdef.name in own:
            for hat in current_user.roles:
                if hat.role in own[fdef.name] and hat.unit.kind in fdef.unit_kinds:
                    units.setdefault(hat.unit.kind, []).append((hat.unit_id, hat.unit.name))
    package = package_of(workflow().name)
    defaults = package.form_defaults(db.session, current_user) if package.form_defaults else {}
    return Choices(units=units, defaults=defaults)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    tdef = workflow().start_transition
    if not queries.referrer_roles(current_user, tdef):
        abort(403)
    form = build_form(tdef, _choices(tdef), formdata=request.form if request.method == "POST" else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.validate():
            return render_template("referrals/new.html", form=form, errors=[_("The form has expired.")]), 400
        data, format_errors = to_engine_data(form, tdef)
        if not format_errors:
            try:
                case = start_case(workflow=default_workflow_name(), session=db.session, engine=engine(),
                                  user=current_user, data=data)
            except Invalid as exc:
                errors = attach_reasons(form, exc.reasons, {})
            else:
                flash(_("%(name)s has been referred to %(cell)s.", name=case.title,
                        cell=case.owning_cell.name), "success")
                return redirect(url_for("referrals.mine"))
        attach_reasons(form, [], format_errors)
        status = 422
    return render_template("referrals/new.html", form=form, errors=errors), status


@bp.get("/")
@login_required
def mine():
    before = request.args.get("before", type=parse_id)
    start = workflow().start_transition
    cases, next_before = queries.my_referrals(db.session, current_user, start, before, PAGE_SIZE)
    return render_template("referrals/mine.html", cases=cases, next_before=next_before, state_name=state_name,
                           can_refer=bool(queries.referrer_roles(current_user, start)), definition_of=definition_of)
