"""What the history recorded, worded for people: field labels, dates as dd/mm/yyyy, names for ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casework.engine.definition import FieldDef, WorkflowDef
from casework.models import Document, Event, PartyMember, Unit
from casework.web.i18n import pick
from casework.web.stepforms import choice_label, format_value


class Describer:
    """Turns recorded values into text; names of members, units and documents are read in bulk."""

    def __init__(self, session: Session, wf: WorkflowDef):
        self.session, self.wf = session, wf
        self.members: dict[int, str] = {}
        self.units: dict[int, str] = {}
        self.documents: dict[int, str] = {}

    def prefetch(self, events: list[Event]) -> None:
        member_ids, unit_ids, doc_ids = set(), set(), set()
        for event in events:
            for fdef, value in self._fields(event):
                _collect(fdef, value, member_ids, unit_ids, doc_ids)
        if member_ids:
            self.members = dict(self.session.execute(
                sa.select(PartyMember.id, PartyMember.full_name).where(PartyMember.id.in_(member_ids))).all())
        if unit_ids:
            self.units = dict(self.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
        if doc_ids:
            self.documents = {i: f"{name} ({code})" for i, name, code in self.session.execute(
                sa.select(Document.id, Document.filename, Document.form_code).where(Document.id.in_(doc_ids)))}

    def _fields(self, event: Event) -> list[tuple[FieldDef, Any]]:
        defs = {}
        for tdef in self.wf.transitions:
            if tdef.trigger == event.trigger:
                defs.update({f.name: f for f in tdef.fields if f.name not in defs})
        return [(defs[name], value) for name, value in (event.data or {}).items() if name in defs]

    def recorded(self, event: Event) -> list[tuple[str, str]]:
        """(label, value) pairs of what the step recorded, in the step's field order."""
        return [(pick(fdef.label), self.value(fdef, value)) for fdef, value in self._fields(event)
                if value not in (None, "", [])]

    def value(self, fdef: FieldDef, value: Any) -> str:
        kind = fdef.type
        if kind == "boolean":
            return _("Yes") if value else _("No")
        if kind == "choice":
            return choice_label(value)
        if kind == "unit":
            return self.units.get(_int(value), str(value))
        if kind == "document":
            return self.documents.get(_int(value), str(value))
        if kind == "member_ids":
            return ", ".join(self.members.get(_int(v), str(v)) for v in value)
        if kind == "introducers":
            return "; ".join(_("%(name)s (since %(date)s)", name=self.members.get(_int(i.get("member_id")), "?"),
                               date=format_value(i.get("known_since", ""))) for i in value)
        if kind == "relatives":
            return "; ".join(f"{r.get('full_name')} ({r.get('relation')})" for r in value)
        return format_value(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _collect(fdef: FieldDef, value: Any, members: set, units: set, docs: set) -> None:
    if fdef.type == "member_ids":
        members.update(i for v in value or [] if (i := _int(v)) is not None)
    elif fdef.type == "introducers":
        members.update(i for v in value or [] if (i := _int(v.get("member_id"))) is not None)
    elif fdef.type == "unit" and _int(value) is not None:
        units.add(_int(value))
    elif fdef.type == "document" and _int(value) is not None:
        docs.add(_int(value))
