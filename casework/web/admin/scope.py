"""What an administrator manages: the subtree under each unit where they hold the admin role, and the
accounts that hold a role inside it.

Accounts follow the units: an administrator sees an account holding at least one role in their subtrees,
and changes it (password, sign-in, deactivation) only while every role it holds lies there, so a cell's
administrator cannot take over a person who also acts for a unit above. An account holding no role at
all belongs to no subtree: only administrators of a root unit (the whole tree) see it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from casework.extensions import db
from casework.models import RoleAssignment, Unit, User

ADMIN = "admin"


def admin_roots(user: User) -> list[Unit]:
    return [r.unit for r in user.roles if r.role == ADMIN]


def require_admin() -> list[Unit]:
    roots = admin_roots(current_user) if current_user.is_authenticated else []
    if not roots:
        abort(403)
    return roots


def in_scope(unit: Unit, roots: list[Unit]) -> bool:
    return any(unit.is_within(root) for root in roots)


def managed_unit(unit_id: int, roots: list[Unit]) -> Unit:
    """A unit inside the administrator's subtrees; anything else looks absent."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not in_scope(unit, roots):
        abort(404)
    return unit


def _inside(roots: list[Unit]) -> sa.ColumnElement[bool]:
    return sa.or_(*(Unit.within(r) for r in roots))


def subtree(session: Session, roots: list[Unit]) -> list[Unit]:
    """Every managed unit, in path order (a parent before its children), in one query."""
    return list(session.scalars(sa.select(Unit).where(_inside(roots)).order_by(Unit.path)))


def visible_accounts(roots: list[Unit]) -> sa.ColumnElement[bool]:
    """Accounts holding a role inside the subtrees, and for an administrator of a root unit the
    accounts holding no role at all."""
    holds_inside = (sa.select(RoleAssignment.id).join(Unit, RoleAssignment.unit_id == Unit.id)
                    .where(RoleAssignment.user_id == User.id, _inside(roots)).exists())
    if not any(root.parent_id is None for root in roots):
        return holds_inside
    holds_any = sa.select(RoleAssignment.id).where(RoleAssignment.user_id == User.id).exists()
    return sa.or_(holds_inside, ~holds_any)


def managed_account(user_id: int, roots: list[Unit]) -> User:
    """A visible account; anything else looks absent."""
    user = db.session.scalar(sa.select(User).where(User.id == user_id, visible_accounts(roots)))
    if user is None:
        abort(404)
    return user


def holds_only_inside(user: User, roots: list[Unit]) -> bool:
    """Whether every role of this (visible) account lies in the subtrees: then it may be changed here."""
    return all(in_scope(r.unit, roots) for r in user.roles)


def units_left_without_admin(session: Session, assignments: list[RoleAssignment],
                             leaving_user: User | None = None) -> list[Unit]:
    """The units that would have no active administrator, at them or above them, once these admin
    assignments end (or, with ``leaving_user``, once that person has no access at all)."""
    orphaned = []
    for assignment in (a for a in assignments if a.role == ADMIN):
        other = (sa.select(RoleAssignment.id).join(User, RoleAssignment.user_id == User.id)
                 .where(RoleAssignment.role == ADMIN, RoleAssignment.unit_id.in_(assignment.unit.ancestor_ids),
                        RoleAssignment.id.not_in([a.id for a in assignments]), User.active.is_(True)))
        if leaving_user is not None:
            other = other.where(User.id != leaving_user.id)
        if session.scalar(other.limit(1)) is None:
            orphaned.append(assignment.unit)
    return orphaned


def set_path(unit: Unit) -> None:
    """The materialised ancestor path; needs the unit's id (flush first)."""
    unit.path = f"{unit.parent.path if unit.parent is not None else '/'}{unit.id}/"
