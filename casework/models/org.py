"""The organisation: units as a tree, people with roles held for units, the party-member register."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, utcnow


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    COMMUNE_COMMITTEE = "commune_committee"
    GRASSROOTS_COMMITTEE = "grassroots_committee"
    CELL = "cell"
    ENTERPRISE = "enterprise"
    RESIDENTIAL_AREA = "residential_area"
    TRADE_UNION = "trade_union"
    YOUTH_UNION = "youth_union"
    WOMEN_UNION = "women_union"


#: Units that are party organisations (they can confirm a background or own a case).
PARTY_UNIT_KINDS = frozenset(
    {UnitKind.PROVINCE, UnitKind.COMMUNE_COMMITTEE, UnitKind.GRASSROOTS_COMMITTEE, UnitKind.CELL}
)


class CellType(enum.StrEnum):
    WORKPLACE = "workplace"
    RESIDENTIAL = "residential"


class Ownership(enum.StrEnum):
    DOMESTIC_PRIVATE = "domestic_private"
    FOREIGN_INVESTED = "foreign_invested"


class Role(enum.StrEnum):
    UNION_OFFICER = "union_officer"
    YOUTH_OFFICER = "youth_officer"
    WOMEN_OFFICER = "women_officer"
    CELL_SECRETARY = "cell_secretary"
    RESIDENTIAL_COMMITTEE = "residential_committee"
    GRASSROOTS_COMMITTEE = "grassroots_committee"
    AUTHORITY = "authority"
    ORGANIZER = "organizer"
    ADMIN = "admin"


def subtree_prefix(ancestor: Unit | str) -> str:
    """The path every unit of ``ancestor``'s subtree starts with. It ends with ``/`` so that ``/1/4/`` never
    takes in ``/1/40/``; a path without it (a unit not yet flushed) would take in everything, so it is refused."""
    path = ancestor if isinstance(ancestor, str) else ancestor.path
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError(f"not a unit path: {path!r}")
    return path


def path_is_within(path: str, ancestor: Unit | str) -> bool:
    """Whether a unit's path (a unit's, or one copied elsewhere) lies in ``ancestor``'s subtree."""
    return path.startswith(subtree_prefix(ancestor))


def within(path: sa.ColumnElement[str], ancestor: Unit | str) -> sa.ColumnElement[bool]:
    """SQL: a path column (of ``Unit``, an aliased unit, a copied path) inside ``ancestor``'s subtree, the unit
    itself included. ``LIKE 'prefix%'`` with the prefix escaped, which the path index serves."""
    return path.startswith(subtree_prefix(ancestor), autoescape=True)


class Unit(Base):
    """An organisation unit (đơn vị): party committees and cells, enterprises, areas, mass organisations.

    ``path`` is the materialised chain of ancestor ids (``/1/4/9/``) so a subtree is one indexed prefix
    query, which the organizer's scope and the monitoring reports depend on.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    path: Mapped[str] = mapped_column(sa.String(400), default="", index=True)
    # Cells: workplace or residential (chi bộ cơ quan/doanh nghiệp hay chi bộ khu dân cư).
    cell_type: Mapped[str | None] = mapped_column(sa.String(16))
    # Enterprises.
    ownership: Mapped[str | None] = mapped_column(sa.String(32))
    industrial_zone: Mapped[bool] = mapped_column(default=False)
    has_party_org: Mapped[bool] = mapped_column(default=False)
    # The cell that owns cases of this enterprise's workers (its own cell, or the one the higher
    # committee assigned when the enterprise has no party organisation).
    assigned_cell_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    admits_members: Mapped[bool] = mapped_column(default=False)
    organizing_department: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    assigned_cell: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[assigned_cell_id])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, read from ``path``."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, ancestor: Unit | str) -> bool:
        """Whether this unit lies in ``ancestor``'s subtree (a unit is within itself). ``Unit.within`` in SQL."""
        return path_is_within(self.path, ancestor)

    @classmethod
    def within(cls, ancestor: Unit | str) -> sa.ColumnElement[bool]:
        """SQL: the units in ``ancestor``'s subtree; ``within(alias.path, …)`` for an aliased unit."""
        return within(cls.path, ancestor)

    def is_party_unit(self) -> bool:
        return self.kind in PARTY_UNIT_KINDS

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.kind} {self.code}>"


class User(Base):
    """A person who signs in. Flask-Login's attributes are provided by duck typing, not by import."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    locale: Mapped[str] = mapped_column(sa.String(8), default="vi")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of the id every session and remember cookie carries: raising it ends them all (sign-out,
    # a new password, deactivation, "sign out everywhere").
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie; see ``casework.auth.user_for_id``."""
        return f"{self.id}:{self.session_epoch}"

    # The roles this person stands in for today (``casework.engine.delegation.load_acting``): not stored, set
    # per request with the engine's day; empty unless someone named them their delegate.
    acting = ()  # tuple[ActingRole, ...]

    @property
    def hats(self) -> list[RoleAssignment | ActingRole]:
        """Every role this person may act in now: their own, then those they stand in for."""
        return [*self.roles, *self.acting]

    def holds_own(self, role: str, unit_id: int) -> bool:
        """Whether this person holds ``role`` for exactly ``unit_id`` themselves (not as a delegate)."""
        return any(r.role == role and r.unit_id == unit_id for r in self.roles)

    def holds(self, role: str, unit_id: int) -> bool:
        """Whether this person may act as ``role`` for exactly ``unit_id``, their own role or one they stand in
        for today."""
        return any(r.role == role and r.unit_id == unit_id for r in self.hats)

    def units_for(self, role: str) -> list[int]:
        return [r.unit_id for r in self.hats if r.role == role]

    def __repr__(self) -> str:
        return f"<User {self.username}>"


@dataclass(frozen=True)
class ActingRole:
    """A role of an absent person that their delegate holds for the delegation's period, at that unit only."""

    role: str
    unit_id: int
    unit: Unit
    delegator: User


class Delegation(Base):
    """An absent person names a colleague to act for them (quyền thay) at one unit, from ``starts_on`` to
    ``ends_on`` inclusive: the delegate then acts with the delegator's roles there, and the history names both."""

    __tablename__ = "delegations"
    __table_args__ = (sa.Index("ix_delegations_delegate", "delegate_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])
    unit: Mapped[Unit] = relationship()

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class RoleAssignment(Base):
    """A role held for one unit; a person may hold several (several hats)."""

    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "unit_id", "role", name="uq_role_assignment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)
    # Refused from this instant on (tokens made before expiry existed were given one by the migration).
    expires_at: Mapped[datetime | None]
    # Written at most once per ``TOKEN_LAST_USED_RESOLUTION`` so a busy token is not a write per request.
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class MemberStatus(enum.StrEnum):
    OFFICIAL = "official"
    PROBATIONARY = "probationary"


class PartyMember(Base):
    """An existing party member in a cell's register (sổ đảng viên), used to check helpers and introducers.

    ``member_since`` is the admission date; ``official_since`` the date membership became official
    (the end of probation) and is empty while the member is probationary.
    """

    __tablename__ = "party_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default=MemberStatus.OFFICIAL)
    member_since: Mapped[date | None]
    official_since: Mapped[date | None]
    # Members on temporary transfer or exempt from activities are not counted for votes.
    excluded_from_votes: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    cell: Mapped[Unit] = relationship()

    def is_official_on(self, on: date) -> bool:
        """Official member on a given date (probationary members cannot help or introduce)."""
        return self.status == MemberStatus.OFFICIAL and (self.official_since is None or self.official_since <= on)
