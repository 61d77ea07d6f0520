"""Options for generated forms, each read in one query: units by kind, a cell's members, a case's
documents."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casework.engine.definition import TransitionDef
from casework.models import Case, Document, MemberStatus, PartyMember, Unit
from casework.web.stepforms import WIDGETS, Choices


def units_by_kind(session: Session, kinds: set[str]) -> dict[str, list[tuple[int, str]]]:
    if not kinds:
        return {}
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    query = sa.select(Unit.id, Unit.kind, Unit.name, Unit.cell_type).where(Unit.kind.in_(kinds)).order_by(Unit.name)
    for unit_id, kind, name, cell_type in session.execute(query):
        out[kind].append((unit_id, name))
        if cell_type:  # cells also by type (kind:type), so a list can keep workplace cells apart from residential
            out[f"{kind}:{cell_type}"].append((unit_id, name))
    return dict(out)


def member_options(session: Session, cell_id: int) -> list[tuple[int, str]]:
    rows = session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == cell_id)
                           .order_by(PartyMember.full_name)).all()
    probationary = _("probationary")
    return [(m.id, m.full_name if m.status == MemberStatus.OFFICIAL else f"{m.full_name} ({probationary})")
            for m in rows]


def document_options(session: Session, case_id: int) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for doc_id, code, name in session.execute(sa.select(Document.id, Document.form_code, Document.filename)
                                              .where(Document.case_id == case_id).order_by(Document.id.desc())):
        out[code].append((doc_id, name))
    return dict(out)


def _kinds_needed(tdefs: list[TransitionDef]) -> set[str]:
    kinds: set[str] = set()
    for tdef in tdefs:
        for fdef in tdef.fields:
            kinds.update(fdef.unit_kinds)
    return kinds


def _member_types() -> set[str]:
    """Field types whose form offers the cell's members: the engine's own and packages' that say so."""
    return {"member_ids"} | {name for name, entry in WIDGETS.items() if entry.needs_members}


def for_case(session: Session, case: Case, tdefs: list[TransitionDef]) -> Choices:
    """Every option the case's step forms may need, read once for the whole page."""
    types = {f.type for t in tdefs for f in t.fields}
    return Choices(
        units=units_by_kind(session, _kinds_needed(tdefs)),
        members=member_options(session, case.owning_cell_id) if types & _member_types() else [],
        documents=document_options(session, case.id) if "document" in types else {},
    )
