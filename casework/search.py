"""Search across every case a person may see, for the pages and the API alike.

The scope is the one rule everything else uses (``casework.engine.scope``, in the form that reads fewest
rows): a case outside it is never found, whatever is typed. A subject's identifying number (a national ID…) is
matched by its workflow's package (``WorkflowPackage.identifier``), so search knows no workflow's subject.
Newest cases first, keyset-paged on the case id; the page's cases come with their owning cell in the same
statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from casework.engine.packages import PACKAGES
from casework.engine.scope import visibility_clause_for_many
from casework.ids import parse_id
from casework.models import Case, Unit, User
from casework.models.org import within


@dataclass
class Criteria:
    name: str = ""
    identifier: str = ""  # a subject's number, matched by each workflow's package
    case_number: int | None = None
    workflow: str = ""
    state: str = ""
    unit: Unit | None = None  # cases owned by a cell at or under this unit
    opened_from: date | None = None
    opened_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    status: str = ""  # "open", "closed" or either

    def is_empty(self) -> bool:
        return not any((self.name.strip(), self.identifier.strip(), self.case_number, self.workflow, self.state,
                        self.unit, self.opened_from, self.opened_to, self.closed_from, self.closed_to, self.status))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _identifier_clause(text: str) -> sa.ColumnElement[bool]:
    clauses = [p.identifier.cases(text) for p in PACKAGES.values() if p.identifier is not None]
    return sa.or_(*clauses) if clauses else sa.false()


def query(user: User, criteria: Criteria) -> sa.Select:
    """The cases this person may see that match every criterion given."""
    q = sa.select(Case).where(visibility_clause_for_many(user))  # 22 s → 31 ms for a cell among 1M cases
    if criteria.name.strip():
        q = q.where(Case.title.ilike(f"%{_escaped(criteria.name.strip())}%", escape="\\"))
    if criteria.identifier.strip():
        q = q.where(_identifier_clause(criteria.identifier))
    if criteria.case_number:
        q = q.where(Case.id == criteria.case_number)
    if criteria.workflow:
        q = q.where(Case.workflow == criteria.workflow)
    if criteria.state:
        q = q.where(Case.state == criteria.state)
    if criteria.unit is not None:
        cell = sa.orm.aliased(Unit)
        q = q.where(sa.exists().where(cell.id == Case.owning_cell_id, within(cell.path, criteria.unit)))
    q = _dates(q, Case.opened_on, criteria.opened_from, criteria.opened_to)
    q = _dates(q, Case.closed_on, criteria.closed_from, criteria.closed_to)
    if criteria.status == "open":
        q = q.where(Case.closed_on.is_(None))
    elif criteria.status == "closed":
        q = q.where(Case.closed_on.is_not(None))
    return q


def _dates(q: sa.Select, column, start: date | None, end: date | None) -> sa.Select:
    """Both ends included: a case opened on the last day of the range is found."""
    if start is not None:
        q = q.where(column >= start)
    if end is not None:
        q = q.where(column <= end)
    return q


@dataclass
class Results:
    rows: list[Case]
    next_after: int | None  # the last row's id, when there is more


def page(session: Session, q: sa.Select, after: str | None, size: int) -> Results:
    """A page of matching cases, newest first (by id), after the case ``after`` names."""
    last = parse_id(after)
    if last is not None:
        q = q.where(Case.id < last)
    rows = list(session.scalars(q.options(joinedload(Case.owning_cell)).order_by(Case.id.desc()).limit(size + 1))
                .unique())
    more = len(rows) > size
    rows = rows[:size]
    return Results(rows, rows[-1].id if more and rows else None)
