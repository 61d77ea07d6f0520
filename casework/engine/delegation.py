"""Acting for an absent colleague (quyền thay): a person names a delegate for a period, at one unit where they
hold roles; from ``starts_on`` to ``ends_on`` inclusive the delegate holds those roles there, and nowhere else.

The engine decides with its own day whether a delegation is in force (``acting_for``), so a step taken the day
after a delegation ends is refused whatever a page believed; ``load_acting`` gives the faces the same roles to
show (inbox, scope), read in one statement per request.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casework.engine.errors import Invalid, PermissionDenied
from casework.engine.reasons import Reason, format_date_vi
from casework.models import ActingRole, Delegation, RoleAssignment, Unit, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine

# The longest absence one delegation covers; a longer one is a change of who holds the role (the unit's admin).
LONGEST_DAYS = 366


def _in_force(user: User, today: date) -> sa.Select:
    """The delegator's own roles at the delegated unit, for the delegations naming ``user`` in force today."""
    return (sa.select(RoleAssignment, Delegation)
            .join(Delegation, sa.and_(Delegation.delegator_id == RoleAssignment.user_id,
                                      Delegation.unit_id == RoleAssignment.unit_id))
            .where(Delegation.delegate_id == user.id, Delegation.starts_on <= today, Delegation.ends_on >= today))


def acting_roles(session: Session, user: User, today: date) -> tuple[ActingRole, ...]:
    """The roles ``user`` holds today as someone's delegate (their own roles are not repeated)."""
    query = _in_force(user, today).options(joinedload(Delegation.delegator), joinedload(Delegation.unit))
    acting = []
    for held, delegation in session.execute(query).unique():
        if not user.holds_own(held.role, held.unit_id) and delegation.delegator_id != user.id:
            acting.append(ActingRole(held.role, held.unit_id, delegation.unit, delegation.delegator))
    return tuple(acting)


def load_acting(session: Session, user: User, today: date) -> User:
    """Give the person, for this request, the roles they stand in for today (``User.acting``)."""
    user.acting = acting_roles(session, user, today)
    return user


def acting_for(session: Session, user: User, role: str, unit_id: int, today: date) -> User | None:
    """The absent person whose ``role`` at ``unit_id`` this person holds today as their delegate, or None. The
    engine's check: read from the database on the engine's day, not from what a page loaded."""
    query = _in_force(user, today).where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id)
    found = session.execute(query.options(joinedload(Delegation.delegator)).limit(1)).first()
    return found[1].delegator if found else None


def delegate(*, session: Session, engine: Engine, delegator: User, delegate_id: int, unit_id: int,
             starts_on: date, ends_on: date) -> Delegation:
    """Name a delegate: refused (nothing written) unless the delegator holds a role of their own at the unit,
    the delegate is another active person, and the period is a real one that has not already ended."""
    reasons = _delegation_reasons(session, engine.today(), delegator, delegate_id, unit_id, starts_on, ends_on)
    if reasons:
        session.rollback()
        raise (PermissionDenied if reasons[0].code == "no_role_to_delegate" else Invalid)("delegation refused",
                                                                                         reasons)
    delegation = Delegation(delegator_id=delegator.id, delegate_id=delegate_id, unit_id=unit_id,
                            starts_on=starts_on, ends_on=ends_on, created_at=engine.now())
    session.add(delegation)
    session.commit()
    return delegation


def _delegation_reasons(session: Session, today: date, delegator: User, delegate_id: int, unit_id: int,
                        starts_on: date, ends_on: date) -> list[Reason]:
    unit = session.get(Unit, unit_id)
    if unit is None or not any(r.unit_id == unit_id for r in delegator.roles):
        return [Reason("no_role_to_delegate", "Bạn không giữ vai trò nào ở đơn vị này để giao người làm thay.",
                       "You hold no role at this unit to hand to a delegate.", {"unit_id": unit_id})]
    reasons = []
    person = session.get(User, delegate_id)
    if person is None or not person.active:
        reasons.append(Reason("unknown_delegate", "Không có người này (hoặc tài khoản đã bị khóa).",
                              "There is no such person (or their account is closed).", {"delegate_id": delegate_id}))
    elif person.id == delegator.id:
        reasons.append(Reason("delegate_is_self", "Không thể giao cho chính mình làm thay.",
                              "You cannot name yourself as your delegate."))
    if ends_on < starts_on:
        reasons.append(Reason("delegation_ends_before_start", "Ngày kết thúc phải từ ngày bắt đầu trở đi.",
                              "The last day must be on or after the first day."))
    elif ends_on < today:
        reasons.append(Reason("delegation_in_past",
                              f"Thời gian làm thay đã qua (hôm nay là {format_date_vi(today)}).",
                              f"That period is over (today is {today.isoformat()}).", {"today": today}))
    elif (ends_on - starts_on).days >= LONGEST_DAYS:
        reasons.append(Reason("delegation_too_long",
                              f"Một lần giao làm thay dài tối đa {LONGEST_DAYS} ngày; lâu hơn thì đổi người giữ "
                              "vai trò.", f"A delegation lasts at most {LONGEST_DAYS} days; for longer, change who "
                              "holds the role.", {"days": LONGEST_DAYS}))
    return reasons


def delegations_of(session: Session, user: User, today: date) -> list[Delegation]:
    """The delegations this person gave or received that have not ended, soonest first (their page lists them)."""
    query = (sa.select(Delegation)
             .where(sa.or_(Delegation.delegator_id == user.id, Delegation.delegate_id == user.id),
                    Delegation.ends_on >= today)
             .options(joinedload(Delegation.delegator), joinedload(Delegation.delegate), joinedload(Delegation.unit))
             .order_by(Delegation.starts_on, Delegation.id))
    return list(session.scalars(query))
