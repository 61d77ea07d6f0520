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
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from casework.engine.errors import Conflict
from casework.engine.reasons import Reason
from casework.engine.rows import session_behind
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
    if known is None or any(instance_state(task).expired or task.id is None for task in known):
        session.execute(_lock_query(), {"case_id": case_id}).unique().one()
    elif not _lock_held_case(session, state, case_id, list(known)):
        _lock_with_live_tasks(session, case, case_id, list(known))
    locked_in_transaction(session).add(case_id)
    return case.version


# The case the session holds already, with its tasks and its subject (a step's or a page's reading, not expired)
# and not changed since: the row lock reads, with Core, what can have moved under it without the session knowing,
# and puts in the objects whatever did, as the ORM's reload would (it spent more on building the objects' rows
# again than the database took). The case's version moves with every change the ORM writes; of its columns only
# the event number (the clock's notices) and the title (a subject renamed) are written without it, and are read.
# The live tasks and the subjects joined with the case (``lazy="joined"``) are read whole. When the version
# moved, a task was opened meanwhile or the subject is another, the ORM reloads it all (the lock is held by then).
_UNVERSIONED = ("last_event_seq", "title")


class _HeldPlan(NamedTuple):
    statement: sa.Select
    tasks: tuple[tuple[str, str], ...]  # (attribute, label) of each task column
    subjects: tuple[tuple[str, Any, tuple[tuple[str, str], ...]], ...]  # (relationship, mapper, attribute/label)


def _plain(mapper) -> tuple[tuple[str, sa.Column], ...] | None:
    """A mapper's column attributes, each one column of its table; None if it has any other kind."""
    columns = []
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1 or not isinstance(prop.columns[0], sa.Column) \
                or prop.columns[0].table is not mapper.local_table:
            return None
        columns.append((prop.key, prop.columns[0]))
    return tuple(columns)


@functools.cache
def _joined_subjects() -> tuple[str, ...] | None:
    """The case's relationships loaded with it (``lazy="joined"``: its subject, by workflow), all readable here;
    None when one is not (the ORM then reloads the case)."""
    keys = []
    for rel in sa.inspect(Case).relationships:
        if rel.lazy != "joined":
            continue
        target = rel.mapper
        if (rel.uselist or rel.secondary is not None or _plain(target) is None
                or target.local_table in (Case.__table__, Task.__table__)
                or any(r.lazy == "joined" for r in target.relationships)):
            return None
        keys.append(rel.key)
    return tuple(keys)


@functools.cache
def _held_plan(subjects: tuple[str, ...]) -> _HeldPlan | None:
    """Built once per set of subjects the case holds: the case's subject of another workflow is none, and stays
    none (its workflow and subject are the case's own columns: they move only with its version)."""
    cases, tasks = Case.__table__, Task.__table__
    task_columns = _plain(sa.inspect(Task))
    if task_columns is None:
        return None
    selected = [cases.c.version, *(cases.c[name] for name in _UNVERSIONED)]
    selected += [column.label(f"t_{n}") for n, (_, column) in enumerate(task_columns)]
    live = sa.or_(tasks.c.status == TaskStatus.OPEN, tasks.c.id.in_(sa.bindparam("open_ids", expanding=True)))
    joined = cases.outerjoin(tasks, sa.and_(tasks.c.case_id == cases.c.id, live))
    read = []
    for key in subjects:
        rel = sa.inspect(Case).relationships[key]
        target, columns = rel.mapper, _plain(rel.mapper)
        if any(t is target.local_table for _, t, _ in read):
            return None
        labels = tuple((attr, f"s{len(read)}_{n}") for n, (attr, _) in enumerate(columns))
        selected += [column.label(label) for (_, column), (_, label) in zip(columns, labels, strict=True)]
        joined = joined.outerjoin(target.local_table, rel.primaryjoin)
        read.append((key, target, labels))
    statement = (sa.select(*selected).select_from(joined).where(cases.c.id == sa.bindparam("case_id"))
                 .order_by(tasks.c.id).with_for_update(of=cases))
    task_labels = tuple((attr, f"t_{n}") for n, (attr, _) in enumerate(task_columns))
    return _HeldPlan(statement, task_labels, tuple((key, target, labels) for key, target, labels in read))


def _untouched(state) -> bool:
    return not state.expired and not state.expired_attributes and not state.modified


def _lock_held_case(session: Session, state, case_id: int, known: list[Task]) -> bool:
    """Take the row lock and bring the case the session holds up to date without the ORM's reload; False when
    that is not possible (the caller then reloads it, under the lock taken here if any)."""
    relationships = _joined_subjects()
    if relationships is None or not _untouched(state) \
            or not all(_untouched(instance_state(task)) for task in known):
        return False
    dict_, held = state.dict, []
    for key in relationships:
        if key not in dict_:
            return False
        subject = dict_[key]
        if subject is not None:
            if not _untouched(instance_state(subject)):
                return False
            held.append((key, subject))
    plan = _held_plan(tuple(key for key, _ in held))
    if plan is None:
        return False
    open_ids = [task.id for task in known if task.status == TaskStatus.OPEN]
    rows = session.connection().execute(plan.statement, {"case_id": case_id, "open_ids": open_ids}).all()
    first = rows[0]._mapping
    if first["version"] != dict_["version"]:
        return False
    _refresh(state.obj(), dict_, [(name, name) for name in _UNVERSIONED], first)
    for (_, target, labels), (_, subject) in zip(plan.subjects, held, strict=True):
        pk = [first[label] for attr, label in labels if target.get_property(attr).columns[0].primary_key]
        if pk != list(target.primary_key_from_instance(subject)):
            return False
        _refresh(subject, instance_state(subject).dict, labels, first)
    by_id = {task.id: task for task in known}
    id_label = dict(plan.tasks)["id"]
    for row in rows:
        mapping = row._mapping
        task_id = mapping[id_label]
        if task_id is None:
            continue
        task = by_id.get(task_id)
        if task is None:  # opened meanwhile
            return False
        _refresh(task, instance_state(task).dict, plan.tasks, mapping)
    return True


def _refresh(obj: Any, dict_: dict[str, Any], labels, row) -> None:
    """The object's attributes as the row holds them, as loaded (no change to flush)."""
    for attr, label in labels:
        value = row[label]
        if attr not in dict_ or dict_[attr] != value:
            set_committed_value(obj, attr, value)


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
    session = session_behind(session)
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
