"""Printable forms. The forms themselves are in Vietnamese, as the party's forms are; the page around them
follows the chosen language. Each is filled from the step that recorded it, or says which step is missing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from casework.access_log import record_case_access
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Event, Task, TaskStatus, Unit
from casework.web.access import dossier_case, register_error_pages
from casework.web.engine_access import definition_of, engine
from casework.web.i18n import pick

bp = Blueprint("printing", __name__, url_prefix="/cases/<id:case_id>/print")
register_error_pages(bp)


def _latest(case_id: int, trigger: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.case_id == case_id, Event.trigger == trigger)
                             .order_by(Event.seq.desc()).limit(1))


def _render(template: str, case, event: Event | None, trigger: str, **extra):
    step = next(t for t in definition_of(case).transitions if t.trigger == trigger)
    record_case_access(db.session, current_user, case, AccessFace.PAGE, AccessKind.PRINTABLE,
                       export_name=request.url_rule.rule.rsplit("/", 1)[-1])  # the form's code, 5-knd…
    return render_template(f"printing/{template}", case=case, event=event, data=(event.data if event else {}),
                           step_label=pick(step.label), today=engine().today(), **extra)


@bp.get("/5-knd")
@login_required
def opinions_summary(case_id: int):
    """5-KNĐ: the summary of opinions, with each residential committee's reply."""
    case = dossier_case(case_id)
    replies = db.session.scalars(sa.select(Task).where(Task.case_id == case.id, Task.kind == "confirm_background",
                                                       Task.status == TaskStatus.DONE).order_by(Task.id)).all()
    return _render("opinions_summary.html", case, _latest(case.id, "complete_verification"),
                   "complete_verification", replies=replies)


@bp.get("/6-knd")
@login_required
def cell_resolution(case_id: int):
    """6-KNĐ: the cell's resolution proposing admission, from the recorded vote."""
    case = dossier_case(case_id)
    event = _latest(case.id, "record_cell_vote")
    counted = None
    if event:
        counted = int(event.data.get("official_members", 0)) - int(event.data.get("excluded_members", 0))
    return _render("cell_resolution.html", case, event, "record_cell_vote", counted=counted)


@bp.get("/9-knd")
@login_required
def admission_decision(case_id: int):
    """9-KNĐ: the authority's admission decision."""
    case = dossier_case(case_id)
    authority = db.session.get(Unit, case.authority_unit_id) if case.authority_unit_id else None
    return _render("admission_decision.html", case, _latest(case.id, "decide_admission"), "decide_admission",
                   authority=authority)
