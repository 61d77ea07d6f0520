"""A synthetic province (or country) for demonstrations and for measuring the dashboard at scale.

Cases are simulated step by step through the admission workflow with believable durations (lognormal,
slower cells and residential committees), rejections, withdrawals and loops back, and written as the engine
writes them: events with seq, from/to states and ``changes``; tasks opened on entering a state and closed
on leaving it; state visits; the case projection. Rows go in by bulk (PostgreSQL COPY, executemany
elsewhere) because a million cases through the engine one step at a time would take days.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.engine import LOCAL_TZ, Rules
from casework.engine.calendar import add_months, is_working_day
from casework.localtime import local_date
from casework.models import (
    Case,
    Event,
    PartyMember,
    PartyOrgFounding,
    RoleAssignment,
    StateVisit,
    Task,
    Unit,
    User,
)
from casework.models.monitoring import visit_days
from casework.monitoring import summaries
from workflows.admission.models import Candidate  # it generates admission cases

CASES_PER_PROVINCE = 50_000
COMMUNES_PER_PROVINCE = 25
YEARS_OF_HISTORY = 6
# Median calendar days in each state (before the cell's and committees' own pace is applied).
MEDIAN_DAYS = {"referred": 12, "sympathiser": 70, "in_course": 35, "dossier": 25, "cell_review": 12,
               "grassroots_review": 14, "appraisal": 10, "decision": 20, "admitted": 12, "recognition": 12}
REPLY_MEDIAN_DAYS = 14


# --------------------------------------------------------------------------------------------------
# Working days without the holiday library in the inner loop


class FastCalendar:
    """Working-day arithmetic over a precomputed list of working days (the engine's calendar, cached)."""

    def __init__(self, start: date, end: date):
        self.days: list[date] = []
        day = start
        while day <= end:
            if is_working_day(day):
                self.days.append(day)
            day += timedelta(days=1)

    def add(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself does not count), like the engine's."""
        index = bisect.bisect_right(self.days, start)
        return self.days[min(index + n - 1, len(self.days) - 1)]


# --------------------------------------------------------------------------------------------------
# Identity allocation: ids are chosen here so related rows can be written without round trips


class Ids:
    def __init__(self, conn: sa.Connection):
        self.next = {}
        for model in (Unit, User, RoleAssignment, PartyMember, Candidate, Case, Event, Task, StateVisit,
                      PartyOrgFounding):
            table = model.__table__
            self.next[table.name] = (conn.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Buffer:
    """Rows waiting to be written, per table, as dicts in column order."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def size(self) -> int:
        return sum(len(r) for r in self.rows.values())


# --------------------------------------------------------------------------------------------------
# The organisation


@dataclass
class Commune:
    unit: dict
    cells: list[dict]  # workplace cells owning cases: {cell, enterprise, unions, grassroots}
    residential: list[dict]  # {cell, area}
    pace: float


def _unit(ids: Ids, buf: Buffer, parent: dict | None, kind: str, name: str, **extra) -> dict:
    unit_id = ids.take("units")
    path = f"{parent['path'] if parent else '/'}{unit_id}/"
    row = {"id": unit_id, "parent_id": parent["id"] if parent else None, "kind": kind, "name": name,
           "code": f"G{unit_id:07d}", "path": path, "cell_type": None, "ownership": None, "industrial_zone": False,
           "has_party_org": False, "assigned_cell_id": None, "admits_members": False,
           "organizing_department": False, "created_at": datetime(2019, 1, 1, tzinfo=UTC)}
    row.update(extra)
    buf.add("units", row)
    return row


def build_tree(ids: Ids, buf: Buffer, rng: random.Random, provinces: int) -> tuple[dict, list[Commune]]:
    """Country → provinces → communes (the authorities) → industrial-zone committees, enterprises with and
    without a party organisation, their unions, residential cells and areas."""
    root = _unit(ids, buf, None, "province", "Toàn quốc (dữ liệu mô phỏng)", organizing_department=True) \
        if provinces > 1 else None
    communes = []
    for p in range(provinces):
        province = _unit(ids, buf, root, "province", f"Tỉnh mô phỏng {p + 1}", organizing_department=True)
        for c in range(COMMUNES_PER_PROVINCE):
            communes.append(_commune(ids, buf, rng, province, p, c))
    members_and_people(ids, buf, rng, communes)
    return root or province, communes


def _commune(ids: Ids, buf: Buffer, rng: random.Random, province: dict, p: int, c: int) -> Commune:
    commune = _unit(ids, buf, province, "commune_committee", f"Đảng ủy xã/phường {p + 1}.{c + 1}",
                    admits_members=True, organizing_department=True)
    residential = []
    for r in range(6):
        cell = _unit(ids, buf, commune, "cell", f"Chi bộ khu dân cư {p + 1}.{c + 1}.{r + 1}", cell_type="residential")
        area = _unit(ids, buf, cell, "residential_area", f"Khu dân cư {p + 1}.{c + 1}.{r + 1}")
        residential.append({"cell": cell, "area": area, "pace": rng.choice((1, 1, 1, 1, 1.5, 4))})
    cells = []
    for g in range(2):
        zone = _unit(ids, buf, commune, "grassroots_committee", f"Đảng ủy KCN {p + 1}.{c + 1}.{g + 1}")
        for e in range(5):
            cells.append(_enterprise(ids, buf, rng, zone, f"{p + 1}.{c + 1}.{g + 1}.{e + 1}", zone, None))
    for e in range(5):
        cells.append(_enterprise(ids, buf, rng, commune, f"{p + 1}.{c + 1}.0.{e + 1}", None, None))
    for e in range(3):  # no party organisation: a residential cell owns their workers' cases
        cells.append(_enterprise(ids, buf, rng, commune, f"{p + 1}.{c + 1}.x.{e + 1}", None,
                                 residential[e]["cell"]))
    return Commune(commune, cells, residential, rng.lognormvariate(0, 0.25))


def _enterprise(ids, buf, rng, parent, label, grassroots, assigned) -> dict:
    ownership = "foreign_invested" if rng.random() < 0.3 else "domestic_private"
    cell = assigned or _unit(ids, buf, parent, "cell", f"Chi bộ Công ty {label}", cell_type="workplace")
    enterprise = _unit(ids, buf, parent, "enterprise", f"Công ty {label}", ownership=ownership,
                       industrial_zone=grassroots is not None, has_party_org=assigned is None,
                       assigned_cell_id=cell["id"])
    unions = {"trade_union": _unit(ids, buf, enterprise, "trade_union", f"Công đoàn Công ty {label}"),
              "youth_union": _unit(ids, buf, enterprise, "youth_union", f"Đoàn thanh niên Công ty {label}")}
    return {"cell": cell, "enterprise": enterprise, "unions": unions, "grassroots": grassroots,
            "pace": rng.lognormvariate(0, 0.3)}


def members_and_people(ids: Ids, buf: Buffer, rng: random.Random, communes: list[Commune]) -> None:
    """Five official members per owning cell, and an organizer for every commune (the demo signs in as one)."""
    seen = set()
    for commune in communes:
        for entry in commune.cells:
            cell = entry["cell"]
            if cell["id"] in seen:
                continue
            seen.add(cell["id"])
            for m in range(5):
                buf.add("party_members", {"id": ids.take("party_members"), "cell_id": cell["id"],
                                          "full_name": f"Đảng viên {cell['id']}.{m + 1}",
                                          "birth_date": date(1980, 1, 1), "status": "official",
                                          "member_since": date(2010, 5, 19), "official_since": date(2011, 5, 19),
                                          "excluded_from_votes": False, "user_id": None})


# --------------------------------------------------------------------------------------------------
# One case's life


@dataclass
class Life:
    """What the simulation decided for one case, turned into rows by ``CaseWriter``."""

    events: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)


class CaseWriter:
    """Simulates one case step by step and emits rows shaped like the engine's."""

    def __init__(self, ids: Ids, buf: Buffer, rng: random.Random, cal: FastCalendar, rules: Rules, now: datetime):
        self.ids, self.buf, self.rng, self.cal, self.rules, self.now = ids, buf, rng, cal, rules, now

    # -- time ----------------------------------------------------------------------------------------
    def later(self, moment: datetime, median_days: float, pace: float) -> datetime:
        days = self.rng.lognormvariate(math.log(median_days * pace), 0.55)
        return moment + timedelta(days=days, minutes=self.rng.randint(0, 480))

    # -- the case ------------------------------------------------------------------------------------
    def write(self, commune: Commune, opened: date) -> None:
        rng = self.rng
        entry = rng.choice(commune.cells)
        home = rng.choice(commune.residential)
        source = rng.choices(("trade_union", "youth_union", "women_union", "party_member"), (50, 35, 5, 10))[0]
        self.case_id = self.ids.take("cases")
        self.commune, self.entry, self.home = commune, entry, home
        self.pace = commune.pace * entry["pace"]
        self.seq, self.state, self.stage = 0, None, None
        self.dates: dict[str, date | None] = dict.fromkeys(("referral_date", "certificate_date", "cell_vote_date",
                                                            "decision_date", "ceremony_date", "probation_ends",
                                                            "official_since"))
        self.facts: dict[str, Any] = {}
        self.open_tasks: list[dict] = []
        self.visit: dict | None = None
        self.closed_on: date | None = None
        self.state_entered_at = None
        candidate_id = self.ids.take("candidates")
        owner = source != "youth_union" and rng.random() < 0.03
        self.buf.add("candidates", {
            "id": candidate_id, "full_name": f"Ứng viên {self.case_id}", "birth_date": date(1975 + rng.randint(0, 28),
                                                                                            rng.randint(1, 12), 1),
            "gender": rng.choice(("male", "female")), "national_id": f"9{self.case_id:011d}",
            "residence_unit_id": home["area"]["id"], "workplace_unit_id": entry["enterprise"]["id"],
            "position": "Chủ doanh nghiệp" if owner else "Công nhân", "is_business_owner": owner})
        start = datetime.combine(opened, time(9, rng.randint(0, 59)), LOCAL_TZ).astimezone(UTC)
        self._run(start, source)
        self._case_row(candidate_id, source, opened)

    def _run(self, moment: datetime, source: str) -> None:
        referring = self.entry["unions"].get(source)
        actor = ({"trade_union": "union_officer", "youth_union": "youth_officer"}.get(source, "cell_secretary"),
                 referring["id"] if referring else self.entry["cell"]["id"])
        self.referring_org_id = referring["id"] if referring else None
        self.dates["referral_date"] = self._day(moment)
        self._event("refer", "referred", moment, actor, dates={"referral_date": self._day(moment).isoformat()},
                    facts={"referral_number": f"{self.case_id}/NQ"})
        for step in (self._referred, self._sympathiser, self._course, self._dossier, self._verification,
                     self._cell_review, self._grassroots, self._authority, self._admitted, self._probation,
                     self._recognition):
            moment = step(moment)
            if moment is None:
                return

    # -- helpers -------------------------------------------------------------------------------------
    def _day(self, moment: datetime) -> date:
        return local_date(moment)

    def _secretary(self) -> tuple[str, int]:
        return ("cell_secretary", self.entry["cell"]["id"])

    def _past(self, moment: datetime) -> bool:
        return moment > self.now

    def _event(self, trigger: str, to_state: str | None, moment: datetime, actor: tuple[str, int], *,
               stage: str | None = None, dates: dict | None = None, facts: dict | None = None,
               closed: bool = False, task: dict | None = None, data: dict | None = None) -> None:
        self.seq += 1
        changes: dict[str, Any] = {}
        from_state = self.state
        if to_state is not None and to_state != self.state:
            changes.update(state=to_state, state_seq=self.seq, stage=stage)
        elif stage is not None and stage != self.stage:
            changes["stage"] = stage
        if dates:
            changes["dates"] = dates
            self.dates.update({k: date.fromisoformat(v) for k, v in dates.items()})
        if facts:
            changes["facts"] = facts
            self.facts.update(facts)
        if closed:
            changes["closed_on"] = self._day(moment).isoformat()
            self.closed_on = self._day(moment)
        self.buf.add("events", {
            "id": self.ids.take("events"), "case_id": self.case_id, "seq": self.seq, "trigger": trigger,
            "from_state": from_state, "to_state": to_state or self.state, "actor_id": None, "actor_role": actor[0],
            "actor_unit_id": actor[1], "task_id": task["id"] if task else None, "occurred_at": moment,
            "data": data or {}, "changes": changes, "flags": []})
        if "state" in changes:
            self._enter(to_state, moment, actor)
        if "stage" in changes:
            self.stage = changes["stage"]

    def _enter(self, state: str, moment: datetime, actor: tuple[str, int]) -> None:
        """Leaving a state closes its tasks (the actor's step done, the rest cancelled) and its visit."""
        for task in self.open_tasks:
            done = task["kind"] == "step" and task["role"] == actor[0]
            task.update(status="done" if done else "cancelled", completed_at=moment)
        self.open_tasks = []
        if self.visit is not None:
            self.visit.update(left_seq=self.seq, left_at=moment, next_state=state,
                              days=visit_days(self.visit["entered_at"], moment))
        self.visit = {"id": self.ids.take("state_visits"), "case_id": self.case_id,
                      "owning_cell_id": self.entry["cell"]["id"], "state": state, "entered_seq": self.seq,
                      "entered_at": moment, "left_seq": None, "left_at": None, "next_state": None, "days": None}
        self.buf.add("state_visits", self.visit)
        self.state, self.state_seq, self.state_entered_at = state, self.seq, moment

    def _task(self, kind: str, role: str, unit_id: int, moment: datetime, due_days: int | None = None,
              due: date | None = None, subject: dict | None = None) -> dict:
        if due is None and due_days is not None:
            due = self.cal.add(self._day(moment), due_days)
        task = {"id": self.ids.take("tasks"), "case_id": self.case_id, "kind": kind, "state": self.state,
                "role": role, "unit_id": unit_id, "status": "open", "subject": subject or {"stage": self.stage},
                "entry_seq": self.state_seq, "due_date": due, "created_at": moment, "completed_at": None,
                "completed_by_id": None, "outcome": {}}
        self.buf.add("tasks", task)
        self.open_tasks.append(task)
        return task

    def _step_task(self, moment: datetime, due_days: int, role: str = "cell_secretary",
                   unit_id: int | None = None) -> None:
        self._task("step", role, unit_id or self.entry["cell"]["id"], moment, due_days)

    def _leave(self, trigger: str, to_state: str, moment: datetime, actor=None, **kw) -> None:
        self._event(trigger, to_state, moment, actor or self._secretary(), closed=to_state in (
            "official_member", "declined", "rejected", "withdrawn", "removed"), **kw)

    # -- the steps, each returning when the case moved on (or None when it stops here) ---------------
    def _referred(self, moment):
        self._step_task(moment, self.rules.referral_review_working_days)
        nxt = self.later(moment, MEDIAN_DAYS["referred"], self.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.07:
            self._leave("decline_referral", "declined", nxt, data={"reason": "Chưa đủ điều kiện"})
            return None
        self._leave("accept_referral", "sympathiser", nxt, facts={"helper_ids": [1]})
        return nxt

    def _sympathiser(self, moment):
        self._step_task(moment, self.rules.sympathiser_working_days)
        nxt = self.later(moment, MEDIAN_DAYS["sympathiser"], self.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.04:
            self._leave("withdraw", "withdrawn", nxt, data={"reason": "Chuyển nơi làm việc"})
            return None
        self._leave("enrol_course", "in_course", nxt, facts={"course": "Lớp nhận thức", "course_mode": "in_person"})
        return nxt

    def _course(self, moment):
        self._step_task(moment, self.rules.course_working_days)
        nxt = self.later(moment, MEDIAN_DAYS["in_course"], self.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.08:  # failed: back to the sympathiser list, then a second course
            self._leave("fail_course", "sympathiser", nxt)
            again = self._sympathiser_again(nxt)
            return self._course(again) if again else None
        self._leave("pass_course", "dossier", nxt, dates={"certificate_date": self._day(nxt).isoformat()},
                    facts={"certificate_number": f"CN-{self.case_id}"})
        return nxt

    def _sympathiser_again(self, moment):
        self._step_task(moment, self.rules.sympathiser_working_days)
        nxt = self.later(moment, 30, self.pace)
        if self._past(nxt):
            return None
        self._leave("enrol_course", "in_course", nxt, facts={"course": "Lớp nhận thức (lần 2)",
                                                               "course_mode": "online"})
        return nxt

    def _dossier(self, moment):
        self._step_task(moment, self.rules.dossier_working_days)
        nxt = self.later(moment, MEDIAN_DAYS["dossier"], self.pace)
        if self._past(nxt):
            return None
        places = [self.home] + self.rng.sample(self.commune.residential, self.rng.choice((0, 0, 1, 1, 2)))
        self._places = list({p["cell"]["id"]: p for p in places}.values())
        self._leave("request_verification", "verification", nxt, facts={"introducers": [{"member_id": 1}]})
        return nxt

    def _verification(self, moment):
        asks = [self._task("confirm_background", "residential_committee", p["cell"]["id"], moment,
                           self.rules.verification_reply_working_days,
                           subject={"stage": None, "people": [{"full_name": f"Ứng viên {self.case_id}"}]})
                for p in self._places]
        last = moment
        for task, place in zip(asks, self._places, strict=True):
            reply = self.later(moment, REPLY_MEDIAN_DAYS, place["pace"])
            if self._past(reply):
                return None
            self._event("confirm_background", None, reply, ("residential_committee", place["cell"]["id"]),
                        task=task, data={"outcome": "clear", "reply_number": f"{self.case_id}/CV"})
            task.update(status="done", completed_at=reply, outcome={"outcome": "clear"})
            self.open_tasks.remove(task)
            last = max(last, reply)
        self._step_task(last, self.rules.complete_verification_working_days)
        nxt = last + timedelta(days=self.rng.uniform(1, 6) * self.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.04:
            self._leave("return_to_dossier", "dossier", nxt, data={"reason": "Bổ sung lý lịch"})
            again = self._dossier(nxt)
            return self._verification(again) if again else None
        self._leave("complete_verification", "cell_review", nxt, facts={"opinions_summary": "Tốt"})
        return nxt

    def _cell_review(self, moment):
        self._step_task(moment, self.rules.cell_review_working_days)
        nxt = self.later(moment, MEDIAN_DAYS["cell_review"], self.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.03:
            self._leave("record_cell_rejection", "rejected", nxt, data={"votes_for": 2})
            return None
        to = "grassroots_review" if self.entry["grassroots"] else "authority_review"
        self._leave("record_cell_vote", to, nxt, dates={"cell_vote_date": self._day(nxt).isoformat()})
        return nxt

    def _grassroots(self, moment):
        if self.state != "grassroots_review":
            return moment
        unit = self.entry["grassroots"]["id"]
        self._step_task(moment, self.rules.grassroots_review_working_days, "grassroots_committee", unit)
        nxt = self.later(moment, MEDIAN_DAYS["grassroots_review"], self.pace)
        if self._past(nxt):
            return None
        self._leave("record_grassroots_resolution", "authority_review", nxt, ("grassroots_committee", unit),
                    facts={"resolution_number": f"{self.case_id}-NQ/ĐU"})
        return nxt

    def _authority(self, moment):
        commune = self.commune.unit["id"]
        appraisal = self._task("appraise", "organizer", commune, moment, self.rules.appraisal_working_days)
        done = self.later(moment, MEDIAN_DAYS["appraisal"], self.commune.pace)
        if self._past(done):
            return None
        self._event("appraise", None, done, ("organizer", commune), task=appraisal,
                    data={"recommendation": "admit"}, facts={"appraisal": "Đủ điều kiện"})
        appraisal.update(status="done", completed_at=done)
        self.open_tasks.remove(appraisal)
        due = self.cal.add(self.dates["cell_vote_date"], self.rules.admission_decision_working_days)
        self._task("step", "authority", commune, done, due=due)
        nxt = self.later(done, MEDIAN_DAYS["decision"], self.commune.pace)
        if self._past(nxt):
            return None
        if self.rng.random() < 0.02:
            self._leave("reject_admission", "rejected", nxt, ("authority", commune), data={"reason": "Chưa đủ"})
            return None
        self._leave("decide_admission", "admitted", nxt, ("authority", commune),
                    dates={"decision_date": self._day(nxt).isoformat()},
                    facts={"decision_number": f"{self.case_id}-QĐ/ĐU"})
        return nxt

    def _admitted(self, moment):
        self._task("step", "cell_secretary", self.entry["cell"]["id"], moment,
                   due=self.cal.add(self.dates["decision_date"], self.rules.ceremony_working_days))
        nxt = self.later(moment, MEDIAN_DAYS["admitted"], self.pace)
        if self._past(nxt):
            return None
        ends = add_months(self._day(nxt), self.rules.probation_months)
        self._leave("hold_ceremony", "probation", nxt, dates={"ceremony_date": self._day(nxt).isoformat(),
                                                              "probation_ends": ends.isoformat()})
        return nxt

    def _probation(self, moment):
        ends = self.dates["probation_ends"]
        course = self._task("record_new_member_course", "cell_secretary", self.entry["cell"]["id"], moment, due=ends)
        self._task("step", "cell_secretary", self.entry["cell"]["id"], moment, due=ends)
        took = moment + timedelta(days=self.rng.uniform(60, 250))
        if self._past(took):
            return None
        self._event("record_new_member_course", None, took, self._secretary(), task=course,
                    facts={"new_member_certificate_number": f"DVM-{self.case_id}"})
        course.update(status="done", completed_at=took)
        self.open_tasks.remove(course)
        start = datetime.combine(ends, time(9), LOCAL_TZ).astimezone(UTC) + timedelta(days=self.rng.uniform(0, 20))
        if self._past(start):
            return None
        if self.rng.random() < 0.01:
            self._leave("decide_removal", "removed", start, ("authority", self.commune.unit["id"]))
            return None
        self._leave("start_recognition", "recognition_review", start, stage="cell_vote",
                    facts={"membership_counts_from": ends.isoformat()})
        return start

    def _recognition(self, moment):
        commune = self.commune.unit["id"]
        grassroots = self.entry["grassroots"]["id"] if self.entry["grassroots"] else None
        self._step_task(moment, self.rules.recognition_review_working_days)
        stages = [("cell_vote", self._secretary())]
        if grassroots:
            stages.append(("grassroots_vote", ("grassroots_committee", grassroots)))
        for i, (stage, actor) in enumerate(stages):
            nxt = self.later(moment, MEDIAN_DAYS["recognition"], self.pace)
            if self._past(nxt):
                return None
            following = stages[i + 1][0] if i + 1 < len(stages) else "authority_decision"
            self._close_steps(actor, nxt)
            self._event("record_recognition_vote", None, nxt, actor, stage=following,
                        facts={"last_recognition_vote": {"stage": stage, "passed": True}})
            role, unit = (("grassroots_committee", grassroots) if following == "grassroots_vote"
                          else ("authority", commune))
            self._step_task(nxt, self.rules.recognition_decision_working_days, role, unit)
            moment = nxt
        nxt = self.later(moment, MEDIAN_DAYS["recognition"], self.commune.pace)
        if self._past(nxt):
            return None
        self._leave("decide_recognition", "official_member", nxt, ("authority", commune),
                    dates={"official_since": self.dates["probation_ends"].isoformat()})
        return None

    def _close_steps(self, actor, moment) -> None:
        for task in [t for t in self.open_tasks if t["kind"] == "step"]:
            task.update(status="done" if task["role"] == actor[0] else "cancelled", completed_at=moment)
            self.open_tasks.remove(task)

    def _case_row(self, candidate_id: int, source: str, opened: date) -> None:
        entry = self.entry
        self.buf.add("cases", {
            "id": self.case_id, "workflow": "admission", "workflow_version": 1, "subject_id": candidate_id,
            "title": f"Ứng viên {self.case_id}",
            "state": self.state, "stage": self.stage, "version": self.seq, "source": source,
            "owning_cell_id": entry["cell"]["id"],
            "grassroots_unit_id": entry["grassroots"]["id"] if entry["grassroots"] else None,
            "authority_unit_id": self.commune.unit["id"], "referring_org_id": self.referring_org_id,
            "subject_key": None if self.closed_on else f"9{self.case_id:011d}", "opened_on": opened,
            "closed_on": self.closed_on, "state_entered_at": self.state_entered_at, "state_seq": self.state_seq,
            "last_event_seq": self.seq,
            "dates": {name: day.isoformat() for name, day in self.dates.items() if day is not None},
            "facts": self.facts, "created_at": datetime.combine(opened, time(2), UTC),
            "updated_at": self.state_entered_at})


# --------------------------------------------------------------------------------------------------
# Writing


TABLE_ORDER = ("units", "party_members", "candidates", "cases", "tasks", "events", "state_visits",
               "party_org_foundings")
MODELS = {m.__table__.name: m.__table__ for m in (Unit, PartyMember, Candidate, Case, Event, Task, StateVisit,
                                                     PartyOrgFounding)}


def flush(conn: sa.Connection, buf: Buffer) -> None:
    """Write everything buffered, parents first; COPY on PostgreSQL, executemany elsewhere."""
    postgres = conn.dialect.name == "postgresql"
    for name in TABLE_ORDER:
        rows = buf.rows.pop(name, None)
        if not rows:
            continue
        if postgres:
            _copy(conn, MODELS[name], rows)
        else:
            conn.execute(MODELS[name].insert(), rows)


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY through psycopg's own (compiled) adapters; only JSON columns are turned into text here."""
    columns = [c.name for c in table.columns]
    as_json = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_json_text(row.get(c)) if c in as_json else row.get(c) for c in columns])


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if not value:  # most data and flags are empty: skip the encoder
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reset_sequences(conn: sa.Connection) -> None:
    """COPY with explicit ids leaves PostgreSQL's sequences behind; move them past the new rows."""
    if conn.dialect.name != "postgresql":
        return
    for table in MODELS.values():
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"COALESCE((SELECT MAX(id) FROM {table.name}), 1))"))


def generate(conn: sa.Connection, *, cases: int, seed: int = 1, today: date | None = None,
             rules: Rules | None = None, progress=None) -> dict[str, Any]:
    """Fill the database with ``cases`` simulated cases over a tree sized for them; returns what was made."""
    rng = random.Random(seed)
    today = today or date.today()
    now = datetime.combine(today, time(17), LOCAL_TZ).astimezone(UTC)
    rules = rules or Rules()
    ids, buf = Ids(conn), Buffer()
    _fast_load(conn)
    provinces = max(1, round(cases / CASES_PER_PROVINCE))
    root, communes = build_tree(ids, buf, rng, provinces)
    _foundings(ids, buf, rng, communes, today)
    flush(conn, buf)
    cal = FastCalendar(today - timedelta(days=366 * (YEARS_OF_HISTORY + 1)), today + timedelta(days=800))
    writer = CaseWriter(ids, buf, rng, cal, rules, now)
    first = today - timedelta(days=365 * YEARS_OF_HISTORY)
    for n in range(cases):
        writer.write(rng.choice(communes), first + timedelta(days=rng.randint(0, (today - first).days)))
        if buf.size() > 200_000:
            flush(conn, buf)
            if progress:
                progress(n + 1)
    flush(conn, buf)
    reset_sequences(conn)
    summaries.rebuild(conn)
    return {"root_unit_id": root["id"], "communes": len(communes), "provinces": provinces, "cases": cases}


def _fast_load(conn: sa.Connection) -> None:
    """On PostgreSQL, skip per-row foreign-key triggers for this transaction: every id written here was
    allocated here, parents first, so the checks would only cost time (a third of a large load)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))


def _foundings(ids: Ids, buf: Buffer, rng: random.Random, communes: list[Commune], today: date) -> None:
    """Party organisations founded in some enterprises over the years, for the targets."""
    for commune in communes:
        for entry in commune.cells:
            if entry["enterprise"]["has_party_org"] and rng.random() < 0.25:
                founded = today - timedelta(days=rng.randint(0, 365 * YEARS_OF_HISTORY))
                buf.add("party_org_foundings", {
                    "id": ids.take("party_org_foundings"), "enterprise_id": entry["enterprise"]["id"],
                    "founded_on": founded, "ownership": entry["enterprise"]["ownership"],
                    "decision_number": f"{entry['enterprise']['id']}-QĐ/ĐU", "decided_by_id": commune.unit["id"],
                    "notes": "", "created_at": datetime.combine(founded, time(2), UTC)})
