"""The inbox, for the pages and the API alike: open tasks routed to the person's (unit, role) pairs, overdue
first (by due date, undated last), then by id.

Paging is keyset (``after`` = the last row's due date and id, a cursor the caller treats as opaque), so page 500
costs what page 1 does; the filter on (unit_id, role, status) and the order on due_date follow the
``ix_tasks_inbox`` index. Cases (their titles) and units come in the same query (no query per row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from casework.ids import parse_id
from casework.models import Case, Task, TaskStatus, User

NO_DUE = "n"  # the cursor's due part for tasks with no due date (they come last)


@dataclass
class InboxFilters:
    name: str = ""
    state: str = ""
    unit_id: int | None = None
    overdue: bool = False
    kinds: frozenset[str] = frozenset()  # only tasks of these kinds (none: every kind)


@dataclass
class Page:
    rows: list[Task]
    next_after: str | None
    is_first: bool


def hats(user: User) -> list[tuple[int, str]]:
    """The (unit, role) pairs whose tasks are this person's: their own roles and those they stand in for today."""
    return [(r.unit_id, r.role) for r in user.hats]


def _base(user: User) -> sa.Select:
    pairs = hats(user)
    if not pairs:
        return sa.select(Task).where(sa.false())
    return sa.select(Task).where(Task.status == TaskStatus.OPEN, sa.tuple_(Task.unit_id, Task.role).in_(pairs))


def filtered(user: User, filters: InboxFilters, today: date) -> sa.Select:
    """The person's open tasks matching the filters (none: the whole inbox), to be read with ``page``."""
    query = _base(user).join(Task.case)
    if filters.name.strip():
        query = query.where(Case.title.ilike(f"%{filters.name.strip()}%", escape="\\"))
    if filters.state:
        query = query.where(Case.state == filters.state)
    if filters.unit_id:
        query = query.where(Task.unit_id == filters.unit_id)
    if filters.overdue:
        query = query.where(Task.due_date < today)
    if filters.kinds:
        query = query.where(Task.kind.in_(sorted(filters.kinds)))
    return query


class BadCursor(ValueError):
    """A cursor this inbox never gave out."""


@dataclass(frozen=True)
class Cursor:
    due: date | None  # None: past the dated tasks, among the undated ones
    task_id: int


def read_cursor(text: str) -> Cursor:
    """The one reading of a cursor; the API refuses what does not read, the pages start from the top."""
    due_part, colon, id_part = text.partition(":")
    task_id = parse_id(id_part)
    if not colon or task_id is None:
        raise BadCursor(text)
    if due_part == NO_DUE:
        return Cursor(None, task_id)
    try:
        return Cursor(date.fromisoformat(due_part), task_id)
    except ValueError:
        raise BadCursor(text) from None


def _after(query: sa.Select, after: str | None) -> sa.Select:
    """Rows after the cursor in (due date, id) order, with undated tasks last."""
    try:
        cursor = read_cursor(after) if after else None
    except BadCursor:
        cursor = None  # an old or edited link: the first page
    if cursor is None:
        return query
    if cursor.due is None:
        return query.where(Task.due_date.is_(None), Task.id > cursor.task_id)
    return query.where(sa.or_(Task.due_date > cursor.due,
                              sa.and_(Task.due_date == cursor.due, Task.id > cursor.task_id),
                              Task.due_date.is_(None)))


def page(session: Session, query: sa.Select, after: str | None, size: int) -> Page:
    ordered = (_after(query, after)
               .options(contains_eager(Task.case).lazyload("*"), joinedload(Task.unit), joinedload(Task.claimed_by))
               .order_by(Task.due_date.is_(None), Task.due_date, Task.id).limit(size + 1))
    rows = list(session.scalars(ordered).unique())
    more = len(rows) > size
    rows = rows[:size]
    next_after = _cursor(rows[-1]) if more and rows else None
    return Page(rows=rows, next_after=next_after, is_first=not after)


def _cursor(task: Task) -> str:
    return f"{task.due_date.isoformat() if task.due_date else NO_DUE}:{task.id}"


@dataclass
class HatCount:
    unit_id: int
    role: str
    total: int
    overdue: int
    due_this_week: int = 0


def week_end(today: date) -> date:
    """The Sunday of today's week: what "due this week" reaches to."""
    return today + timedelta(days=6 - today.weekday())


def counts(session: Session, user: User, today: date) -> list[HatCount]:
    """Open, overdue and due-this-week tasks per hat, in one grouped query over the inbox index."""
    this_week = sa.and_(Task.due_date >= today, Task.due_date <= week_end(today))
    query = (_base(user).with_only_columns(
        Task.unit_id, Task.role, sa.func.count(Task.id),
        sa.func.count(sa.case((Task.due_date < today, Task.id))),
        sa.func.count(sa.case((this_week, Task.id))))
        .group_by(Task.unit_id, Task.role))
    return [HatCount(u, r, total, late, week) for u, r, total, late, week in session.execute(query)]


# --------------------------------------------------------------------------------------------------
# Work queues: the inbox split by what to do. Overdue and due this week are open tasks (read with ``page``);
# waiting on others are cases; done by me are closed tasks. Each queue is one query and its count another.

QUEUES = ("all", "overdue", "week", "waiting", "done")
RECENT_DAYS = 30  # "recently done": the last month's work


def due_in_queue(query: sa.Select, queue: str, today: date) -> sa.Select:
    """The open tasks of a queue of open tasks (all, overdue, due this week)."""
    if queue == "overdue":
        return query.where(Task.due_date < today)
    if queue == "week":
        return query.where(Task.due_date >= today, Task.due_date <= week_end(today))
    return query


def _mine(user: User) -> sa.ColumnElement[bool]:
    pairs = hats(user)
    return sa.tuple_(Task.unit_id, Task.role).in_(pairs) if pairs else sa.false()


def waiting_on_others(user: User) -> sa.Select:
    """Open cases in this person's scope that nothing of theirs holds up: every open task is another
    organisation's (a residential committee's reply, the authority's decision)."""
    from casework.engine.scope import visibility_clause_for_many

    open_task = sa.and_(Task.case_id == Case.id, Task.status == TaskStatus.OPEN)
    return (sa.select(Case).where(visibility_clause_for_many(user), Case.closed_on.is_(None),
                                  sa.exists().where(open_task, sa.not_(_mine(user))),
                                  ~sa.exists().where(open_task, _mine(user))))


def done_by(user: User, today: date, kinds: frozenset[str] = frozenset()) -> sa.Select:
    """Tasks this person completed in the last ``RECENT_DAYS`` days; with ``kinds``, the replies of those kinds
    sent from any of their hats (a residential committee's past replies, whoever of it sent them)."""
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), datetime.min.time(), tzinfo=UTC)
    query = sa.select(Task).where(Task.status == TaskStatus.DONE, Task.completed_at >= since)
    if kinds:
        return query.where(Task.kind.in_(sorted(kinds)), _mine(user))
    return query.where(Task.completed_by_id == user.id)


# A queue's count stops here: an organizer over a province waits on tens of thousands of cases, and counting
# them all cost more than the rest of the inbox; past this the page says "999+".
COUNT_CAP = 999


def count_of(session: Session, query: sa.Select, cap: int | None = None) -> int:
    """How many rows ``query`` selects; with ``cap``, at most ``cap + 1`` (read: more than ``cap``)."""
    query = query.order_by(None)
    if cap is not None:
        query = query.limit(cap + 1)
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


@dataclass
class NumberedPage:
    rows: list
    number: int
    has_next: bool


def numbered_page(session: Session, query: sa.Select, number: int, size: int) -> NumberedPage:
    """A page of a short queue (waiting, done: bounded by scope or by a month), by number."""
    number = max(1, number)
    rows = list(session.scalars(query.offset((number - 1) * size).limit(size + 1)).unique())
    return NumberedPage(rows[:size], number, len(rows) > size)


def waiting_page(session: Session, user: User, number: int, size: int) -> NumberedPage:
    """Waiting cases, oldest first, with their open tasks and those tasks' units (three statements in all)."""
    query = (waiting_on_others(user).options(selectinload(Case.tasks).joinedload(Task.unit))
             .order_by(Case.state_entered_at, Case.id))
    return numbered_page(session, query, number, size)


def done_page(session: Session, user: User, today: date, number: int, size: int,
              kinds: frozenset[str] = frozenset()) -> NumberedPage:
    query = (done_by(user, today, kinds).options(joinedload(Task.case).joinedload(Case.owning_cell),
                                                 joinedload(Task.unit), joinedload(Task.completed_by))
             .order_by(Task.completed_at.desc(), Task.id.desc()))
    return numbered_page(session, query, number, size)
