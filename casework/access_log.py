"""Recording who opened personal data: the one place that writes the access log.

A row is one Core INSERT on the request's session (the paths are read inside it by subqueries, so recording
costs no SELECT); it is committed when the response is ready, after the page has been rendered from what the
view loaded. A request that fails before then records nothing, and serves nothing either.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import after_this_request, has_request_context
from sqlalchemy.orm import Session

from casework.engine.scope import access_role
from casework.models import AccessFace, AccessKind, AccessLog, Case, RoleAssignment, Task, Unit, User, utcnow
from casework.models.org import path_is_within
from casework.monitoring.scope import Scope

# Monitoring downloads that name or identify people: the stuck cases list candidates by name, the event
# streams give every step of every case with its id. The other figures are counts per unit.
PERSONAL_EXPORTS = frozenset({"stuck_cases", "events"})


def record_access(session: Session, user: User, kind: AccessKind, *, role: str, unit_id: int, scope_unit_id: int,
                  face: AccessFace, case_id: int | None = None, task_id: int | None = None,
                  document_id: int | None = None, export_name: str | None = None) -> None:
    """Write one row: ``user`` opened this, through ``role`` held at ``unit_id``; the data belongs to
    ``scope_unit_id`` (a case's owning cell, an export's unit)."""
    scope_path = sa.select(Unit.path).where(Unit.id == scope_unit_id).scalar_subquery()
    session.execute(sa.insert(AccessLog).values(
        accessed_at=utcnow(), user_id=user.id, kind=kind, case_id=case_id,
        task_id=task_id, document_id=document_id, export_name=export_name, scope_unit_id=scope_unit_id,
        scope_path=scope_path, role=role, unit_id=unit_id, face=face))
    if has_request_context():
        after_this_request(_commit(session))


def record_case_access(session: Session, user: User, case: Case, face: AccessFace,
                       kind: AccessKind = AccessKind.CASE, **what) -> None:
    """A case, or something of it (a document, a printable): through the role the scope allowed it by."""
    via = access_role(user, case)
    if via is None:  # the scope let nobody in through a role: a bug, never a silent unrecorded view
        raise LookupError(f"no role of user {user.id} gives access to case {case.id}")
    record_access(session, user, kind, role=via.role, unit_id=via.unit_id, scope_unit_id=case.owning_cell_id,
                  face=face, case_id=case.id, **what)


def record_task_access(session: Session, user: User, task: Task, face: AccessFace) -> None:
    """A verification task: through the task's own role and unit, which the person holds exactly."""
    record_access(session, user, AccessKind.VERIFICATION_TASK, role=task.role, unit_id=task.unit_id,
                  scope_unit_id=task.case.owning_cell_id, face=face, case_id=task.case_id, task_id=task.id)


def record_export(session: Session, user: User, name: str, scope: Scope, *, role: str = "organizer",
                  face: AccessFace = AccessFace.PAGE) -> None:
    """A download over a subtree, recorded only when it contains personal data; through the nearest held
    ``role`` above the scope (the one whose subtree let the person ask for it)."""
    if name not in PERSONAL_EXPORTS:
        return
    via = nearest_role(user, role, scope.path)
    if via is None:
        raise LookupError(f"no {role} role of user {user.id} covers unit {scope.unit_id}")
    record_access(session, user, AccessKind.EXPORT, role=via.role, unit_id=via.unit_id,
                  scope_unit_id=scope.unit_id, face=face, export_name=name)


def nearest_role(user: User, role: str, path: str) -> RoleAssignment | None:
    """The assignment of ``role`` at the deepest unit whose subtree holds ``path``."""
    covering = [r for r in user.roles if r.role == role and path_is_within(path, r.unit)]
    return max(covering, key=lambda r: len(r.unit.path), default=None)


def _commit(session: Session):
    def commit(response):
        session.commit()
        return response

    return commit
