"""Search: every case in one's scope by name, ID number, case number, state, unit and date ranges.

The scope is the engine's (``casework.search`` applies ``visibility_clause``); this page only reads the form. The
units offered are those the person holds roles at and the units under them that own cases (cells).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework import search
from casework.engine.packages import PACKAGES
from casework.extensions import db
from casework.ids import parse_id
from casework.models import PARTY_UNIT_KINDS, Unit
from casework.models.org import within
from casework.web.engine_access import definition_of, engine, state_name
from casework.web.i18n import pick
from casework.web.search.forms import SearchForm
from casework.web.stepforms import options

bp = Blueprint("search", __name__, url_prefix="/search")
PAGE_SIZE = 25


def _units() -> list[Unit]:
    """The person's units and the party units under them, by name (what a case can be owned within)."""
    mine = [r.unit for r in current_user.hats]
    if not mine:
        return []
    below = sa.select(Unit).where(sa.or_(*(within(Unit.path, u) for u in mine)),
                                  Unit.kind.in_(sorted(PARTY_UNIT_KINDS)))
    return sorted({u.id: u for u in [*mine, *db.session.scalars(below)]}.values(), key=lambda u: u.name)


def _form(units: list[Unit]) -> SearchForm:
    form = SearchForm(request.args)
    states: dict[str, str] = {}
    for wf in engine().definitions():
        for name in wf.states:
            states.setdefault(name, state_name(name, wf))
    form.state.choices = options([("", _("Any state"))] + sorted(states.items(), key=lambda x: x[1]))
    form.unit.choices = options([("", _("All my units"))] + [(str(u.id), u.name) for u in units])
    form.status.choices = options([("", _("Open or closed")), ("open", _("Open")), ("closed", _("Closed"))])
    return form


def _criteria(form: SearchForm, units: list[Unit]) -> search.Criteria | None:
    """What the form asks for; None when it does not read (its errors are shown, nothing is searched)."""
    if not form.validate():
        return None
    number = form.case_number.data.strip().lstrip("#") if form.case_number.data else ""
    if number and parse_id(number) is None:
        form.case_number.errors.append(_("A case number is the number shown on the case page, such as 125."))
        return None
    chosen = parse_id(form.unit.data)
    return search.Criteria(
        name=form.name.data or "", identifier=form.identifier.data or "", case_number=parse_id(number),
        state=form.state.data or "", unit=next((u for u in units if u.id == chosen), None),
        status=form.status.data or "", opened_from=form.opened_from.data, opened_to=form.opened_to.data,
        closed_from=form.closed_from.data, closed_to=form.closed_to.data)


@bp.get("/")
@login_required
def index():
    units = _units()
    form = _form(units)
    criteria = _criteria(form, units) if request.args else None
    results = None
    if criteria is not None and not criteria.is_empty():
        results = search.page(db.session, search.query(current_user, criteria), request.args.get("after"),
                              PAGE_SIZE)
    labels = [pick(p.identifier.label) for p in PACKAGES.values() if p.identifier is not None]
    if labels:
        form.identifier.label.text = " / ".join(labels)
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("search/index.html", form=form, results=results, args=args, today=engine().today(),
                           state_name=state_name, definition_of=definition_of, searched=bool(request.args))
