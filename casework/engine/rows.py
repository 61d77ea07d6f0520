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
from sqlalchemy.orm import make_transient_to_detached

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Base

Model = TypeVar("Model", bound="Base")


@functools.cache
def _insert(table: sa.Table) -> sa.Insert:
    """Built once per table: the INSERT answering the whole row as written (the columns' defaults filled in)."""
    return table.insert().returning(*table.c)


def can_write_now(session: Session) -> bool:
    """Whether the database answers an INSERT with its row (PostgreSQL; SQLite from 3.35)."""
    return session.connection().dialect.insert_returning


def write_now(session: Session, model: type[Model], values: dict[str, Any]) -> Model:
    """Insert one ``model`` row with ``values`` (columns by name) now, and answer it as a saved object of the
    session. Its relationships are not set: the caller links what its readers need with ``set_committed_value``
    (setting them as changes would make the flush write the object again)."""
    row = session.connection().execute(_insert(model.__table__), values).one()
    obj = model(**row._asdict())
    make_transient_to_detached(obj)  # what it holds is what the database holds: nothing left to flush
    session.add(obj)
    return obj
