"""Printable forms, as each workflow package declares them (``WorkflowPackage.printables``), as a page and as
a PDF. The forms themselves are in Vietnamese, as the party's forms are; the page around them follows the
chosen language. Each is filled from the step that recorded it; one whose step has not happened (or that the
case's procedure does not produce) is a page saying so, answered 404."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user, login_required

from casework.access_log import record_case_access
from casework.engine.packages import Printable, package_of
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Case, Event
from casework.web.access import dossier_case, register_error_pages
from casework.web.engine_access import definition_of, engine
from casework.web.i18n import pick
from casework.web.printing import paper
from casework.web.printing.pdf import render_pdf

bp = Blueprint("printing", __name__, url_prefix="/cases/<id:case_id>/print")
register_error_pages(bp)
bp.record_once(lambda state: paper.init_app(state.app))


def _latest(case_id: int, trigger: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.case_id == case_id, Event.trigger == trigger)
                             .order_by(Event.seq.desc()).limit(1))


def _filled(case_id: int, code: str) -> tuple[Case, Printable, dict[str, Any]] | Response:
    """The case, the form and what fills it; or the 404 page saying which step it waits for. A form's context
    may answer the ``event`` it is filled from when the step's latest is not it (a step taken at several
    stages, a reply among several), or ``None`` when the case holds nothing for it, with the ``missing`` {vi, en}
    text that says why when it is not a step still to take."""
    case = dossier_case(case_id)
    printable = package_of(case.workflow).printable(code)
    if printable is None:
        abort(404)
    event = _latest(case.id, printable.step)
    extra = printable.context(db.session, case, event) if printable.context and event is not None else {}
    event = extra.pop("event", event)
    if event is None:
        return _not_yet(case, printable, extra.get("missing"))
    values = {"case": case, "event": event, "data": event.data, "code": printable.code,
              "title": pick(printable.title), "today": engine().today(), **extra}
    return case, printable, values


def _not_yet(case: Case, printable: Printable, missing: dict[str, str] | None = None) -> Response:
    """The step's label in the version the case follows now; a version without that step says it has none."""
    step = next((t for t in definition_of(case).transitions if t.trigger == printable.step), None)
    page = render_template("printing/not_yet.html", case=case, title=pick(printable.title),
                           step_label=pick(step.label) if step else None, missing=pick(missing) if missing else None)
    return Response(page, status=404, mimetype="text/html")


@bp.get("/<code>")
@login_required
def form(case_id: int, code: str):
    """One of the case's workflow's printed forms, as a page to print (404 for a code it does not print)."""
    filled = _filled(case_id, code)
    if isinstance(filled, Response):
        return filled
    case, printable, values = filled
    record_case_access(db.session, current_user, case, AccessFace.PAGE, AccessKind.PRINTABLE, export_name=code)
    return render_template(printable.template, pdf=False, **values)


@bp.get("/<code>.pdf")
@login_required
def form_pdf(case_id: int, code: str):
    """The same form as a PDF (A4, its fonts embedded), under the same access rules as its page."""
    filled = _filled(case_id, code)
    if isinstance(filled, Response):
        return filled
    case, printable, values = filled
    record_case_access(db.session, current_user, case, AccessFace.PAGE, AccessKind.PRINTABLE,
                       export_name=f"{code}.pdf")
    document = render_pdf(render_template(printable.template, pdf=True, **values), current_app.static_folder)
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="case-{case.id}-{code}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
