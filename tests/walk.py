"""Moving a test case through the procedure with valid data, step by step, through the engine only."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from casework.engine import Engine
from casework.engine.definition import load_workflows
from casework.engine.service import apply, start_case
from casework.models import Case, Document, TaskStatus
from config import PROJECT_ROOT


def _main_line() -> list[str]:
    """Admission's states as its definition declares them, up to the first terminal one (official membership)."""
    wf = load_workflows(PROJECT_ROOT / "workflows")["admission"][1]
    states = list(wf.states)
    return states[: next(i for i, name in enumerate(states) if wf.is_terminal(name)) + 1]


ORDER = _main_line()

_ids = iter(range(10**9))


def referral(org, **overrides: Any) -> dict[str, Any]:
    data = {"full_name": "Nguyễn Thị Hương", "birth_date": "1998-04-12", "gender": "female",
            "national_id": f"0012{next(_ids):08d}", "residence_unit": org.area.id,
            "workplace_unit": org.enterprise.id, "position": "Công nhân", "source": "trade_union",
            "referring_org": org.trade_union.id, "referral_number": "12/NQ-CĐ", "referral_date": "2026-11-02"}
    data.update(overrides)
    return data


class Walker:
    """Drives one case; ``to(state)`` takes every step up to that state as the right person."""

    def __init__(self, session, engine: Engine, org, case: Case | None = None, referrer: str = "union_officer",
                 **referral_overrides):
        self.session, self.engine, self.org = session, engine, org
        self.case = case or start_case(workflow="admission", session=session, engine=engine, user=org.users[referrer],
                                  data=referral(org, **referral_overrides))

    @property
    def today(self) -> date:
        return self.engine.today()

    def act(self, username: str, trigger: str, data: dict[str, Any] | None = None, task_id=None) -> Case:
        self.case = apply(session=self.session, engine=self.engine, case=self.case, trigger=trigger,
                          user=self.org.users[username], data=data or {}, expected_version=self.case.version,
                          task_id=task_id)
        return self.case

    def secretary(self) -> str:
        return "direct_secretary" if self.case.owning_cell_id == self.org.direct_cell.id else "cell_secretary"

    def cell_members(self):
        key = "direct_cell" if self.case.owning_cell_id == self.org.direct_cell.id else "cell"
        return [m for m in self.org.members[key] if m.status == "official"]

    def attach(self, form_code: str) -> Document:
        content = f"{form_code} of case {self.case.id}".encode()
        doc = Document(case_id=self.case.id, form_code=form_code, filename=f"{form_code}.pdf",
                       content_type="application/pdf", size=len(content),
                       sha256=hashlib.sha256(content).hexdigest(), content=content)
        self.session.add(doc)
        self.session.commit()
        return doc

    def attach_dossier(self) -> None:
        """The application (1-KNĐ) and the personal history (2-KNĐ) that request_verification needs."""
        self.attach("1-KNĐ")
        self.attach("2-KNĐ")

    def request_verification(self, **overrides) -> Case:
        """From the dossier: attach the forms and ask for verification (overrides: relatives, introducers…)."""
        self.attach_dossier()
        return self.act(self.secretary(), "request_verification", self.verification_data(**overrides))

    def vote(self, **overrides) -> dict[str, Any]:
        data = {"official_members": 5, "excluded_members": 0, "present": 5, "votes_for": 5, "votes_against": 0,
                "meeting_date": self.today.isoformat()}
        data.update(overrides)
        return data

    def verification_data(self, **overrides) -> dict[str, Any]:
        members = self.cell_members()
        known = (self.today - timedelta(days=800)).isoformat()
        data = {"introducers": [{"member_id": members[0].id, "known_since": known},
                                {"member_id": members[1].id, "known_since": known}]}
        data.update(overrides)
        return data

    def step(self) -> None:
        """Take the one step that moves the case forward from where it is."""
        s, state = self.secretary(), self.case.state
        today = self.today.isoformat()
        if state == "referred":
            self.act(s, "accept_referral", {"helper_ids": [self.cell_members()[0].id], "resolution_date": today})
        elif state == "sympathiser":
            self.act(s, "enrol_course", {"course": "Lớp nhận thức K12", "course_mode": "in_person"})
        elif state == "in_course":
            self.act(s, "pass_course", {"certificate_number": "CN-123", "certificate_date": today})
        elif state == "dossier":
            self.request_verification()
        elif state == "verification":
            for task in [t for t in self.case.tasks if t.kind == "confirm_background" and t.status == TaskStatus.OPEN]:
                user = next(name for name, u in self.org.users.items() if u.holds(task.role, task.unit_id))
                self.act(user, "confirm_background", {"outcome": "clear", "reply_number": "05/CV",
                                                      "reply_date": today}, task_id=task.id)
            self.act(s, "complete_verification", {"opinions_summary": "Các ý kiến đều tốt."})
        elif state == "cell_review":
            self.act(s, "record_cell_vote", self.vote())
        elif state == "grassroots_review":
            self.act("grassroots_committee", "record_grassroots_resolution",
                     {"committee_members": 9, "votes_for": 9, "resolution_number": "45-NQ/ĐU",
                      "resolution_date": today})
        elif state == "authority_review":
            task = next(t for t in self.case.tasks if t.kind == "appraise" and t.status == TaskStatus.OPEN)
            self.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "admit"},
                     task_id=task.id)
            self.act("authority", "decide_admission", {"decision_number": "120-QĐ/ĐU", "decision_date": today})
        elif state == "admitted":
            self.act(s, "hold_ceremony", {"ceremony_date": today, "helper_ids": [self.cell_members()[0].id]})
        elif state == "probation":
            self.act(s, "record_new_member_course", {"certificate_number": "DVM-9", "certificate_date": today})
            self.engine.clock.set_day(self.case.date("probation_ends"))
            self.act(s, "start_recognition", {"self_review": "Tự kiểm điểm."})
        elif state == "recognition_review":
            if self.case.stage == "cell_vote":
                self.act(s, "record_recognition_vote", self.vote())
            elif self.case.stage == "grassroots_vote":
                self.act("grassroots_committee", "record_recognition_vote",
                         {"committee_members": 9, "votes_for": 8, "resolution_number": "77-NQ/ĐU",
                          "resolution_date": today})
            else:
                self.act("authority", "decide_recognition", {"decision_number": "300-QĐ/ĐU",
                                                             "decision_date": today})
        else:
            raise AssertionError(f"no forward step from {state}")

    def to(self, state: str, stage: str | None = None) -> Case:
        guard = 0
        while not (self.case.state == state and (stage is None or self.case.stage == stage)):
            self.step()
            guard += 1
            assert guard < 30, f"stuck at {self.case.state}"
        return self.case
