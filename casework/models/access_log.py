"""The access log of personal data: who opened which dossier, task, document, printable or export, when,
through which held role and which face. Append-only: rows are inserted, never changed or deleted.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from casework.models.base import Base, utcnow


class AccessKind(enum.StrEnum):
    CASE = "case"
    VERIFICATION_TASK = "verification_task"
    DOCUMENT = "document"
    PRINTABLE = "printable"
    EXPORT = "export"


class AccessFace(enum.StrEnum):
    PAGE = "page"
    API = "api"


class AccessLog(Base):
    """One opening of personal data.

    ``scope_unit_id`` is the unit the data belongs to (a case's owning cell; an export's scope unit) and
    ``scope_path`` its path at the time, so an organizer's or administrator's subtree is one prefix query and
    a unit moved later does not carry old rows away. ``role`` at ``unit_id`` is the held role that gave access.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        sa.Index("ix_access_log_case_at", "case_id", "accessed_at"),
        sa.Index("ix_access_log_user_at", "user_id", "accessed_at"),
        # A subtree is a prefix of the path: pattern ops let PostgreSQL's index answer LIKE 'prefix%' whatever
        # the database's collation.
        sa.Index("ix_access_log_scope_path", "scope_path", postgresql_ops={"scope_path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    accessed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    # A printable's form code or an export's name.
    export_name: Mapped[str | None] = mapped_column(sa.String(60))
    scope_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    scope_path: Mapped[str] = mapped_column(sa.String(400))
    role: Mapped[str] = mapped_column(sa.String(32))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    face: Mapped[str] = mapped_column(sa.String(8))


class AccessLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an access-log row."""


# The app has no path that changes the log; these refuse one being added by mistake, through the unit of
# work or through an ORM UPDATE/DELETE statement. (The database role may also be denied UPDATE and DELETE.)
@sa.event.listens_for(AccessLog, "before_update")
def _refuse_update(_mapper, _connection, row: AccessLog) -> None:
    raise AccessLogIsAppendOnly(f"access-log row {row.id} cannot be changed")


@sa.event.listens_for(AccessLog, "before_delete")
def _refuse_delete(_mapper, _connection, row: AccessLog) -> None:
    raise AccessLogIsAppendOnly(f"access-log row {row.id} cannot be deleted")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewrites(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AccessLog:
        raise AccessLogIsAppendOnly("access-log rows cannot be changed or deleted")
