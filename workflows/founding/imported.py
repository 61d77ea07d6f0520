"""The register of party organisations founded in enterprises before the system (``PartyOrgFounding``): a page
under /monitoring where the organizing department records them by hand, with their founding decision. The
``new_party_orgs`` target counts them beside the organisations founding cases found, an enterprise in both counted
once (``workflows.founding.monitoring``), which registers this page with monitoring."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from casework.extensions import db
from casework.ids import parse_id
from casework.models import Unit, UnitKind
from casework.monitoring import labels
from casework.monitoring.routes import organizer_scope
from casework.monitoring.scope import Scope
from workflows.founding.models import PartyOrgFounding

DECISION_NUMBER_LENGTH = PartyOrgFounding.__table__.c.decision_number.type.length
bp = Blueprint("founding_register", __name__, url_prefix="/monitoring")


@bp.route("/party-organisations", methods=["GET", "POST"])
@login_required
def index():
    """The organisations recorded in the organizer's scope, newest first, and the form recording one more."""
    scope = organizer_scope()
    if request.method == "POST":
        _record(scope)
        return redirect(url_for(".index", unit=scope.unit_id))
    rows = (db.session.query(PartyOrgFounding).join(Unit, Unit.id == PartyOrgFounding.enterprise_id)
            .filter(Unit.within(scope.path)).order_by(PartyOrgFounding.founded_on.desc()).all())
    enterprises = (db.session.query(Unit).filter(Unit.kind == UnitKind.ENTERPRISE, Unit.within(scope.path))
                   .order_by(Unit.name).all())
    return render_template("founding/register.html", scope=scope, rows=rows, enterprises=enterprises,
                           values=labels.value_labels({}))


def _record(scope: Scope) -> None:
    form = request.form
    enterprise = db.session.get(Unit, form.get("enterprise_id", type=parse_id) or 0)
    try:
        founded = date.fromisoformat(form.get("founded_on", ""))
    except ValueError:
        founded = None
    number = (form.get("decision_number") or "").strip()
    if len(number) > DECISION_NUMBER_LENGTH:
        flash(_("The decision number is at most %(n)d characters.", n=DECISION_NUMBER_LENGTH), "error")
        return
    today = current_app.extensions["casework_engine"].today()
    if enterprise is None or enterprise.kind != UnitKind.ENTERPRISE or not scope.contains(enterprise) \
            or not founded or not number or founded > today:
        flash(_("Give the enterprise, a founding date not in the future and the decision number."), "error")
        return
    db.session.add(PartyOrgFounding(enterprise_id=enterprise.id, founded_on=founded,
                                    ownership=enterprise.ownership or "domestic_private", decision_number=number,
                                    decided_by_id=scope.unit_id, notes=(form.get("notes") or "").strip()))
    db.session.commit()
    flash(_("Party organisation recorded."), "success")
