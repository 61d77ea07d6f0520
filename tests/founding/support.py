"""The founding tests' organisation (the shared test organisation plus an enterprise without a party organisation
whose party members attend residential cells) and a walker that takes a founding case step by step."""

from __future__ import annotations

from datetime import date
from typing import Any

from casework.engine import Engine
from casework.engine.service import apply, start_case
from casework.models import Case, TaskStatus
from tests.factories import MemberFactory, RoleFactory, UnitFactory, UserFactory, build_org


def founding_org(session):
    """``build_org`` with: Sao Vàng, a foreign-invested zone enterprise under the industrial-zone committee with no
    party organisation (its workers assigned to the residential cell); its party members: three official and one
    probationary in the residential cell, one official in the far cell; the secretaries of those two cells; and a
    union in it for admission's referrals."""
    org = build_org(session)
    u = org.units
    u["sao_vang"] = UnitFactory(kind="enterprise", name="Công ty TNHH Sao Vàng", parent=u["grassroots"],
                                ownership="foreign_invested", industrial_zone=True, has_party_org=False,
                                assigned_cell=u["residential_cell"])
    u["sao_vang_union"] = UnitFactory(kind="trade_union", name="Công đoàn Sao Vàng", parent=u["sao_vang"])
    u["shop"] = UnitFactory(kind="enterprise", name="Cửa hàng Minh Anh", parent=u["commune"],
                            ownership="domestic_private", has_party_org=False, assigned_cell=u["residential_cell"])
    for username, role, unit in (("res_secretary", "cell_secretary", "residential_cell"),
                                 ("far_secretary", "cell_secretary", "far_cell"),
                                 ("sao_vang_union_officer", "union_officer", "sao_vang_union"),
                                 ("admin", "admin", "province"),
                                 ("commune_committee", "grassroots_committee", "commune")):
        user = UserFactory(username=username)
        RoleFactory(user=user, unit=u[unit], role=role)
        org.users[username] = user
    org.members["sao_vang"] = [MemberFactory(cell=u["residential_cell"]) for _ in range(3)]
    org.members["sao_vang"].append(MemberFactory(cell=u["residential_cell"], status="probationary",
                                                 official_since=None, member_since=date(2026, 3, 1)))
    org.members["sao_vang"].append(MemberFactory(cell=u["far_cell"]))
    # The first one has an account, so the decision can give them the secretary's role.
    org.users["member_with_account"] = UserFactory(username="member_with_account")
    org.members["sao_vang"][0].user_id = org.users["member_with_account"].id
    session.commit()
    return org


def members_of(org, key: str = "sao_vang") -> list[dict[str, Any]]:
    return [{"full_name": m.full_name, "member_id": m.id} for m in org.members[key]]


class FoundingWalker:
    """Drives one founding case; ``to(state)`` takes every step up to it as the right person."""

    def __init__(self, session, engine: Engine, org, enterprise: str = "sao_vang",
                 starter: str = "grassroots_committee", members: list[dict] | None = None):
        self.session, self.engine, self.org = session, engine, org
        data = {"enterprise_unit": org.units[enterprise].id, "workers": 420, "has_trade_union": True,
                "members": members if members is not None else members_of(org),
                "identified_on": engine.today().isoformat()}
        self.case: Case = start_case(workflow="founding", session=session, engine=engine, user=org.users[starter],
                                     data=data)

    @property
    def today(self) -> str:
        return self.engine.today().isoformat()

    def act(self, username: str, trigger: str, data: dict[str, Any] | None = None, task_id=None) -> Case:
        self.case = apply(session=self.session, engine=self.engine, case=self.case, trigger=trigger,
                          user=self.org.users[username], data=data or {}, expected_version=self.case.version,
                          task_id=task_id)
        return self.case

    def open_tasks(self, kind: str):
        return [t for t in self.case.tasks if t.kind == kind and t.status == TaskStatus.OPEN]

    def holder(self, task) -> str:
        return next(name for name, u in self.org.users.items() if u.holds(task.role, task.unit_id))

    def transfer_all(self, outcome_for=None) -> None:
        for task in self.open_tasks("confirm_transfer"):
            outcome = (outcome_for or {}).get(task.unit_id, "transferred")
            data = ({"outcome": "transferred", "transfer_number": f"{task.unit_id}/GGT", "transfer_date": self.today}
                    if outcome == "transferred" else {"outcome": "not_transferred", "reason": "Đang công tác xa."})
            self.act(self.holder(task), "confirm_transfer", data, task_id=task.id)

    def proposal(self, **overrides) -> dict[str, Any]:
        data = {"organisation_form": "cell_under_grassroots", "reports_to": self.org.units["grassroots"].id,
                "interim_secretary": self.org.members["sao_vang"][0].id, "proposal_number": "15-TTr/ĐU",
                "proposal_date": self.today}
        data.update(overrides)
        return data

    def step(self) -> None:
        state, g = self.case.state, "grassroots_committee"
        if state == "identified":
            self.act(g, "start_engagement", {"contact_person": "Ông Park, Tổng giám đốc",
                                             "zone_board_letter": "120/ĐU-KCN, 02/11/2026"})
        elif state == "engaging_owner":
            self.act(g, "record_owner_meeting", {"meeting_date": self.today, "owner_position": "supportive"})
            self.act(g, "owner_agreed", {"agreement_date": self.today, "agreement_document": "Công văn 05/SV"})
        elif state == "gathering_members":
            self.transfer_all()
            self.act(g, "complete_gathering")
        elif state == "proposal":
            self.act(g, "submit_proposal", self.proposal())
        elif state == "authority_review":
            task = self.open_tasks("appraise")[0]
            self.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "found"},
                     task_id=task.id)
            self.decide()
        else:
            raise AssertionError(f"no forward step from {state}")

    def decide(self, **overrides) -> Case:
        data = {"decision_number": "210-QĐ/ĐU", "decision_date": self.today,
                "cell_name": "Chi bộ Công ty TNHH Sao Vàng"}
        data.update(overrides)
        return self.act("authority", "decide_founding", data)

    def to(self, state: str) -> Case:
        for _ in range(10):
            if self.case.state == state:
                return self.case
            self.step()
        raise AssertionError(f"stuck at {self.case.state}")
