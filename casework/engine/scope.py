"""Who may see a case: a role held for a unit the case is routed to, or (organizer, admin) for an
ancestor of its owning cell. Everything outside scope must look as if it did not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.models import ActingRole, Case, RoleAssignment, Task, Unit, User
from casework.models.org import within

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import WorkflowDef

# Roles that see the cases routed to their unit through a column of the case.
_ROUTED_COLUMN = {
    "cell_secretary": Case.owning_cell_id,
    "grassroots_committee": Case.grassroots_unit_id,
    "authority": Case.authority_unit_id,
    "union_officer": Case.referring_org_id,
    "youth_officer": Case.referring_org_id,
    "women_officer": Case.referring_org_id,
}
# Roles that see their whole subtree.
SUBTREE_ROLES = ("organizer", "admin")


def _ways_of_seeing(user: User) -> list[tuple[sa.ColumnElement[bool], sa.Select]]:
    """Each way this person sees cases, twice: as a WHERE over ``Case``, and as a SELECT of those cases' ids.
    Reads only the person's roles and their units (loaded with the person), so building it costs no query."""
    ways: list[tuple[sa.ColumnElement[bool], sa.Select]] = []
    for role, column in _ROUTED_COLUMN.items():
        units = user.units_for(role)
        if units:
            ways.append((column.in_(units), sa.select(Case.id).where(column.in_(units))))
    pairs = [(r.unit_id, r.role) for r in user.hats]  # their own roles and those they stand in for today
    if pairs:
        on_their_task = sa.tuple_(Task.unit_id, Task.role).in_(pairs)
        ways.append((sa.exists().where(Task.case_id == Case.id, on_their_task),
                     sa.select(Task.case_id).where(on_their_task)))
    subtrees = [r.unit for r in user.hats if r.role in SUBTREE_ROLES]
    if subtrees:
        cell = sa.orm.aliased(Unit)
        inside = sa.or_(*(within(cell.path, unit) for unit in subtrees))
        ways.append((sa.exists().where(cell.id == Case.owning_cell_id, inside),
                     sa.select(Case.id).join(cell, cell.id == Case.owning_cell_id).where(inside)))
    return ways


def visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause over ``Case`` selecting exactly the cases this person may see."""
    ways = _ways_of_seeing(user)
    return sa.or_(*(where for where, _ids in ways)) if ways else sa.false()


def visibility_clause_for_many(user: User) -> sa.ColumnElement[bool]:
    """``visibility_clause`` in the form that reads fewest rows when a query must look at every case one sees
    (a queue's count): someone who sees only what is routed to their units starts from those cases' ids, each
    way read through its own index, instead of testing every open case against every way (10 s for a cell's
    secretary among a million cases, 3 ms from the ids); someone who sees whole subtrees sees most cases, and
    testing each case lets a capped count stop early."""
    if any(r.role in SUBTREE_ROLES for r in user.hats):
        return visibility_clause(user)
    ways = _ways_of_seeing(user)
    return Case.id.in_(sa.union_all(*(ids for _where, ids in ways))) if ways else sa.false()


def can_view(session: Session, user: User, case_id: int) -> bool:
    return bool(session.scalar(sa.select(sa.exists().where(Case.id == case_id, visibility_clause(user)))))


def visible_case(session: Session, user: User, case_id: int) -> Case | None:
    """The case, if this person may see it, else None (outside scope a case does not exist). One SELECT with
    the scope applied, bringing what every face reads next: the subject, the owning cell (scope and the
    access log), the tasks and their units (``task_view_only``, ``access_role``, the task lists)."""
    query = (sa.select(Case).where(Case.id == case_id, visibility_clause(user))
             .options(joinedload(Case.owning_cell), joinedload(Case.tasks).joinedload(Task.unit)))
    return session.scalars(query).unique().one_or_none()


def task_view_only(user: User, case: Case, wf: WorkflowDef) -> bool:
    """True when this person sees the case only because a task its definition marks ``view: task`` was routed
    to them (a residential committee verifying a candidate): they get what answering it needs, not the case."""
    for role, column in _ROUTED_COLUMN.items():
        if getattr(case, column.key) in user.units_for(role):
            return False
    if any(r.role in SUBTREE_ROLES for r in user.hats):
        for r in user.hats:
            if r.role in SUBTREE_ROLES and case.owning_cell.is_within(r.unit):
                return False
    mine = [t for t in case.tasks if user.holds(t.role, t.unit_id)]
    return all(t.kind in wf.task_view_kinds for t in mine)


def access_role(user: User, case: Case) -> RoleAssignment | ActingRole | None:
    """The held role through which this person sees the case, by the rules above, most specific first: a
    unit the case is routed to, then a task's unit (open tasks first), then the nearest subtree role.
    Reads only what checking the scope has loaded (the roles, the case's tasks and, for a subtree role,
    its owning cell), so recording an access costs no query."""
    for role, column in _ROUTED_COLUMN.items():
        held = _held(user, role, getattr(case, column.key))
        if held is not None:
            return held
    for task in sorted(case.tasks, key=lambda t: (not t.is_open, -t.id)):
        held = _held(user, task.role, task.unit_id)
        if held is not None:
            return held
    subtree = [r for r in user.hats if r.role in SUBTREE_ROLES and case.owning_cell.is_within(r.unit)]
    return max(subtree, key=lambda r: len(r.unit.path), default=None)


def _held(user: User, role: str, unit_id: int | None) -> RoleAssignment | ActingRole | None:
    return next((r for r in user.hats if r.role == role and r.unit_id == unit_id), None)
