"""What the history recorded, worded for people: field labels, dates as dd/mm/yyyy, names for ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casework.engine.definition import FieldDef, WorkflowDef
from casework.engine.migration import MIGRATE_TRIGGER
from casework.engine.validation import IMPORT_TRIGGER
from casework.models import Document, Event, PartyMember, Unit
from casework.web.i18n import pick
from casework.web.stepforms import WIDGETS, choice_label, format_value


class Describer:
    """Turns recorded values into text; names of members, units and documents are read in bulk.

    ``wf`` is the version the case follows now. A case moved to another version (an event with the engine's
    ``migrate`` trigger) was on an older one before: its earlier events are worded by the version they were
    taken under, and an event no version defines (the move itself, the clock's notices) by the label it
    carries."""

    def __init__(self, session: Session, wf: WorkflowDef):
        self.session, self.wf = session, wf
        self.members: dict[int, str] = {}
        self.units: dict[int, str] = {}
        self.documents: dict[int, str] = {}
        self.versions: dict[int, int] = {}  # event seq -> the version it was taken under

    def prefetch(self, events: list[Event]) -> None:
        current = self.wf.version
        for event in sorted(events, key=lambda e: e.seq, reverse=True):
            self.versions[event.seq] = current
            if event.trigger == MIGRATE_TRIGGER:
                current = _moved_from(event, current)
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

    def definition(self, event: Event, version: int | None = None) -> WorkflowDef:
        """The version the event was taken under (or ``version``), when the engine still has it."""
        version = version or self.versions.get(event.seq, self.wf.version)
        if version == self.wf.version:
            return self.wf
        versions = current_app.extensions["casework_engine"].workflows.get(self.wf.name, {})
        return versions.get(version, self.wf)

    def title(self, event: Event) -> str:
        """What happened: the step's label in its version, else the label the event carries (a move to
        another version, a notice of the clock), else its trigger."""
        tdef = next((t for t in self.definition(event).transitions if t.trigger == event.trigger), None)
        if tdef is not None:
            return pick(tdef.label)
        label = (event.data or {}).get("label")
        return pick(label) if isinstance(label, dict) else event.trigger

    def move(self, event: Event) -> tuple[str, str] | None:
        """The states left and entered, named by their versions; None when the event stayed put."""
        before = self.definition(event, _moved_from(event, None) if event.trigger == MIGRATE_TRIGGER else None)
        after = self.definition(event)
        if event.from_state == event.to_state and before is after:
            return None
        return (_state(before, event.from_state) if event.from_state else "—", _state(after, event.to_state))

    def version_change(self, event: Event) -> str | None:
        """For a move to another version: which versions, as people read it."""
        if event.trigger != MIGRATE_TRIGGER:
            return None
        old, new = _moved_from(event, None), (event.changes or {}).get("workflow_version")
        return _("workflow version %(old)s → %(new)s", old=old, new=new) if old and new else None

    def source(self, event: Event) -> str | None:
        """For a case imported from a spreadsheet: the file and line it came from."""
        if event.trigger != IMPORT_TRIGGER:
            return None
        source = (event.data or {}).get("source") or {}
        return _("from %(file)s, line %(line)s", file=source.get("file", "?"), line=source.get("line", "?"))

    def _fields(self, event: Event) -> list[tuple[FieldDef, Any]]:
        if event.trigger == IMPORT_TRIGGER:  # what the start step records, as the row gave it
            start = {f.name: f for f in self.definition(event).start_transition.fields}
            values = (event.data or {}).get("fields") or {}
            return [(start[name], value) for name, value in values.items() if name in start]
        defs = {}
        for tdef in self.definition(event).transitions:
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
        entry = WIDGETS.get(kind)
        if entry is not None and entry.describe is not None:
            return entry.describe(value, lambda member_id: self.members.get(_int(member_id), "?"))
        return format_value(value)


def _moved_from(event: Event, default: int | None) -> int | None:
    """The version a ``migrate`` event moved the case from (casework.engine.migration writes it in data)."""
    moved = (event.data or {}).get("from")
    version = moved.get("version") if isinstance(moved, dict) else None
    return version if isinstance(version, int) else default


def _state(wf: WorkflowDef, state: str) -> str:
    return pick(wf.states[state].label) if state in wf.states else state


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _collect(fdef: FieldDef, value: Any, members: set, units: set, docs: set) -> None:
    if fdef.type == "member_ids":
        members.update(i for v in value or [] if (i := _int(v)) is not None)
    elif fdef.type in WIDGETS and WIDGETS[fdef.type].member_ids is not None:
        members.update(i for v in WIDGETS[fdef.type].member_ids(value) if (i := _int(v)) is not None)
    elif fdef.type == "unit" and _int(value) is not None:
        units.add(_int(value))
    elif fdef.type == "document" and _int(value) is not None:
        docs.add(_int(value))
