"""The referral form (built from the ``refer`` step's fields) and the list of one's referrals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework.engine import Invalid, NotFound
from casework.engine.packages import package_of
from casework.engine.service import start_case
from casework.extensions import db
from casework.ids import parse_id
from casework.web.access import register_error_pages
from casework.web.choices import units_by_kind
from casework.web.engine_access import default_workflow_name, definition_of, engine, state_name, workflow
from casework.web.i18n import pick
from casework.web.referrals import queries
from casework.web.stepforms import Choices, attach_reasons, build_form, to_engine_data

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
register_error_pages(bp)
PAGE_SIZE = 25


def _choices(tdef, name: str) -> Choices:
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
    package = package_of(name)
    defaults = package.form_defaults(db.session, current_user) if package.form_defaults else {}
    return Choices(units=units, defaults=defaults)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    return _start_page(default_workflow_name())


@bp.route("/new/<workflow_name>", methods=["GET", "POST"])
@login_required
def start(workflow_name: str):
    """The start form of any workflow (a founding case: the organizer or the founding committee)."""
    if workflow_name not in engine().workflows:
        abort(404)
    return _start_page(workflow_name)


@bp.get("/start")
@login_required
def start_index():
    """The workflows this person may start a case of, besides the default one's referral (its own page)."""
    startable = _startable(current_user)
    if not startable:
        abort(403)
    return render_template("referrals/start.html", workflows=startable)


def _startable(user) -> list:
    """The version in effect of each workflow other than the default whose start step one of the person's roles
    may take."""
    found = []
    for name in engine().workflows:
        if name == default_workflow_name():
            continue
        try:
            wf = workflow(name)
        except NotFound:
            continue  # no version in effect yet
        if queries.referrer_roles(user, wf.start_transition):
            found.append(wf)
    return found


def _start_page(name: str):
    tdef = workflow(name).start_transition
    if not queries.referrer_roles(current_user, tdef):
        abort(403)
    default = name == default_workflow_name()
    page = {"heading": None if default else pick(tdef.label), "workflow_label": None if default else
            pick(workflow(name).label)}
    form = build_form(tdef, _choices(tdef, name), formdata=request.form if request.method == "POST" else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.validate():
            return render_template("referrals/new.html", form=form, errors=[_("The form has expired.")], **page), 400
        data, format_errors = to_engine_data(form, tdef)
        if not format_errors:
            try:
                case = start_case(workflow=name, session=db.session, engine=engine(), user=current_user, data=data)
            except Invalid as exc:
                errors = attach_reasons(form, exc.reasons, {})
            else:
                if not default:
                    flash(_("The case of %(name)s has been opened.", name=case.title), "success")
                    return redirect(url_for("cases.show", case_id=case.id))
                flash(_("%(name)s has been referred to %(cell)s.", name=case.title,
                        cell=case.owning_cell.name), "success")
                return redirect(url_for("referrals.mine"))
        attach_reasons(form, [], format_errors)
        status = 422
    return render_template("referrals/new.html", form=form, errors=errors, **page), status


@bp.get("/")
@login_required
def mine():
    before = request.args.get("before", type=parse_id)
    start = workflow().start_transition
    cases, next_before = queries.my_referrals(db.session, current_user, start, before, PAGE_SIZE)
    return render_template("referrals/mine.html", cases=cases, next_before=next_before, state_name=state_name,
                           can_refer=bool(queries.referrer_roles(current_user, start)), definition_of=definition_of)
