"""Printable forms, as each workflow package declares them (``WorkflowPackage.printables``). The forms
themselves are in Vietnamese, as the party's forms are; the page around them follows the chosen language. Each
is filled from the step that recorded it, or says which step is missing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from casework.access_log import record_case_access
from casework.engine.packages import package_of
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Event
from casework.web.access import dossier_case, register_error_pages
from casework.web.engine_access import definition_of, engine
from casework.web.i18n import pick

bp = Blueprint("printing", __name__, url_prefix="/cases/<id:case_id>/print")
register_error_pages(bp)


def _latest(case_id: int, trigger: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.case_id == case_id, Event.trigger == trigger)
                             .order_by(Event.seq.desc()).limit(1))


@bp.get("/<code>")
@login_required
def form(case_id: int, code: str):
    """One of the case's workflow's printed forms (404 for a code it does not print)."""
    case = dossier_case(case_id)
    printable = package_of(case.workflow).printable(code)
    if printable is None:
        abort(404)
    event = _latest(case.id, printable.step)
    extra = printable.context(db.session, case, event) if printable.context else {}
    # The step's label in the version the case follows now; a version without that step keeps its name.
    step = next((t for t in definition_of(case).transitions if t.trigger == printable.step), None)
    record_case_access(db.session, current_user, case, AccessFace.PAGE, AccessKind.PRINTABLE, export_name=code)
    return render_template(printable.template, case=case, event=event, data=(event.data if event else {}),
                           step_label=pick(step.label) if step else printable.step, today=engine().today(),
                           **extra)
