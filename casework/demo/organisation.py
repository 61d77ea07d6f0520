"""The demo organisation: Bắc Ninh province, two ward committees that admit members, an industrial-zone
committee with cells in a domestic and a foreign-invested firm, a firm with no party organisation whose
workers belong to a residential cell, residential areas, mass organisations, accounts and member registers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from casework.demo.names import NameBook
from casework.models import MemberStatus, PartyMember, RoleAssignment, Unit, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEMO_PASSWORD = "demo"

# (key, parent key, kind, name, attributes); the code of each unit is "BN-" + key.
UNITS: list[tuple[str, str | None, str, str, dict[str, Any]]] = [
    ("province", None, "province", "Đảng bộ tỉnh Bắc Ninh", {"organizing_department": True}),
    ("que_vo", "province", "commune_committee", "Đảng ủy phường Quế Võ",
     {"admits_members": True, "organizing_department": True}),
    ("tu_son", "province", "commune_committee", "Đảng ủy phường Từ Sơn",
     {"admits_members": True, "organizing_department": True}),
    ("kcn", "que_vo", "grassroots_committee", "Đảng ủy các Khu công nghiệp Quế Võ", {}),
    ("cell_kinh_bac", "kcn", "cell", "Chi bộ Công ty TNHH Thép Kinh Bắc", {"cell_type": "workplace"}),
    ("cell_seojin", "kcn", "cell", "Chi bộ Công ty TNHH Điện tử Seojin Việt Nam", {"cell_type": "workplace"}),
    ("cell_pho_moi", "que_vo", "cell", "Chi bộ khu phố Phố Mới", {"cell_type": "residential"}),
    ("cell_dong_du", "que_vo", "cell", "Chi bộ thôn Đông Du", {"cell_type": "residential"}),
    ("cell_dinh_bang", "tu_son", "cell", "Chi bộ khu phố Đình Bảng 2", {"cell_type": "residential"}),
    ("cell_dong_ky", "tu_son", "cell", "Chi bộ khu phố Đồng Kỵ", {"cell_type": "residential"}),
    ("area_pho_moi", "cell_pho_moi", "residential_area", "Khu phố Phố Mới", {}),
    ("area_dong_du", "cell_dong_du", "residential_area", "Thôn Đông Du", {}),
    ("area_dinh_bang", "cell_dinh_bang", "residential_area", "Khu phố Đình Bảng 2", {}),
    ("area_dong_ky", "cell_dong_ky", "residential_area", "Khu phố Đồng Kỵ", {}),
    ("kinh_bac", "kcn", "enterprise", "Công ty TNHH Thép Kinh Bắc",
     {"ownership": "domestic_private", "industrial_zone": True, "has_party_org": True,
      "assigned_cell": "cell_kinh_bac"}),
    ("seojin", "kcn", "enterprise", "Công ty TNHH Điện tử Seojin Việt Nam",
     {"ownership": "foreign_invested", "industrial_zone": True, "has_party_org": True,
      "assigned_cell": "cell_seojin"}),
    # No party organisation of its own: the ward committee assigned its workers to a residential cell.
    ("phuong_nam", "tu_son", "enterprise", "Công ty TNHH Đồ gỗ mỹ nghệ Phương Nam",
     {"ownership": "domestic_private", "has_party_org": False, "assigned_cell": "cell_dinh_bang"}),
    ("union_kinh_bac", "kinh_bac", "trade_union", "Công đoàn cơ sở Công ty TNHH Thép Kinh Bắc", {}),
    ("youth_kinh_bac", "kinh_bac", "youth_union", "Chi đoàn Công ty TNHH Thép Kinh Bắc", {}),
    ("union_seojin", "seojin", "trade_union", "Công đoàn cơ sở Công ty TNHH Điện tử Seojin Việt Nam", {}),
    ("youth_seojin", "seojin", "youth_union", "Đoàn cơ sở Công ty TNHH Điện tử Seojin Việt Nam", {}),
    ("union_phuong_nam", "phuong_nam", "trade_union", "Công đoàn cơ sở Công ty TNHH Đồ gỗ mỹ nghệ Phương Nam", {}),
    ("women_tu_son", "tu_son", "women_union", "Hội Liên hiệp Phụ nữ phường Từ Sơn", {}),
]

# One account per role, named after it, all acting along the Thép Kinh Bắc chain (union → cell → industrial
# zone committee → Quế Võ ward) so that one case can be walked from referral to membership.
ROLE_ACCOUNTS: list[tuple[str, str]] = [
    ("union_officer", "union_kinh_bac"),
    ("youth_officer", "youth_kinh_bac"),
    ("women_officer", "women_tu_son"),
    ("cell_secretary", "cell_kinh_bac"),
    ("residential_committee", "cell_pho_moi"),
    ("grassroots_committee", "kcn"),
    ("authority", "que_vo"),
    ("organizer", "que_vo"),
    ("admin", "province"),
]
# The other people the demo's cases need: (username, role, unit key).
OTHER_ACCOUNTS: list[tuple[str, str, str]] = [
    ("union_seojin", "union_officer", "union_seojin"),
    ("youth_seojin", "youth_officer", "youth_seojin"),
    ("union_phuong_nam", "union_officer", "union_phuong_nam"),
    ("secretary_seojin", "cell_secretary", "cell_seojin"),
    ("secretary_dinh_bang", "cell_secretary", "cell_dinh_bang"),
    ("committee_dong_du", "residential_committee", "cell_dong_du"),
    ("committee_dinh_bang", "residential_committee", "cell_dinh_bang"),
    ("committee_dong_ky", "residential_committee", "cell_dong_ky"),
    ("authority_tu_son", "authority", "tu_son"),
    ("organizer_tu_son", "organizer", "tu_son"),
    ("organizer_province", "organizer", "province"),
]
# Member registers: cell key → (official members, probationary members).
REGISTERS = {"cell_kinh_bac": (7, 1), "cell_seojin": (5, 1), "cell_pho_moi": (9, 0), "cell_dong_du": (6, 1),
             "cell_dinh_bang": (8, 1), "cell_dong_ky": (6, 0)}


@dataclass
class DemoOrg:
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    members: dict[str, list[PartyMember]] = field(default_factory=dict)
    holders: dict[tuple[str, int], User] = field(default_factory=dict)
    created: int = 0

    def holder(self, role: str, unit_id: int) -> User:
        """The demo account holding ``role`` for the unit (every routed place has one)."""
        return self.holders[(role, unit_id)]

    def officials(self, cell_key: str) -> list[PartyMember]:
        return [m for m in self.members[cell_key] if m.status == MemberStatus.OFFICIAL]


def build_organisation(session: Session) -> DemoOrg:
    """Find or create every unit, account and member of the demo; commits once."""
    org = DemoOrg()
    names = NameBook(seed=2026)
    for key, parent_key, kind, name, attrs in UNITS:
        org.units[key] = _unit(session, org, key, parent_key, kind, name, attrs)
    # Everyone's password is the published "demo": one (slow, salted) hash serves every account.
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for username, unit_key in ROLE_ACCOUNTS:
        org.users[username] = _account(session, names, username, username, org.units[unit_key], password_hash)
    for username, role, unit_key in OTHER_ACCOUNTS:
        org.users[username] = _account(session, names, username, role, org.units[unit_key], password_hash)
    for cell_key, (official, probationary) in REGISTERS.items():
        org.members[cell_key] = _register(session, names, org.units[cell_key], official, probationary)
    org.holders = {(r.role, r.unit_id): user for user in org.users.values() for r in user.roles}
    session.commit()
    return org


def _unit(session: Session, org: DemoOrg, key: str, parent_key: str | None, kind: str, name: str,
          attrs: dict[str, Any]) -> Unit:
    code = f"BN-{key}"
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is not None:
        return unit
    attrs = dict(attrs)
    assigned = attrs.pop("assigned_cell", None)
    parent = org.units[parent_key] if parent_key else None
    unit = Unit(kind=kind, name=name, code=code, parent=parent, **attrs)
    if assigned:
        unit.assigned_cell = org.units[assigned]
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    org.created += 1
    return unit


def _account(session: Session, names: NameBook, username: str, role: str, unit: Unit, password_hash: str) -> User:
    full_name, _ = names.person()  # drawn even when the account exists, so later names stay the same
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username, full_name=full_name, locale="vi", password_hash=password_hash)
        session.add(user)
    if not user.holds(role, unit.id):
        user.roles.append(RoleAssignment(unit=unit, role=role))
    session.flush()
    return user


def _register(session: Session, names: NameBook, cell: Unit, official: int, probationary: int) -> list[PartyMember]:
    """The cell's member register: official members admitted between 1995 and 2020, probationary ones
    admitted in the last year."""
    existing = session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == cell.id)
                               .order_by(PartyMember.id)).all()
    if existing:
        return list(existing)
    rng = names.random
    members = []
    for n in range(official + probationary):
        full_name, _ = names.person()
        birth = date(rng.randint(1960, 1995), rng.randint(1, 12), rng.randint(1, 28))
        if n < official:
            admitted = date(rng.randint(max(birth.year + 20, 1995), 2020), rng.randint(1, 12), rng.randint(1, 28))
            member = PartyMember(cell=cell, full_name=full_name, birth_date=birth, status=MemberStatus.OFFICIAL,
                                 member_since=admitted, official_since=date(admitted.year + 1, admitted.month,
                                                                           admitted.day))
        else:
            member = PartyMember(cell=cell, full_name=full_name, birth_date=birth, status=MemberStatus.PROBATIONARY,
                                 member_since=date(2026, rng.randint(1, 6), rng.randint(1, 28)))
        session.add(member)
        members.append(member)
    session.flush()
    return members
