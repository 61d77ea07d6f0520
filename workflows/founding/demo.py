"""The founding workflow's demo: an enterprise in every state of the procedure, built through the engine's own
``start_case`` and ``apply`` with its clock set back in time, so each history is real (events, tasks, due dates,
flags, the founded cell in the tree). Among them a zone enterprise (the letter to the zone's board) and a
foreign-invested one; the founded one had a worker's admission case at its residential cell, which the decision
moved to the new cell.

The enterprises, their party members (in the residential cells they attend) and the accounts the steps need
(the ward committees' founding officers, the residential cells' secretaries) are the package's own additions to
the demo organisation, found by their codes and names when the demo is loaded again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from casework.demo.clock import DemoClock, backdated_rows
from casework.demo.names import NameBook
from casework.demo.organisation import DEMO_PASSWORD, DemoOrg
from casework.engine import Engine
from casework.engine.service import apply, start_case
from casework.models import Case, MemberStatus, PartyMember, RoleAssignment, Task, TaskStatus, Unit, User
from workflows.founding.models import WORKFLOW

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The steps in order, each with its usual gap in days since the previous one.
FORWARD = (("start_engagement", 14), ("record_owner_meeting", 20), ("owner_agreed", 30), ("confirm_transfer", 12),
           ("complete_gathering", 6), ("submit_proposal", 15), ("appraise", 10), ("decide_founding", 12))
STATES_BEFORE = {"identified": 0, "engaging_owner": 2, "gathering_members": 3, "proposal": 5,
                 "authority_review": 6, "founded": 8}


@dataclass(frozen=True)
class Plan:
    """One enterprise: where it is (``parent``: the committee above it, ``cell``: the residential cell its workers
    are assigned to), how far its case goes (``upto`` a state, or stopped there with ``stop``)."""

    key: str
    name: str
    parent: str
    cell: str
    ownership: str
    zone: bool
    upto: str
    stop: str | None = None
    workers: int = 300


PLANS = (
    Plan("hung_thinh", "Công ty TNHH Bao bì Hưng Thịnh", "que_vo", "cell_pho_moi", "domestic_private", False,
         "identified", workers=140),
    Plan("daeyang", "Công ty TNHH Daeyang Vina", "kcn", "cell_dong_du", "foreign_invested", True, "engaging_owner",
         workers=1250),
    Plan("an_phat", "Công ty CP Nhựa An Phát Bắc Ninh", "kcn", "cell_pho_moi", "domestic_private", True,
         "gathering_members", workers=620),
    Plan("minh_chau", "Công ty TNHH May Minh Châu", "tu_son", "cell_dong_ky", "domestic_private", False, "proposal",
         workers=480),
    Plan("sunrise", "Công ty TNHH Sunrise Việt Nam", "tu_son", "cell_dinh_bang", "foreign_invested", False,
         "authority_review", workers=900),
    Plan("viet_duc", "Công ty CP Cơ khí Việt Đức", "que_vo", "cell_dong_du", "domestic_private", False, "founded",
         workers=360),
    Plan("thanh_cong", "Công ty TNHH Thương mại Thành Công", "tu_son", "cell_dong_ky", "domestic_private", False,
         "engaging_owner", stop="owner_refused", workers=90),
)
# The founding officers of the ward committees and the secretaries of the residential cells the members attend.
ACCOUNTS = (("committee_que_vo", "grassroots_committee", "que_vo"), ("committee_tu_son", "grassroots_committee",
                                                                     "tu_son"),
            ("secretary_pho_moi", "cell_secretary", "cell_pho_moi"),
            ("secretary_dong_du", "cell_secretary", "cell_dong_du"),
            ("secretary_dong_ky", "cell_secretary", "cell_dong_ky"))


def build_cases(session: Session, engine: Engine, org: DemoOrg) -> tuple[int, int]:
    """Build every planned enterprise's case not yet present; returns (created now, planned in all)."""
    _accounts(session, org)
    clock = DemoClock()
    demo_engine = Engine(workflows=engine.workflows, rules=engine.rules, clock=clock)
    names, today = NameBook(seed=2030), engine.today()
    created = 0
    with backdated_rows(session, clock):
        for index, plan in enumerate(PLANS):
            enterprise = _enterprise(session, org, plan)
            members = _members(session, names, org, plan)
            exists = session.scalar(sa.select(Case.id).where(Case.workflow == WORKFLOW,
                                                             Case.subject_id == enterprise.id))
            if exists is None:
                Builder(session, demo_engine, clock, org, plan, enterprise, members, index).build(today)
                created += 1
    session.commit()
    return created, len(PLANS)


def _accounts(session: Session, org: DemoOrg) -> None:
    password_hash = None
    names = NameBook(seed=2031)
    for username, role, unit_key in ACCOUNTS:
        full_name, _ = names.person()
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            password_hash = password_hash or generate_password_hash(DEMO_PASSWORD)
            user = User(username=username, full_name=full_name, locale="vi", password_hash=password_hash)
            session.add(user)
        unit = org.units[unit_key]
        if not user.holds(role, unit.id):
            user.roles.append(RoleAssignment(unit=unit, role=role))
        session.flush()
        org.users[username] = user
        org.holders[(role, unit.id)] = user
    session.commit()


def _enterprise(session: Session, org: DemoOrg, plan: Plan) -> Unit:
    code = f"BN-{plan.key}"
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        parent = org.units[plan.parent]
        unit = Unit(kind="enterprise", name=plan.name, code=code, parent=parent, ownership=plan.ownership,
                    industrial_zone=plan.zone, has_party_org=False, assigned_cell=org.units[plan.cell])
        session.add(unit)
        session.flush()
        unit.path = f"{parent.path}{unit.id}/"
    org.units[plan.key] = unit
    return unit


def _members(session: Session, names: NameBook, org: DemoOrg, plan: Plan) -> list[PartyMember]:
    """The party members working at the enterprise, in the residential cells they attend: three or four official
    ones in its assigned cell, one more elsewhere, one probationary (found again by their names)."""
    rng = random.Random(plan.key)
    other = next(k for k in ("cell_dong_du", "cell_pho_moi", "cell_dinh_bang") if k != plan.cell)
    layout = [(plan.cell, MemberStatus.OFFICIAL)] * (3 + rng.randint(0, 1)) + [(other, MemberStatus.OFFICIAL),
                                                                               (plan.cell, MemberStatus.PROBATIONARY)]
    members = []
    for cell_key, status in layout:
        full_name, _ = names.person()
        found = session.scalar(sa.select(PartyMember).where(PartyMember.full_name == full_name))
        if found is None:
            admitted = date(rng.randint(2002, 2021), rng.randint(1, 12), rng.randint(1, 28))
            official = status == MemberStatus.OFFICIAL
            found = PartyMember(cell=org.units[cell_key], full_name=full_name,
                                birth_date=date(admitted.year - rng.randint(22, 30), rng.randint(1, 12), 9),
                                status=status, member_since=admitted if official else date(2026, 2, 3),
                                official_since=date(admitted.year + 1, admitted.month, admitted.day) if official
                                else None)
            session.add(found)
        members.append(found)
    session.flush()
    return members


class Builder:
    """Takes one enterprise's steps as the people the engine routes them to, each on its own day."""

    def __init__(self, session, engine, clock, org, plan, enterprise, members, index):
        self.session, self.engine, self.clock, self.org, self.plan = session, engine, clock, org, plan
        self.enterprise, self.members, self.rng = enterprise, members, random.Random(500 + index)
        self.committee = org.units[plan.parent]
        self.case: Case | None = None

    @property
    def today(self) -> str:
        return self.engine.today().isoformat()

    def build(self, today: date) -> Case:
        steps = FORWARD[:STATES_BEFORE[self.plan.upto]]
        gaps = [max(1, round(gap * self.rng.uniform(0.7, 1.3))) for _, gap in steps]
        day = today - timedelta(days=sum(gaps) + self.rng.randint(3, 12) + (9 if self.plan.stop else 0))
        self.clock.set_day(day)
        if self.plan.upto == "founded":
            self._worker_referred()
        self._identify()
        for (name, _), gap in zip(steps, gaps, strict=True):
            day += timedelta(days=gap)
            self.clock.set_day(day)
            getattr(self, f"_{name}")()
        if self.plan.stop:
            self.clock.set_day(day + timedelta(days=9))
            self._act(self._founder(), "stop", {"reason": self.plan.stop,
                                                "notes": "Chủ doanh nghiệp chưa đồng ý sau các buổi làm việc."})
        return self.case

    def _founder(self) -> User:
        return self.org.holder("grassroots_committee", self.committee.id)

    def _act(self, user: User, trigger: str, data: dict[str, Any], task: Task | None = None) -> None:
        self.case = apply(session=self.session, engine=self.engine, case=self.case, trigger=trigger, user=user,
                          data=data, expected_version=self.case.version, task_id=task.id if task else None)
        self.clock.tick()

    def _identify(self) -> None:
        data = {"enterprise_unit": self.enterprise.id, "workers": self.plan.workers, "has_trade_union": True,
                "has_youth_union": self.plan.workers > 300,
                "members": [{"full_name": m.full_name, "member_id": m.id} for m in self.members],
                "identified_on": self.today}
        self.case = start_case(workflow=WORKFLOW, session=self.session, engine=self.engine, user=self._founder(),
                               data=data)
        self.clock.tick()

    def _start_engagement(self) -> None:
        letter = {"zone_board_letter": f"{self.rng.randint(40, 180)}/ĐU-KCN"} if self.plan.zone else {}
        self._act(self._founder(), "start_engagement", {"contact_person": "Giám đốc nhân sự", **letter})

    def _record_owner_meeting(self) -> None:
        position = "opposed" if self.plan.stop else "supportive"
        self._act(self._founder(), "record_owner_meeting", {"meeting_date": self.today, "owner_position": position,
                                                            "notes": "Làm việc với Ban giám đốc."})

    def _owner_agreed(self) -> None:
        self._act(self._founder(), "owner_agreed", {"agreement_date": self.today,
                                                    "agreement_document": f"Công văn {self.rng.randint(5, 90)}/CV"})

    def _confirm_transfer(self) -> None:
        for task in [t for t in self.case.tasks if t.kind == "confirm_transfer" and t.status == TaskStatus.OPEN]:
            if self.plan.upto == "gathering_members" and task.unit_id != self.org.units[self.plan.cell].id:
                continue  # one cell has yet to answer: its task waits in its inbox
            self._act(self.org.holder(task.role, task.unit_id), "confirm_transfer",
                      {"outcome": "transferred", "transfer_number": f"{self.rng.randint(10, 99)}/GGT",
                       "transfer_date": self.today}, task)

    def _complete_gathering(self) -> None:
        self._act(self._founder(), "complete_gathering", {})

    def _submit_proposal(self) -> None:
        secretary = next(m for m in self.members if m.status == MemberStatus.OFFICIAL)
        self._account_for(secretary)
        self._act(self._founder(), "submit_proposal", {
            "organisation_form": "grassroots_cell" if self.committee.admits_members else "cell_under_grassroots",
            "reports_to": self.committee.id, "interim_secretary": secretary.id,
            "proposal_number": f"{self.rng.randint(10, 60)}-TTr/ĐU", "proposal_date": self.today})

    def _account_for(self, member: PartyMember) -> None:
        """The interim secretary signs in, so the decision gives them the cell's secretary role (without an account,
        the administrator would get a task to make one: tested, not shown)."""
        if member.user_id is not None:
            return
        username = f"bi_thu_{self.plan.key}"
        user = self.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, full_name=member.full_name, locale="vi",
                        password_hash=generate_password_hash(DEMO_PASSWORD))
            self.session.add(user)
            self.session.flush()
        member.user_id = user.id

    def _appraise(self) -> None:
        task = next(t for t in self.case.tasks if t.kind == "appraise" and t.status == TaskStatus.OPEN)
        self._act(self.org.holder(task.role, task.unit_id), "appraise",
                  {"appraisal": "Đủ điều kiện thành lập theo Điều 21 Điều lệ Đảng.", "recommendation": "found"}, task)

    def _decide_founding(self) -> None:
        self._act(self.org.holder("authority", self.case.authority_unit_id), "decide_founding", {
            "decision_number": f"{self.rng.randint(100, 400)}-QĐ/ĐU", "decision_date": self.today,
            "cell_name": f"Chi bộ {self.enterprise.name}"})

    def _worker_referred(self) -> None:
        """A worker referred by the residential cell before the founding: the decision moves the case."""
        cell = self.org.units[self.plan.cell]
        referral = self.engine.today() - timedelta(days=4)
        data = {"full_name": "Nguyễn Văn Khải", "gender": "male", "birth_date": "1996-05-14",
                "national_id": "027096555001", "residence_unit": self.org.units["area_dong_du"].id,
                "workplace_unit": self.enterprise.id, "position": "Kỹ thuật viên", "source": "party_member",
                "referral_number": "3/NQ-CB", "referral_date": referral.isoformat()}
        start_case(workflow="admission", session=self.session, engine=self.engine,
                   user=self.org.holder("cell_secretary", cell.id), data=data)
        self.clock.tick()
