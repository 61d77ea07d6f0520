"""The founding forms printed from a case: the proposal (tờ trình) and the founding decision, each filled from the
step that recorded it (templates/founding/printing/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casework.engine.packages import Printable
from casework.models import PartyMember, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Case, Event


def _proposal(session: Session, case: Case, event: Event | None) -> dict[str, Any]:
    """The committee proposing, the unit proposed to, the interim secretary and the members transferred."""
    data = event.data if event is not None else {}
    secretary = session.get(PartyMember, data["interim_secretary"]) if data.get("interim_secretary") else None
    return {"committee": session.get(Unit, case.owning_cell_id), "enterprise": case.enterprise,
            "reports_to": session.get(Unit, data["reports_to"]) if data.get("reports_to") else None,
            "secretary": secretary, "members": case.facts.get("transferred_members") or [],
            "cells": _cells(session, case.facts.get("transferred_members") or [])}


def _decision(session: Session, case: Case, event: Event | None) -> dict[str, Any]:
    """The authority deciding, with everything the proposal said."""
    values = _proposal(session, case, None)
    secretary_id = case.facts.get("interim_secretary")
    values.update({"authority": session.get(Unit, case.authority_unit_id) if case.authority_unit_id else None,
                   "reports_to": session.get(Unit, case.facts["reports_to"]) if case.facts.get("reports_to") else None,
                   "secretary": session.get(PartyMember, secretary_id) if secretary_id else None})
    return values


def _cells(session: Session, members: list[dict]) -> dict[int, str]:
    ids = {m["from_cell"] for m in members if m.get("from_cell")}
    return {unit_id: session.get(Unit, unit_id).name for unit_id in ids}


PRINTABLES = (
    Printable("to-trinh", {"vi": "Tờ trình đề nghị thành lập tổ chức đảng", "en": "Proposal to found the organisation"},
              "founding/printing/proposal.html", "submit_proposal", _proposal),
    Printable("qd-thanh-lap", {"vi": "Quyết định thành lập tổ chức đảng", "en": "Founding decision"},
              "founding/printing/decision.html", "decide_founding", _decision),
)
