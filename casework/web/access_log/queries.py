"""Reading the access log for an organizer or an administrator: their subtrees' rows, filtered, newest first.

Which rows a subtree sees: those whose data belongs to it (``scope_path``: the case's owning cell, the
export's unit, as they stood at the time). A row about a case of another subtree is never shown, even when
the person who opened it acts inside this one: showing it would disclose a case outside the reader's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.ids import parse_id
from casework.localtime import as_utc, day_start
from casework.models import AccessKind, AccessLog, Unit, User
from casework.models.org import within

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000  # a download beyond this is a request for a database dump, not a report


@dataclass(frozen=True)
class Filters:
    person: str = ""  # a username exactly, or part of a full name
    case_id: int | None = None
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        return cls(person=(args.get("person") or "").strip(), case_id=args.get("case_id", type=parse_id),
                   kind=args.get("kind") if args.get("kind") in set(AccessKind) else "",
                   date_from=_day(args.get("date_from")), date_to=_day(args.get("date_to")))

    def as_args(self) -> dict[str, str]:
        values = {"person": self.person, "case_id": self.case_id, "kind": self.kind,
                  "date_from": self.date_from, "date_to": self.date_to}
        return {k: str(v) for k, v in values.items() if v}


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@dataclass
class Page:
    rows: list[sa.Row]
    next_before: int | None


def visible(roots: list[Unit]) -> sa.ColumnElement[bool]:
    """Rows whose data belongs to one of these subtrees."""
    return sa.or_(*(within(AccessLog.scope_path, r) for r in roots)) if roots \
        else sa.false()


def query(roots: list[Unit], filters: Filters) -> sa.Select:
    """The rows with who, through which unit and about which unit, newest first (entry order)."""
    role_unit, scope_unit = aliased(Unit), aliased(Unit)
    stmt = (sa.select(AccessLog, User.username, User.full_name, role_unit.name.label("unit_name"),
                      scope_unit.name.label("scope_name"))
            .join(User, User.id == AccessLog.user_id).join(role_unit, role_unit.id == AccessLog.unit_id)
            .join(scope_unit, scope_unit.id == AccessLog.scope_unit_id)
            .where(visible(roots)).order_by(AccessLog.id.desc()))
    return _filtered(stmt, filters)


def _filtered(stmt: sa.Select, f: Filters) -> sa.Select:
    if f.person:
        stmt = stmt.where(sa.or_(User.username == f.person, User.full_name.icontains(f.person, autoescape=True)))
    if f.case_id:
        stmt = stmt.where(AccessLog.case_id == f.case_id)
    if f.kind:
        stmt = stmt.where(AccessLog.kind == f.kind)
    if f.date_from:
        stmt = stmt.where(AccessLog.accessed_at >= day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(AccessLog.accessed_at < day_start(f.date_to + timedelta(days=1)))
    return stmt


def page(session: Session, stmt: sa.Select, before: int | None, size: int | None = None) -> Page:
    """Keyset paging on the id: page 500 costs what page 1 does."""
    size = size or PAGE_SIZE
    if before:
        stmt = stmt.where(AccessLog.id < before)
    rows = list(session.execute(stmt.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_before=rows[-1].AccessLog.id if more else None)


HEADER = ["id", "accessed_at", "username", "full_name", "kind", "case_id", "task_id", "document_id", "export_name",
          "scope_unit_id", "scope_unit", "role", "unit_id", "unit", "face"]


def table(session: Session, stmt: sa.Select) -> tuple[list[str], list[list]]:
    """The rows as a table (header, rows) for the monitoring export writers."""
    rows = []
    for row in session.execute(stmt.limit(EXPORT_LIMIT)):
        log = row.AccessLog
        rows.append([log.id, as_utc(log.accessed_at).isoformat(), row.username, row.full_name, log.kind, log.case_id,
                     log.task_id, log.document_id, log.export_name, log.scope_unit_id, row.scope_name, log.role,
                     log.unit_id, row.unit_name, log.face])
    return HEADER, rows
