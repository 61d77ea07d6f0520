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
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper, make_transient_to_detached, scoped_session
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.orm.unitofwork import UOWTransaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Base

Model = TypeVar("Model", bound="Base")


def session_behind(session: Session) -> OrmSession:
    """The Session itself: the app hands the engine Flask-SQLAlchemy's scoped proxy, whose attributes (its
    ``info``, its flags, its private methods) are not all the Session's."""
    return session() if isinstance(session, scoped_session) else session


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
    # Its columns put in place as a load would (no attribute events: there is no change to track).
    obj = model.__mapper__.class_manager.new_instance()
    state = instance_state(obj)
    state.dict.update(values)
    state.dict.update(row._mapping)
    make_transient_to_detached(obj)  # what it holds is what the database holds: nothing left to flush
    owner = session_behind(session)
    # ``Session.add`` without its cascade: no relationship of the new object is set, there is nothing to cascade to.
    state._orphaned_outside_of_session = False
    owner._update_impl(state)
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


# --------------------------------------------------------------------------------------------------
# Writing a step's changed rows without the unit of work
#
# After a step, what the session holds changed is the case's new state and the tasks it closed: saved objects
# whose columns alone moved. The unit of work's flush works out dependencies, cascades and statement batches
# first, and that bookkeeping cost more than the two UPDATEs it sends. ``flush`` sends those same UPDATEs itself
# (the case's with its version check) and tells the session's flush listeners as a flush would (before: with the
# objects still changed; after: with their history still there, before it is committed), so whoever counts from a
# flush (monitoring's tallies, the notices, the history's guard) sees one. Anything else pending (a new object, a
# deletion, a relationship changed, a mapper with its own listeners) goes through the unit of work as before.


def flush(session: Session) -> None:
    """``session.flush()``, writing saved objects' changed columns with one Core UPDATE each (several alike in
    one executemany) when that is all there is to write."""
    owner = session_behind(session)
    if owner._flushing or not _simple(owner):
        owner.flush()
        return
    states = list(owner.identity_map._modified)
    if not any(state.modified and state.committed_state for state in states):
        owner.flush()  # nothing to write: the session's own shortcut
        return
    owner._flushing = True
    try:
        flush_context = UOWTransaction(owner)
        if owner.dispatch.before_flush:
            owner.dispatch.before_flush(owner, flush_context, None)
            if not _simple(owner):  # a listener added work of another kind: the unit of work writes it all
                owner._flushing = False
                owner.flush()
                return
            states = list(owner.identity_map._modified)
        written = _write_changed(owner, states)
        owner.dispatch.after_flush(owner, flush_context)
        InstanceState._commit_all_states(((state, state.dict) for state in written), owner.identity_map)
        owner._register_altered(written)  # a rollback expires them, as after a flush
        owner.dispatch.after_flush_postexec(owner, flush_context)
    finally:
        owner._flushing = False


def _simple(session: OrmSession) -> bool:
    """Whether everything the session would flush is a saved object's changed columns, each writable here."""
    if session._new or session._deleted:
        return False
    return all(_updatable(state) for state in session.identity_map._modified)


def _updatable(state: InstanceState) -> bool:
    if state.key is None or state._deleted or state.obj() is None:
        return False
    plan = _plan(state.mapper)
    if plan is None or (plan.version is not None and plan.version[0] in state.committed_state):
        return False
    dict_ = state.dict
    return all(key in plan.columns and key in dict_ and not hasattr(dict_[key], "__clause_element__")
               for key in state.committed_state)


class _Plan(NamedTuple):
    """How one mapper's rows are updated here: attribute → column, the primary key, the version counter, and
    columns with a value of their own on every UPDATE (``onupdate``)."""

    columns: dict[str, sa.Column]
    key: tuple[tuple[str, sa.Column], ...]
    version: tuple[str, sa.Column] | None
    onupdate: tuple[tuple[str, sa.Column], ...]


@functools.cache
def _plan(mapper: Mapper) -> _Plan | None:
    """None for a mapper the unit of work must write (inheritance, listeners on its UPDATEs, a column the
    database fills in on UPDATE, a version counter of its own making)."""
    table = mapper.local_table
    if (mapper.inherits is not None or mapper.polymorphic_on is not None or not isinstance(table, sa.Table)
            or mapper.persist_selectable is not table or mapper.dispatch.before_update or mapper.dispatch.after_update
            or mapper.version_id_generator is False or any(c.server_onupdate is not None for c in table.c)):
        return None
    columns = {}
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1 or prop.columns[0].table is not table:
            return None
        columns[prop.key] = prop.columns[0]
    by_column = {column: key for key, column in columns.items()}
    key = tuple((by_column[c], c) for c in mapper.primary_key)
    version = None
    if mapper.version_id_col is not None:
        version = (by_column[mapper.version_id_col], mapper.version_id_col)
    onupdate = tuple((name, c) for name, c in columns.items()
                     if c.onupdate is not None and c is not mapper.version_id_col)
    if any(not (c.onupdate.is_scalar or c.onupdate.is_callable) for _, c in onupdate):
        return None
    return _Plan(columns, key, version, onupdate)


@functools.cache
def _update(table: sa.Table, key: tuple[str, ...], version: str | None) -> sa.Update:
    """The UPDATE of one row by its key (``_k_<column>``) and, versioned, its version (``_v``); the columns it
    sets are the ones its parameters name."""
    where = [table.c[name] == sa.bindparam(f"_k_{name}") for name in key]
    if version is not None:
        where.append(table.c[version] == sa.bindparam("_v"))
    return table.update().where(*where)


@functools.cache
def _table_order(metadata: sa.MetaData) -> dict[sa.Table, int]:
    return {table: n for n, table in enumerate(metadata.sorted_tables)}


def _write_changed(session: OrmSession, states: list[InstanceState]) -> list[InstanceState]:
    """The UPDATEs, table by table in the metadata's order (the unit of work's: a case before its tasks), rows
    by key; those setting the same columns go in one executemany. A row not matched (its version moved on) is a
    ``StaleDataError``, as from the unit of work."""
    conn = session.connection()
    groups: dict[tuple, list[dict[str, Any]]] = {}
    order = _table_order(states[0].mapper.local_table.metadata) if states else {}
    for state in sorted(states, key=lambda s: (order.get(s.mapper.local_table, 0), s.key[1])):
        plan = _plan(state.mapper)
        dict_, committed = state.dict, state.committed_state
        params = {}
        for name in committed:
            value = dict_[name]
            if state.manager[name].impl.is_equal(value, committed[name]) is not True:
                params[plan.columns[name].key] = value
        if not params:
            continue
        for name, column in plan.onupdate:
            if name not in committed:
                value = column.onupdate.arg(None) if column.onupdate.is_callable else column.onupdate.arg
                dict_[name] = params[column.key] = value
        for name, column in plan.key:
            params[f"_k_{column.key}"] = dict_[name]
        if plan.version is not None:
            name, column = plan.version
            old = dict_[name]
            new = state.mapper.version_id_generator(old)
            params["_v"], params[column.key] = old, new
            dict_[name] = new
        table = state.mapper.local_table
        groups.setdefault((table, tuple(c.key for _, c in plan.key),
                           plan.version[1].key if plan.version else None, tuple(sorted(params))), []).append(params)
    for (table, key, version, _), rows in groups.items():
        result = conn.execute(_update(table, key, version), rows if len(rows) > 1 else rows[0])
        if result.rowcount != len(rows) and (len(rows) == 1 or conn.dialect.supports_sane_multi_rowcount):
            raise StaleDataError(f"UPDATE statement on table '{table.name}' expected to update {len(rows)} row(s); "
                                 f"{result.rowcount} were matched.")
    return states


# --------------------------------------------------------------------------------------------------
# Committing a step without reading it all back
#
# A session that expires on commit (the app's) reloads, at the next read, every object it holds: the case the step
# just wrote, the person who took it, their roles. The step's answer (the API's case, the page's redirect) would
# then read again what the session wrote itself a moment before. What it holds after a step is what the database
# holds: the case was read under its row lock and changed by the step, the new rows came back from their INSERTs,
# and the columns an UPDATE sets by itself (``onupdate``) were put in the objects as they were sent.


def commit_keeping_what_is_loaded(session: Session) -> None:
    """``session.commit()`` without expiring what the session holds (as ``expire_on_commit=False`` would)."""
    owner = session_behind(session)
    expiring = owner.expire_on_commit
    owner.expire_on_commit = False
    try:
        session.commit()  # through whatever the caller handed (the app's scoped session commits its own)
    finally:
        owner.expire_on_commit = expiring
