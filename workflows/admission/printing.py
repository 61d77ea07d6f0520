"""The admission forms printed from a case: 5-KNĐ (summary of opinions), 6-KNĐ (the cell's resolution) and
9-KNĐ (the admission decision), each filled from the step that recorded it (templates/admission/printing/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from casework.engine.packages import Printable
from casework.models import Task, TaskStatus, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Case, Event


def _replies(session: Session, case: Case, _event: Event | None) -> dict[str, Any]:
    """Each residential committee's reply, for the summary."""
    replies = session.scalars(sa.select(Task).where(Task.case_id == case.id, Task.kind == "confirm_background",
                                                    Task.status == TaskStatus.DONE).order_by(Task.id)).all()
    return {"replies": replies}


def _counted(_session: Session, _case: Case, event: Event | None) -> dict[str, Any]:
    """The official members the vote's majority is taken of: those of the register less those not counted."""
    if event is None:
        return {"counted": None}
    return {"counted": int(event.data.get("official_members", 0)) - int(event.data.get("excluded_members", 0))}


def _authority(session: Session, case: Case, _event: Event | None) -> dict[str, Any]:
    return {"authority": session.get(Unit, case.authority_unit_id) if case.authority_unit_id else None}


PRINTABLES = (
    Printable("5-knd", {"vi": "5-KNĐ · Tổng hợp ý kiến nhận xét", "en": "5-KNĐ · Summary of opinions"},
              "admission/printing/opinions_summary.html", "complete_verification", _replies),
    Printable("6-knd", {"vi": "6-KNĐ · Nghị quyết chi bộ", "en": "6-KNĐ · Cell resolution"},
              "admission/printing/cell_resolution.html", "record_cell_vote", _counted),
    Printable("9-knd", {"vi": "9-KNĐ · Quyết định kết nạp", "en": "9-KNĐ · Admission decision"},
              "admission/printing/admission_decision.html", "decide_admission", _authority),
)
