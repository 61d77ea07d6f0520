"""The admission workflow's demo cases in every state, built by running the engine's own ``start_case`` and
``apply`` with its clock set back in time, so that each history is real: the same events, tasks, due dates and
flags as live use.

Each ``Plan`` says how far a case goes and how it ends; its dates are laid out backwards from today so
that the last step happened ``idle`` days ago.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.demo.clock import DemoClock, backdated_rows
from casework.demo.documents import pdf_page
from casework.demo.names import NameBook
from casework.demo.organisation import DemoOrg
from casework.engine import Engine
from casework.engine.service import apply, start_case
from casework.models import Case, Document, Task, TaskStatus
from workflows.admission.models import Candidate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The forward path, each step with its usual gap in days since the previous one.
FORWARD: list[tuple[str, int]] = [
    ("accept_referral", 12), ("enrol_course", 25), ("pass_course", 30), ("request_verification", 21),
    ("confirm_background", 15), ("complete_verification", 6), ("record_cell_vote", 10),
    ("record_grassroots_resolution", 14), ("appraise", 9), ("decide_admission", 8), ("hold_ceremony", 12),
    ("record_new_member_course", 75), ("start_recognition", 4), ("recognition_cell_vote", 8),
    ("recognition_grassroots_vote", 12), ("decide_recognition", 10),
]
GRASSROOTS_STEPS = {"record_grassroots_resolution", "recognition_grassroots_vote"}
# Steps off the forward path, with their gaps.
DETOURS = {"decline": 10, "withdraw": 18, "cell_rejection": 10, "appraise_negative": 9, "reject_admission": 7,
           "propose_removal": 140, "decide_removal": 16, "answer_first": 9, "raise_concerns": 12,
           "return_to_dossier": 5}

# Where a chain's candidates work, which cell owns their cases, who refers them.
CHAINS = {
    "kinh_bac": {"enterprise": "kinh_bac", "cell": "cell_kinh_bac",
                 "orgs": {"trade_union": "union_kinh_bac", "youth_union": "youth_kinh_bac"}},
    "seojin": {"enterprise": "seojin", "cell": "cell_seojin",
               "orgs": {"trade_union": "union_seojin", "youth_union": "youth_seojin"}},
    "phuong_nam": {"enterprise": "phuong_nam", "cell": "cell_dinh_bang",
                   "orgs": {"trade_union": "union_phuong_nam", "women_union": "women_tu_son"}},
}
POSITIONS = {"kinh_bac": ("Công nhân cán thép", "Kỹ sư luyện kim", "Tổ trưởng sản xuất", "Nhân viên kho vận",
                          "Trưởng ca"),
             "seojin": ("Công nhân lắp ráp", "Kỹ thuật viên SMT", "Nhân viên QC", "Tổ trưởng chuyền",
                        "Phiên dịch viên tiếng Hàn"),
             "phuong_nam": ("Thợ chạm khắc", "Thợ mộc", "Kế toán", "Nhân viên bán hàng", "Quản đốc xưởng")}


@dataclass(frozen=True)
class Plan:
    """How far one demo case goes: forward ``upto`` a step, then the ``then`` steps; ``idle`` days since."""

    chain: str
    source: str
    residence: str
    upto: str | None
    then: tuple[str, ...] = ()
    relatives: tuple[tuple[str, str], ...] = ()  # (relation, area key or "abroad")
    idle: int = 10
    ripe: bool = False  # a probation that has already ended, waiting for start_recognition


def P(chain, source, residence, upto, *then, relatives=(), idle=10, ripe=False) -> Plan:  # noqa: N802
    return Plan(chain, source, residence, upto, tuple(then), tuple(relatives), idle, ripe)


FATHER_DONG_DU = (("father", "area_dong_du"),)
MOTHER_DONG_KY = (("mother", "area_dong_ky"),)
SISTER_ABROAD = (("sister", "abroad"),)

PLANS: list[Plan] = [
    # referred, sympathiser, in course, dossier
    P("kinh_bac", "trade_union", "area_pho_moi", None, idle=4),
    P("seojin", "youth_union", "area_dong_du", None, idle=35),
    P("phuong_nam", "women_union", "area_dinh_bang", None, idle=8),
    P("kinh_bac", "youth_union", "area_pho_moi", "accept_referral", idle=20),
    P("seojin", "trade_union", "area_pho_moi", "accept_referral", idle=190),
    P("phuong_nam", "trade_union", "area_dong_ky", "accept_referral", idle=30),
    P("kinh_bac", "trade_union", "area_dong_du", "enrol_course", idle=15),
    P("phuong_nam", "women_union", "area_dinh_bang", "enrol_course", idle=40),
    P("kinh_bac", "youth_union", "area_pho_moi", "pass_course", idle=12),
    P("seojin", "trade_union", "area_dong_du", "pass_course", idle=70),
    P("kinh_bac", "trade_union", "area_pho_moi", "request_verification", "answer_first", "raise_concerns",
      "return_to_dossier", relatives=FATHER_DONG_DU, idle=9),
    # verification: waiting on the residential_committee account; one place answered, one late
    P("kinh_bac", "trade_union", "area_pho_moi", "request_verification", idle=6),
    P("kinh_bac", "youth_union", "area_pho_moi", "request_verification", relatives=FATHER_DONG_DU, idle=3),
    P("seojin", "youth_union", "area_dong_du", "request_verification", "answer_first", relatives=MOTHER_DONG_KY,
      idle=32),
    P("phuong_nam", "trade_union", "area_dinh_bang", "request_verification", relatives=SISTER_ABROAD, idle=11),
    # cell review, grassroots review, authority review
    P("kinh_bac", "trade_union", "area_dong_du", "complete_verification", idle=7),
    P("phuong_nam", "women_union", "area_dong_ky", "complete_verification", idle=25),
    P("kinh_bac", "youth_union", "area_pho_moi", "record_cell_vote", idle=9),
    P("seojin", "trade_union", "area_pho_moi", "record_cell_vote", idle=28),
    P("kinh_bac", "trade_union", "area_pho_moi", "record_grassroots_resolution", idle=5),
    P("seojin", "youth_union", "area_dong_du", "appraise", idle=12),
    P("phuong_nam", "trade_union", "area_dinh_bang", "appraise", idle=6),
    # admitted, probation (one whose probation has ended), recognition stages
    P("kinh_bac", "trade_union", "area_dong_du", "decide_admission", idle=8),
    P("phuong_nam", "women_union", "area_dong_ky", "decide_admission", idle=20),
    P("kinh_bac", "youth_union", "area_pho_moi", "hold_ceremony", idle=60),
    P("seojin", "trade_union", "area_dong_du", "record_new_member_course", idle=90),
    P("kinh_bac", "trade_union", "area_pho_moi", "record_new_member_course", ripe=True),
    P("phuong_nam", "trade_union", "area_dinh_bang", "record_new_member_course", ripe=True),
    P("kinh_bac", "trade_union", "area_dong_du", "start_recognition", idle=6),
    P("seojin", "youth_union", "area_pho_moi", "recognition_cell_vote", idle=9),
    P("kinh_bac", "youth_union", "area_pho_moi", "recognition_grassroots_vote", idle=4),
    P("phuong_nam", "women_union", "area_dinh_bang", "recognition_cell_vote", idle=12),
    # official members
    P("kinh_bac", "trade_union", "area_pho_moi", "decide_recognition", relatives=FATHER_DONG_DU, idle=40),
    P("seojin", "trade_union", "area_dong_du", "decide_recognition", idle=15),
    P("phuong_nam", "trade_union", "area_dong_ky", "decide_recognition", relatives=SISTER_ABROAD, idle=25),
    # declined, withdrawn, rejected (by the cell, by the authority), removed
    P("kinh_bac", "trade_union", "area_dong_du", None, "decline", idle=200),
    P("seojin", "youth_union", "area_pho_moi", "enrol_course", "withdraw", idle=120),
    P("phuong_nam", "women_union", "area_dinh_bang", "pass_course", "withdraw", idle=45),
    P("kinh_bac", "youth_union", "area_pho_moi", "complete_verification", "cell_rejection", idle=150),
    P("seojin", "trade_union", "area_dong_du", "record_grassroots_resolution", "appraise_negative",
      "reject_admission", idle=80),
    P("kinh_bac", "trade_union", "area_dong_du", "hold_ceremony", "propose_removal", "decide_removal", idle=30),
]


def build_cases(session: Session, engine: Engine, org: DemoOrg) -> tuple[int, int]:
    """Build every planned case not yet present; returns (created now, planned in all)."""
    clock = DemoClock()
    demo_engine = Engine(workflows=engine.workflows, rules=engine.rules, clock=clock)
    names, today = NameBook(seed=1930), engine.today()  # a rehearsal day when one is set
    created = 0
    with backdated_rows(session, clock):
        for index, plan in enumerate(PLANS):
            full_name, gender = names.person("female" if plan.source == "women_union" else None)
            birth = _birth_date(index, today)
            person = {"full_name": full_name, "gender": gender, "birth_date": birth.isoformat(),
                      "national_id": _national_id(index, gender, birth)}
            if session.scalar(sa.select(Candidate.id).where(Candidate.national_id == person["national_id"])) is None:
                CaseBuilder(session, demo_engine, clock, org, plan, index).build(person, today)
                created += 1
    return created, len(PLANS)


def _birth_date(index: int, today: date) -> date:
    rng = random.Random(index)
    return date(today.year - rng.randint(22, 39), rng.randint(1, 12), rng.randint(1, 28))


def _national_id(index: int, gender: str, birth: date) -> str:
    """Căn cước: province code (027, Bắc Ninh), century-and-gender digit, year of birth, serial."""
    digit = (0 if birth.year < 2000 else 2) + (1 if gender == "female" else 0)
    return f"027{digit}{birth.year % 100:02d}{100200 + index * 37:06d}"


class CaseBuilder:
    """Takes one plan's steps as the people the engine routes them to, each on its own day."""

    def __init__(self, session: Session, engine: Engine, clock: DemoClock, org: DemoOrg, plan: Plan, index: int):
        self.session, self.engine, self.clock, self.org, self.plan = session, engine, clock, org, plan
        self.chain = CHAINS[plan.chain]
        self.cell_key = self.chain["cell"]
        self.has_grassroots = plan.chain != "phuong_nam"
        self.rng = random.Random(1000 + index)
        self.steps = self._steps()
        self.gaps = {name: max(1, round(gap * self.rng.uniform(0.7, 1.3))) for name, gap in FORWARD}
        self.gaps.update({name: max(1, round(gap * self.rng.uniform(0.7, 1.3))) for name, gap in DETOURS.items()})
        self.case: Case | None = None

    # --- the timeline ------------------------------------------------------------------------------

    def _steps(self) -> list[str]:
        forward = [name for name, _ in FORWARD if self.has_grassroots or name not in GRASSROOTS_STEPS]
        upto = self.plan.upto
        if upto in GRASSROOTS_STEPS and not self.has_grassroots:
            upto = forward[[n for n, _ in FORWARD].index(upto) - 1]
        taken = forward[: forward.index(upto) + 1] if upto else []
        return taken + list(self.plan.then)

    def _duration(self) -> int:
        """Days from the referral to the last step (probation is 12 months from the ceremony)."""
        total = 0
        for name in self.steps:
            if name == "start_recognition":
                total += 366 - self.gaps["record_new_member_course"]
            total += self.gaps[name]
        return total

    def _idle(self) -> int:
        if self.plan.ripe:  # waited past the end of probation
            return 366 - self.gaps["record_new_member_course"] + self.rng.randint(5, 25)
        return self.plan.idle

    # --- building ----------------------------------------------------------------------------------

    def build(self, person: dict[str, str], today: date) -> Case:
        """``person``: the candidate's full_name, gender, birth_date and national_id."""
        day = today - timedelta(days=self._duration() + self._idle())
        self.clock.set_day(day)
        self._refer(person, day)
        for name in self.steps:
            day = self._next_day(name, day)
            self.clock.set_day(day)
            getattr(self, f"_{name}")()
        return self.case

    def _next_day(self, name: str, day: date) -> date:
        if name == "start_recognition":
            return max(day, self.case.date("probation_ends")) + timedelta(days=self.gaps[name])
        return day + timedelta(days=self.gaps[name])

    @property
    def today(self) -> str:
        return self.engine.today().isoformat()

    def _act(self, user_name_or_user, trigger: str, data: dict, task: Task | None = None) -> None:
        user = self.org.users[user_name_or_user] if isinstance(user_name_or_user, str) else user_name_or_user
        self.case = apply(session=self.session, engine=self.engine, case=self.case, trigger=trigger, user=user,
                          data=data, expected_version=self.case.version, task_id=task.id if task else None)
        self.clock.tick()

    def _secretary(self):
        return self.org.holder("cell_secretary", self.org.units[self.cell_key].id)

    def _open_tasks(self, kind: str) -> list[Task]:
        return [t for t in self.case.tasks if t.kind == kind and t.status == TaskStatus.OPEN]

    def _officials(self):
        return self.org.officials(self.cell_key)

    def _refer(self, person: dict[str, str], day: date) -> None:
        source = self.plan.source
        org_key = self.chain["orgs"][source]
        referrer = self.org.holder({"trade_union": "union_officer", "youth_union": "youth_officer",
                                    "women_union": "women_officer"}[source], self.org.units[org_key].id)
        resolution = day - timedelta(days=self.rng.randint(2, 9))
        prefix = {"trade_union": "NQ-CĐ", "youth_union": "NQ-ĐTN", "women_union": "NQ-HPN"}[source]
        data = {**person, "residence_unit": self.org.units[self.plan.residence].id,
                "workplace_unit": self.org.units[self.chain["enterprise"]].id,
                "position": self.rng.choice(POSITIONS[self.plan.chain]), "source": source,
                "referring_org": self.org.units[org_key].id,
                "referral_number": f"{self.rng.randint(3, 48)}/{prefix}", "referral_date": resolution.isoformat()}
        self.case = start_case(workflow="admission", session=self.session, engine=self.engine, user=referrer, data=data)
        self.clock.tick()

    # --- forward steps -----------------------------------------------------------------------------

    def _accept_referral(self) -> None:
        helper = self.rng.choice(self._officials())
        self._act(self._secretary(), "accept_referral", {"helper_ids": [helper.id], "resolution_date": self.today})

    def _enrol_course(self) -> None:
        quarter = (self.engine.today().month - 1) // 3 + 1
        mode = self.rng.choice(("in_person", "at_enterprise", "online"))
        self._act(self._secretary(), "enrol_course", {
            "course": f"Lớp bồi dưỡng nhận thức về Đảng, quý {quarter}/{self.engine.today().year}",
            "course_mode": mode, "course_start": self.today})

    def _pass_course(self) -> None:
        self._act(self._secretary(), "pass_course", {"certificate_number": f"{self.rng.randint(120, 980)}/CN-NTVĐ",
                                                     "certificate_date": self.today})

    def _request_verification(self) -> None:
        name = self.case.candidate.full_name
        self._attach("1-KNĐ", "Đơn xin vào Đảng", [f"Toi ten la {name}", "Tu nguyen xin vao Dang."])
        self._attach("2-KNĐ", "Lý lịch người xin vào Đảng", [f"Ho va ten: {name}",
                                                              f"Ngay sinh: {self.case.candidate.birth_date}"])
        officials = self.rng.sample(self._officials(), 2)
        count = 1 if self.plan.source in ("trade_union", "youth_union") and self.rng.random() < 0.5 else 2
        introducers = [{"member_id": m.id,
                        "known_since": (self.engine.today() - timedelta(days=self.rng.randint(420, 2200))).isoformat()}
                       for m in officials[:count]]
        self._act(self._secretary(), "request_verification",
                  {"introducers": introducers, "relatives": self._relatives()})

    def _relatives(self) -> list[dict]:
        names = NameBook(seed=self.rng.randint(0, 10**6))
        relatives = []
        for relation, place in self.plan.relatives:
            gender = "male" if relation == "father" else "female"
            relative = {"full_name": names.person(gender)[0], "relation": relation}
            if place == "abroad":
                relative.update({"abroad": True, "country": "Hàn Quốc"})
            else:
                relative["residence_unit"] = self.org.units[place].id
            relatives.append(relative)
        return relatives

    def _attach(self, form_code: str, title: str, lines: list[str]) -> None:
        content = pdf_page([f"{title} ({form_code})", *lines])
        self.session.add(Document(case_id=self.case.id, form_code=form_code, filename=f"{form_code}.pdf",
                                  content_type="application/pdf", size=len(content),
                                  sha256=hashlib.sha256(content).hexdigest(), content=content,
                                  uploaded_by_id=self._secretary().id))
        self.session.commit()

    def _answer(self, task: Task, outcome: str = "clear") -> None:
        notes = {"clear": "Bản thân và gia đình chấp hành tốt chủ trương, chính sách, pháp luật tại địa phương.",
                 "concerns": "Cần làm rõ thêm thời gian cư trú trước năm 2015."}[outcome]
        self._act(self.org.holder(task.role, task.unit_id), "confirm_background", {
            "outcome": outcome, "notes": notes, "reply_number": f"{self.rng.randint(10, 99)}/CV-ĐU",
            "reply_date": self.today}, task=task)

    def _confirm_background(self) -> None:
        for task in self._open_tasks("confirm_background"):
            self._answer(task)

    def _complete_verification(self) -> None:
        self._act(self._secretary(), "complete_verification", {
            "opinions_summary": "Các nơi thẩm tra đều xác nhận lý lịch rõ ràng; quần chúng được nhân dân nơi cư trú "
                                "tín nhiệm."})

    def _vote(self, passing: bool = True) -> dict:
        counted = len(self._officials())
        present = counted - self.rng.randint(0, 1)
        needed = -(-2 * counted // 3)
        votes_for = self.rng.randint(needed, present) if passing else needed - self.rng.randint(1, 2)
        return {"official_members": counted, "excluded_members": 0, "present": present, "votes_for": votes_for,
                "votes_against": present - votes_for, "meeting_date": self.today,
                "minutes_number": f"{self.rng.randint(1, 30)}-BB/CB"}

    def _record_cell_vote(self) -> None:
        self._act(self._secretary(), "record_cell_vote", self._vote())

    def _committee(self) -> dict:
        return {"committee_members": 9, "votes_for": self.rng.randint(7, 9),
                "resolution_number": f"{self.rng.randint(100, 400)}-NQ/ĐU", "resolution_date": self.today}

    def _record_grassroots_resolution(self) -> None:
        self._act("grassroots_committee", "record_grassroots_resolution", self._committee())

    def _appraise(self, recommendation: str = "admit") -> None:
        task = self._open_tasks("appraise")[0]
        text = {"admit": "Hồ sơ đầy đủ, đúng quy trình; đủ tiêu chuẩn, điều kiện kết nạp.",
                "do_not_admit": "Lý lịch chưa rõ ràng về quá trình công tác trước đây; đề nghị chưa kết nạp."}
        self._act(self.org.holder(task.role, task.unit_id), "appraise",
                  {"appraisal": text[recommendation], "recommendation": recommendation}, task=task)

    def _authority(self):
        return self.org.holder("authority", self.case.authority_unit_id)

    def _decide_admission(self) -> None:
        self._act(self._authority(), "decide_admission", {
            "decision_number": f"{self.rng.randint(200, 900)}-QĐ/ĐU", "decision_date": self.today})

    def _hold_ceremony(self) -> None:
        helper = self.rng.choice(self._officials())
        self._act(self._secretary(), "hold_ceremony", {"ceremony_date": self.today, "helper_ids": [helper.id]})

    def _record_new_member_course(self) -> None:
        task = self._open_tasks("record_new_member_course")[0]
        self._act(self._secretary(), "record_new_member_course", {
            "certificate_number": f"{self.rng.randint(10, 300)}/CN-ĐVM", "certificate_date": self.today}, task=task)

    def _start_recognition(self) -> None:
        self._act(self._secretary(), "start_recognition", {
            "self_review": "Trong thời gian dự bị luôn chấp hành tốt Điều lệ Đảng, hoàn thành tốt nhiệm vụ.",
            "helper_review": "Đồng chí có ý thức tổ chức kỷ luật tốt, gương mẫu trong công việc.",
            "opinions": "Công đoàn và chi đoàn nhất trí đề nghị công nhận đảng viên chính thức."})

    def _recognition_cell_vote(self) -> None:
        self._act(self._secretary(), "record_recognition_vote", self._vote())

    def _recognition_grassroots_vote(self) -> None:
        self._act("grassroots_committee", "record_recognition_vote", self._committee())

    def _decide_recognition(self) -> None:
        self._act(self._authority(), "decide_recognition", {
            "decision_number": f"{self.rng.randint(200, 900)}-QĐ/ĐU", "decision_date": self.today})

    # --- detours and endings -----------------------------------------------------------------------

    def _decline(self) -> None:
        self._act(self._secretary(), "decline_referral", {
            "reason": "Quần chúng mới vào làm việc, chi bộ cần thêm thời gian theo dõi, thử thách."})

    def _withdraw(self) -> None:
        self._act(self._secretary(), "withdraw", {"reason": "Quần chúng nghỉ việc, chuyển về quê sinh sống."})

    def _cell_rejection(self) -> None:
        self._act(self._secretary(), "record_cell_rejection", self._vote(passing=False))

    def _appraise_negative(self) -> None:
        self._appraise("do_not_admit")

    def _reject_admission(self) -> None:
        self._act(self._authority(), "reject_admission", {
            "reason": "Chưa đủ điều kiện về lý lịch theo kết quả thẩm định của Ban Tổ chức."})

    def _propose_removal(self) -> None:
        self._act(self._secretary(), "propose_removal", {
            "reason": "Trong thời gian dự bị tự ý bỏ sinh hoạt chi bộ ba tháng liền không có lý do."})

    def _decide_removal(self) -> None:
        self._act(self._authority(), "decide_removal", {
            "decision_number": f"{self.rng.randint(200, 900)}-QĐ/ĐU",
            "reason": "Vi phạm tư cách đảng viên dự bị, chi bộ đề nghị xóa tên."})

    def _answer_first(self) -> None:
        self._answer(self._open_tasks("confirm_background")[0])

    def _raise_concerns(self) -> None:
        self._answer(self._open_tasks("confirm_background")[0], "concerns")

    def _return_to_dossier(self) -> None:
        self._act(self._secretary(), "return_to_dossier", {
            "reason": "Nơi cư trú của gia đình đề nghị làm rõ thêm; bổ sung lý lịch và thẩm tra lại."})

