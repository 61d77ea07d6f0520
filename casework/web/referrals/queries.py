"""Whose referrals a person follows, and who may refer: the people holding a role that may take the default
workflow's start step (admission's ``refer``), and the cases started by them or at their units."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from casework.engine.definition import TransitionDef
from casework.models import Case, Event, RoleAssignment, User


def referrer_roles(user: User, start: TransitionDef) -> list[RoleAssignment]:
    """The person's roles that may take the start step (whichever unit the step then routes to)."""
    roles = {actor.role for actor in start.actors}
    return [r for r in user.roles if r.role in roles]


def my_referrals(session: Session, user: User, start: TransitionDef, before_id: int | None,
                 size: int) -> tuple[list[Case], int | None]:
    """The cases this person started, or that were started at, or name as referring, a unit where they hold a
    role that may start one (their trade union's referrals, say); newest first, keyset-paged on the case id,
    with the owning cell."""
    pairs = [(r.unit_id, r.role) for r in referrer_roles(user, start)]
    by = Event.actor_id == user.id
    if pairs:
        by = sa.or_(by, sa.tuple_(Event.actor_unit_id, Event.actor_role).in_(pairs))
    mine = sa.exists().where(Event.case_id == Case.id, Event.seq == 1, by)
    if pairs:
        mine = sa.or_(mine, Case.referring_org_id.in_([unit_id for unit_id, _ in pairs]))
    query = sa.select(Case).where(mine).options(joinedload(Case.owning_cell))
    if before_id:
        query = query.where(Case.id < before_id)
    rows = list(session.scalars(query.order_by(Case.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more else None)
