"""What an administrator manages: the subtree under each unit where they hold the admin role."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from casework.extensions import db
from casework.models import Unit, User


def admin_roots(user: User) -> list[Unit]:
    return [r.unit for r in user.roles if r.role == "admin"]


def require_admin() -> list[Unit]:
    roots = admin_roots(current_user) if current_user.is_authenticated else []
    if not roots:
        abort(403)
    return roots


def in_scope(unit: Unit, roots: list[Unit]) -> bool:
    return any(unit.path.startswith(root.path) for root in roots)


def managed_unit(unit_id: int, roots: list[Unit]) -> Unit:
    """A unit inside the administrator's subtrees; anything else looks absent."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not in_scope(unit, roots):
        abort(404)
    return unit


def subtree(session: Session, roots: list[Unit]) -> list[Unit]:
    """Every managed unit, in path order (a parent before its children), in one query."""
    clause = sa.or_(*(Unit.path.startswith(r.path, autoescape=True) for r in roots))
    return list(session.scalars(sa.select(Unit).where(clause).order_by(Unit.path)))


def set_path(unit: Unit) -> None:
    """The materialised ancestor path; needs the unit's id (flush first)."""
    unit.path = f"{unit.parent.path if unit.parent is not None else '/'}{unit.id}/"
