"""Whose referrals a person follows: the ones they made, and their organisations' ones."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from casework.models import Case, Event, Unit, User

OFFICER_ROLES = ("union_officer", "youth_officer", "women_officer")
SOURCE_FOR_ROLE = {"union_officer": "trade_union", "youth_officer": "youth_union", "women_officer": "women_union",
                   "cell_secretary": "party_member"}


def referrer_roles(user: User) -> list:
    return [r for r in user.roles if r.role in SOURCE_FOR_ROLE]


def my_referrals(session: Session, user: User, before_id: int | None, size: int) -> tuple[list[Case], int | None]:
    """Newest first, keyset-paged on the case id; the owning cell comes in the same query."""
    org_ids = [r.unit_id for r in user.roles if r.role in OFFICER_ROLES]
    made_by_me = sa.exists().where(Event.case_id == Case.id, Event.seq == 1, Event.actor_id == user.id)
    mine = sa.or_(made_by_me, Case.referring_org_id.in_(org_ids)) if org_ids else made_by_me
    query = sa.select(Case).where(mine).options(joinedload(Case.owning_cell))
    if before_id:
        query = query.where(Case.id < before_id)
    rows = list(session.scalars(query.order_by(Case.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more else None)


def default_values(session: Session, user: User) -> dict:
    """What a referral form can fill in from the person's own hat: the source, their organisation and
    its enterprise (or, for a cell secretary, the enterprise assigned to their cell)."""
    hats = referrer_roles(user)
    if len(hats) != 1:
        return {}
    hat = hats[0]
    values = {"source": SOURCE_FOR_ROLE[hat.role]}
    if hat.role in OFFICER_ROLES:
        values["referring_org"] = str(hat.unit_id)
        parent = session.get(Unit, hat.unit.parent_id) if hat.unit.parent_id else None
        if parent is not None and parent.kind == "enterprise":
            values["workplace_unit"] = str(parent.id)
    else:
        assigned = session.scalars(sa.select(Unit.id).where(Unit.assigned_cell_id == hat.unit_id)).all()
        if len(assigned) == 1:
            values["workplace_unit"] = str(assigned[0])
    return values
