"""Steps that race each other on one case: one rule for taking the case, one for recognising a lost race.

Every step (a person's or the clock's) first takes the case's row lock (PostgreSQL ``SELECT … FOR UPDATE``;
SQLite allows one writer at a time anyway, and ignores ``FOR UPDATE``). A second step on the same case waits
there for the first to commit and then reads the version it left, so it is refused as stale before it writes
anything. Whatever still slips through (a unique key on the event number, a versioned ``UPDATE`` that matched
no row, a deadlock, a lock or serialization failure) may surface at any flush, not only at the commit: it is
a lost race, which a person is told as a conflict (409) with the version that won.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import joinedload, scoped_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from casework.engine.errors import Conflict
from casework.engine.reasons import Reason
from casework.models import Case, Task, TaskStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# serialization_failure, deadlock_detected, lock_not_available (PostgreSQL SQLSTATEs)
_RACE_SQLSTATES = {"40001", "40P01", "55P03"}
_LOCKED = "casework_locked_cases"


def lock_case(session: Session, case: Case) -> int:
    """Hold the case's row until the transaction ends and reload it (and its tasks) as committed now:
    whoever stepped first has finished by then. Returns the current version."""
    # A notice of the clock opens or closes tasks without changing the version: read them afresh too, in the
    # same statement (joined, the lock taken on the case's row only), so the step that follows loads nothing
    # more. The id comes from the identity: a case expired by the previous commit is not reloaded just to be
    # read again here.
    state = sa.inspect(case)
    case_id = state.identity[0] if state.identity else case.id
    known = state.dict.get("tasks")
    if known is None or any(sa.inspect(task).expired or task.id is None for task in known):
        session.execute(_lock_query(), {"case_id": case_id}).unique().one()
    else:
        _lock_with_live_tasks(session, case, case_id, list(known))
    locked_in_transaction(session).add(case_id)
    return case.version


def _lock_with_live_tasks(session: Session, case: Case, case_id: int, known: list[Task]) -> None:
    """The case's tasks are loaded already (the page or the previous step read them): only those that can have
    changed since are read again with the lock, the open ones (a task once closed is never changed again) and
    any opened meanwhile, instead of every task the case ever had."""
    open_ids = [task.id for task in known if task.status == TaskStatus.OPEN]
    rows = session.execute(_live_lock_query(), {"case_id": case_id, "open_ids": open_ids}).all()
    seen = {task.id for task in known}
    opened = [task for _, task in rows if task is not None and task.id not in seen]
    # Reading the case afresh resets its unloaded collections: the tasks are put back, with any new ones.
    set_committed_value(case, "tasks", sorted([*known, *opened], key=lambda task: task.id))


@functools.cache
def _lock_query() -> sa.Select:
    """Built once: constructing the select cost more than the database took to answer it."""
    return (sa.select(Case).where(Case.id == sa.bindparam("case_id")).with_for_update(of=Case)
            .options(joinedload(Case.tasks)).execution_options(populate_existing=True))


@functools.cache
def _live_lock_query() -> sa.Select:
    live = sa.or_(Task.status == TaskStatus.OPEN, Task.id.in_(sa.bindparam("open_ids", expanding=True)))
    return (sa.select(Case, Task).outerjoin(Task, sa.and_(Task.case_id == Case.id, live))
            .where(Case.id == sa.bindparam("case_id")).order_by(Task.id).with_for_update(of=Case)
            .execution_options(populate_existing=True))


def locked_in_transaction(session: Session) -> set[int]:
    """Ids of the cases whose row lock this transaction took with ``lock_case``: it holds them until it ends,
    so whoever reads them again in it (monitoring's tally keys) need not lock them a second time."""
    if isinstance(session, scoped_session):  # the app hands Flask-SQLAlchemy's proxy
        session = session()
    transaction = session.get_transaction()
    kept = session.info.get(_LOCKED)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_LOCKED] = (transaction, set())
    return kept[1]


def is_lost_race(exc: BaseException) -> bool:
    """Did the database refuse this write because another transaction changed the same rows first?"""
    if isinstance(exc, (IntegrityError, StaleDataError)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _RACE_SQLSTATES or "database is locked" in str(exc.orig)  # SQLite's busy writer


# Without the version the caller saw, a stale step could not be told from a fresh one. The API's schema
# refuses a missing one with this same reason before the engine is reached.
EXPECTED_VERSION_REQUIRED = Reason("expected_version_required", "Thiếu phiên bản hồ sơ (expected_version).",
                                   "expected_version (the case version you saw) is required.")


def stale(expected_version: int, current_version: int) -> Conflict:
    """The refusal for a step taken on a version that is no longer current."""
    return Conflict("the case has changed", [Reason(
        "stale_version", "Hồ sơ vừa được người khác cập nhật; hãy xem lại trước khi thao tác.",
        "Someone else changed the case first; review it before acting.",
        {"expected_version": expected_version, "current_version": current_version})])


def lost_race(session: Session, case_id: int, expected_version: int | None) -> Conflict:
    """After a lost race (rolled back): the refusal, with the version that won read afresh."""
    current = session.scalar(sa.select(Case.version).where(Case.id == case_id))
    session.rollback()  # end the read; nothing is held
    return Conflict("the case has changed", [Reason(
        "concurrent_update", "Hồ sơ vừa được người khác cập nhật cùng lúc; hãy xem lại.",
        "Someone else changed the case at the same moment; review it.",
        {"expected_version": expected_version, "current_version": current})])
