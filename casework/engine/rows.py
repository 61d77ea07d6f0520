"""Writing a step's new rows (its event, the tasks it opens) at once with one Core INSERT each, instead of
adding them to the session for its unit of work: the row the database wrote comes back (``RETURNING``) and is
put in the session as an object already saved, so whoever reads it next (the step's listeners, the page, the
next step) sees an ordinary loaded object, its id and defaults included, and the flush has fewer objects to
sort and save. A step's flush spent most of its time on that bookkeeping, not in the database.

The statement is the one the flush would have sent (one INSERT a row), sent earlier: still inside the step's
transaction, after the case's row lock, so a refusal or a lost race later in the step rolls it back with the rest.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import make_transient_to_detached, object_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Base

Model = TypeVar("Model", bound="Base")


@functools.cache
def _insert(table: sa.Table) -> tuple[sa.Insert, tuple[sa.Column, ...]]:
    """Built once per table: the INSERT answering what the database alone fills in (the key, server defaults);
    and the columns whose defaults are worked out here, so the object holds every column without a reload.
    (Answering every column cost more than the rest of the INSERT: the driver describes each one.)"""
    local = tuple(c for c in table.c if c.default is not None and (c.default.is_scalar or c.default.is_callable))
    answered = [c for c in table.c if c.primary_key or (c.server_default is not None and c not in local)]
    return table.insert().returning(*answered), local


def _filled(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every other column's default (a Python default worked out now, else NULL)."""
    stmt, local = _insert(table)
    filled = dict(values)
    for column in local:
        if column.key not in filled:
            filled[column.key] = column.default.arg(None) if column.default.is_callable else column.default.arg
    for column in table.c:
        if column.key not in filled and not column.primary_key and column.server_default is None:
            filled[column.key] = None
    return filled


def can_write_now(session: Session) -> bool:
    """Whether the database answers an INSERT with its row (PostgreSQL; SQLite from 3.35)."""
    return session.connection().dialect.insert_returning


def write_now(session: Session, model: type[Model], values: dict[str, Any]) -> Model:
    """Insert one ``model`` row with ``values`` (columns by name) now, and answer it as a saved object of the
    session. Its relationships are not set: the caller links what its readers need with ``set_committed_value``
    (setting them as changes would make the flush write the object again)."""
    table = model.__table__
    values = _filled(table, values)
    row = session.connection().execute(_insert(table)[0], values).one()
    obj = model(**values, **row._asdict())
    make_transient_to_detached(obj)  # what it holds is what the database holds: nothing left to flush
    session.add(obj)
    owner = object_session(obj)  # the Session itself, also when ``session`` is a scoped_session
    _written_in(owner).append((owner.get_nested_transaction() or owner.get_transaction(), obj))
    return obj


# The session takes these rows for ones loaded before its transaction, so a rollback would only expire them and
# keep them in its identity map, where a later row given the same key (SQLite reuses a rolled-back rowid)
# could not be added. A rollback therefore drops what was written inside the transaction it undoes, as the
# session does with rows it inserted itself.


def _written_in(session: Session) -> list[tuple[Any, Any]]:
    return session.info.setdefault("casework_written_now", [])


def _within(transaction: Any, undone: Any) -> bool:
    while transaction is not None:
        if transaction is undone:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_rows_written_in_undone_transaction(session: Session, previous_transaction: Any) -> None:
    written = session.info.get("casework_written_now")
    if not written:
        return
    kept = []
    for transaction, obj in written:
        if _within(transaction, previous_transaction):
            if obj in session:
                session.expunge(obj)
        else:
            kept.append((transaction, obj))
    written[:] = kept


@event.listens_for(OrmSession, "after_commit")
def _forget_rows_written(session: Session) -> None:
    session.info.pop("casework_written_now", None)
