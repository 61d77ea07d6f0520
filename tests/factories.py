"""factory_boy factories for the data model, and a compact organisation for tests.

Factories write to the session of the running test (set by the ``session`` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from casework.models import PartyMember, RoleAssignment, Unit, User

_current = {"session": None}


def use_session(session) -> None:
    _current["session"] = session


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: _current["session"]  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UnitFactory(_Base):
    class Meta:
        model = Unit

    kind = "cell"
    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    code = factory.Sequence(lambda n: f"U{n:05d}")

    @factory.post_generation
    def materialise_path(obj, create, extracted, **kwargs):
        parent_path = obj.parent.path if obj.parent is not None else "/"
        obj.path = f"{parent_path}{obj.id}/"


class UserFactory(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="vi_VN")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        # A cheap hash keeps the suite fast; the real scheme is tested in the auth tests.
        obj.password_hash = generate_password_hash(extracted or "secret", method="pbkdf2:sha256:1000")


class RoleFactory(_Base):
    class Meta:
        model = RoleAssignment


class MemberFactory(_Base):
    class Meta:
        model = PartyMember

    full_name = factory.Faker("name", locale="vi_VN")
    status = "official"
    member_since = date(2015, 5, 19)
    official_since = date(2016, 5, 19)


@dataclass
class Org:
    """A small but complete organisation: every kind of unit and one person per role."""

    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    members: dict[str, list[PartyMember]] = field(default_factory=dict)

    def __getattr__(self, name):
        units = self.__dict__.get("units", {})
        if name in units:
            return units[name]
        raise AttributeError(name)


def build_org(session) -> Org:
    """Province → commune (authority, organizing department) → industrial-zone grassroots committee →
    workplace cell of a domestic enterprise; a second cell directly under the commune (no grassroots);
    residential areas with their cell; unions in the enterprise."""
    use_session(session)
    org = Org()
    u = org.units
    u["province"] = UnitFactory(kind="province", name="Tỉnh ủy Bắc Ninh", organizing_department=True)
    u["commune"] = UnitFactory(kind="commune_committee", name="Đảng ủy phường Kinh Bắc", parent=u["province"],
                               admits_members=True, organizing_department=True)
    u["other_commune"] = UnitFactory(kind="commune_committee", name="Đảng ủy xã Tiên Du", parent=u["province"],
                                     admits_members=True, organizing_department=True)
    u["grassroots"] = UnitFactory(kind="grassroots_committee", name="Đảng ủy KCN Quế Võ", parent=u["commune"])
    u["cell"] = UnitFactory(kind="cell", cell_type="workplace", name="Chi bộ Công ty Hòa Phát", parent=u["grassroots"])
    u["direct_cell"] = UnitFactory(kind="cell", cell_type="workplace", name="Chi bộ Công ty Minh Long",
                                   parent=u["commune"])
    u["other_cell"] = UnitFactory(kind="cell", cell_type="workplace", name="Chi bộ Công ty Tiên Sơn",
                                  parent=u["other_commune"])
    u["residential_cell"] = UnitFactory(kind="cell", cell_type="residential", name="Chi bộ khu phố 3",
                                        parent=u["commune"])
    u["area"] = UnitFactory(kind="residential_area", name="Khu phố 3", parent=u["residential_cell"])
    u["far_cell"] = UnitFactory(kind="cell", cell_type="residential", name="Chi bộ thôn Đông",
                                parent=u["other_commune"])
    u["far_area"] = UnitFactory(kind="residential_area", name="Thôn Đông", parent=u["far_cell"])
    u["enterprise"] = UnitFactory(kind="enterprise", name="Công ty TNHH Hòa Phát", parent=u["grassroots"],
                                  ownership="domestic_private", industrial_zone=True, has_party_org=True,
                                  assigned_cell=u["cell"])
    u["direct_enterprise"] = UnitFactory(kind="enterprise", name="Công ty CP Minh Long", parent=u["commune"],
                                         ownership="foreign_invested", has_party_org=True,
                                         assigned_cell=u["direct_cell"])
    u["other_enterprise"] = UnitFactory(kind="enterprise", name="Công ty Tiên Sơn", parent=u["other_commune"],
                                        ownership="domestic_private", assigned_cell=u["other_cell"])
    u["trade_union"] = UnitFactory(kind="trade_union", name="Công đoàn Hòa Phát", parent=u["enterprise"])
    u["youth_union"] = UnitFactory(kind="youth_union", name="Đoàn thanh niên Hòa Phát", parent=u["enterprise"])
    u["direct_union"] = UnitFactory(kind="trade_union", name="Công đoàn Minh Long", parent=u["direct_enterprise"])
    u["other_union"] = UnitFactory(kind="trade_union", name="Công đoàn Tiên Sơn", parent=u["other_enterprise"])

    def person(username: str, *holds: tuple[str, str]) -> User:
        user = UserFactory(username=username)
        for role, unit_key in holds:
            RoleFactory(user=user, unit=u[unit_key], role=role)
        org.users[username] = user
        return user

    person("union_officer", ("union_officer", "trade_union"))
    person("youth_officer", ("youth_officer", "youth_union"))
    person("direct_union_officer", ("union_officer", "direct_union"))
    person("other_union_officer", ("union_officer", "other_union"))
    person("cell_secretary", ("cell_secretary", "cell"))
    person("direct_secretary", ("cell_secretary", "direct_cell"))
    person("other_secretary", ("cell_secretary", "other_cell"))
    person("residential_committee", ("residential_committee", "residential_cell"))
    person("far_committee", ("residential_committee", "far_cell"))
    person("grassroots_committee", ("grassroots_committee", "grassroots"))
    person("authority", ("authority", "commune"))
    person("other_authority", ("authority", "other_commune"))
    person("organizer", ("organizer", "commune"))
    person("other_organizer", ("organizer", "other_commune"))
    person("province_organizer", ("organizer", "province"))
    org.members["cell"] = [MemberFactory(cell=u["cell"]) for _ in range(5)]
    org.members["direct_cell"] = [MemberFactory(cell=u["direct_cell"]) for _ in range(4)]
    org.members["cell"].append(MemberFactory(cell=u["cell"], status="probationary", official_since=None,
                                             member_since=date(2026, 3, 1)))
    session.flush()
    session.commit()
    return org
