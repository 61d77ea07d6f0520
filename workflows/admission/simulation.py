"""The admission scenario for the synthetic data generator (``casework generate``): who is referred, which step
follows in each state and how often (declines, withdrawals, failed courses, returns to the dossier,
rejections, removals), how long each state lasts (lognormal, slower cells and residential committees), and
the values each step submits.

The scenario only decides; ``casework.monitoring.simulation.StepWriter`` writes each step as the engine does,
from the definition (destinations, recorded dates and facts, effects, tasks and their due dates), so this file
holds no state order, task or due rule of its own. The values it submits pass the steps' guards (helpers are
official members of the cell, two introducers known for years, votes above the threshold, dates in order).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from casework.engine import LOCAL_TZ
from casework.engine.routing import Routed
from workflows.admission.models import Candidate
from workflows.admission.subject import CANDIDATE_FIELDS

if TYPE_CHECKING:
    from casework.monitoring.simulation import Row, StepWriter
    from casework.monitoring.synthetic import Commune, World

WORKFLOW = "admission"

# Median calendar days in each state (before the cell's and committees' own pace is applied).
MEDIAN_DAYS = {"referred": 12, "sympathiser": 70, "in_course": 35, "dossier": 25, "verification": 3,
               "cell_review": 12, "grassroots_review": 14, "authority_review": 20, "admitted": 12,
               "recognition_review": 12}
REPLY_MEDIAN_DAYS = 14
APPRAISAL_MEDIAN_DAYS = 10
REMOVAL_DECISION_MEDIAN_DAYS = 15

# The steps that may end each state, by weight (the main line's first).
NEXT = {
    "referred": (("accept_referral", 93), ("decline_referral", 7)),
    "sympathiser": (("enrol_course", 96), ("withdraw", 4)),
    "in_course": (("pass_course", 92), ("fail_course", 8)),
    "dossier": (("request_verification", 100),),
    "verification": (("complete_verification", 96), ("return_to_dossier", 4)),
    "cell_review": (("record_cell_vote", 97), ("record_cell_rejection", 3)),
    "grassroots_review": (("record_grassroots_resolution", 100),),
    "authority_review": (("decide_admission", 98), ("reject_admission", 2)),
    "admitted": (("hold_ceremony", 100),),
    "probation": (("start_recognition", 99), ("propose_removal", 1)),
}
CHOICES = {state: ([t for t, _ in options], list(itertools.accumulate(w for _, w in options)))
           for state, options in NEXT.items()}
# Who refers, by source: the officer of the referring organisation, or the cell's secretary for a member's referral.
SOURCES = (("trade_union", 50), ("youth_union", 35), ("women_union", 5), ("party_member", 10))
REFERRER = {"trade_union": "union_officer", "youth_union": "youth_officer", "women_union": "women_officer",
            "party_member": "cell_secretary"}
# The authority's steps wait on the commune's pace; every other one on the cell's and its enterprise's.
AUTHORITY_PACED = frozenset({"authority_review"})
# The yearly targets written with the organisation (``targets``): cases are opened evenly over the history, of
# which about 84% reach the decision (measured: a 20,000-case run admits about 2,800 a year), the first about 250
# days after the history starts. The provincial plans aim a little above the pace (the real ones at 200+ a year per
# province, here scaled to the generated pace); business owners are about 2% of the admissions, aimed at 2.5%.
ADMITTED_SHARE = 0.84
FIRST_ADMISSION_DAYS = 250
AIM = 1.08
BUSINESS_OWNERS_AIM = 0.025


class AdmissionScenario:
    workflow = WORKFLOW
    tables = (Candidate.__table__,)
    ids_per_case = {"candidates": 1}  # one candidate per case: their ids follow the cases' without gaps

    def targets(self, world: World, rng: random.Random, first: date, today: date,
                cases: int) -> dict[tuple[int, int], dict[str, int]]:
        """Admissions and business owners to aim for in each year with admissions, per province (the country's
        the sum of its provinces'), allocated over its communes (a commune's cases are a share of its province's,
        chosen evenly, and its communes differ a little), and per industrial-zone committee, its enterprises'
        share of its commune's: ``{(unit_id, year): {measure: n}}``."""
        provinces = world.communes_by_province()
        pace = cases * ADMITTED_SHARE / (today - first).days * 365 / len(world.communes)  # a commune's, a year
        admitting = first + timedelta(days=FIRST_ADMISSION_DAYS)
        out: dict[tuple[int, int], dict[str, int]] = {}
        for year in range(first.year, today.year + 1):
            start, end = max(date(year, 1, 1), admitting), date(year, 12, 31)
            share = max(0, (end - start).days + 1) / 365  # the current year: the whole year's
            country = 0
            for province_id, communes in provinces.items():
                planned = 5 * math.ceil(pace * len(communes) * share * AIM / 5)
                country += planned
                out[(province_id, year)] = _amounts(planned)
                weights = [rng.lognormvariate(0, 0.15) for _ in communes]
                for commune, n in zip(communes, _allocate(planned, weights), strict=True):
                    out[(commune.unit["id"], year)] = _amounts(n)
                    zones: dict[int, int] = {}
                    for entry in commune.cells:
                        if entry["grassroots"] is not None:
                            zones[entry["grassroots"]["id"]] = zones.get(entry["grassroots"]["id"], 0) + 1
                    for zone_id, cells in zones.items():
                        out[(zone_id, year)] = _amounts(round(n * cells / len(commune.cells)))
            if len(provinces) > 1:
                out[(world.root["id"], year)] = _amounts(country)
        return out

    def write_case(self, writer: StepWriter, world: World, rng: random.Random, opened: date,
                   now: datetime) -> None:
        commune = rng.choice(world.communes)
        Life(writer, world, commune, rng, now).run(opened)


class Life:
    """One case's life: decided here, written by the writer."""

    def __init__(self, writer: StepWriter, world: World, commune: Commune, rng: random.Random, now: datetime):
        self.writer, self.world, self.commune, self.rng, self.now = writer, world, commune, rng, now
        self.entry = rng.choice(commune.cells)
        self.home = rng.choice(commune.residential)
        self.pace = commune.pace * self.entry["pace"]
        self.members = world.members[self.entry["cell"]["id"]]
        self.documents: dict[str, int] = {}

    # -- time -----------------------------------------------------------------------------------------------
    def later(self, moment: datetime, median_days: float, pace: float) -> datetime:
        days = self.rng.lognormvariate(math.log(median_days * pace), 0.55)
        return moment + timedelta(days=days, minutes=self.rng.randint(0, 480))

    def choose(self, state: str) -> str:
        triggers, weights = CHOICES[state]
        return self.rng.choices(triggers, cum_weights=weights)[0]

    # -- the case -------------------------------------------------------------------------------------------
    def run(self, opened: date) -> None:
        rng, writer = self.rng, self.writer
        moment = datetime.combine(opened, time(9, rng.randint(0, 59)), LOCAL_TZ).astimezone(UTC)
        wf = writer.workflow_on(WORKFLOW, opened)
        source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
        values, columns, places = self.referral(writer.ids.take("candidates"), source, opened)
        self.case = writer.start(wf, columns, values, moment, actor_role=REFERRER[source],
                                 subject_fields=CANDIDATE_FIELDS, places=places,
                                 attributes=subject(self.candidate))
        while moment is not None and not wf.is_terminal(self.case.state):
            moment = self.next(self.case.state, moment)
        writer.finish(self.case)

    def referral(self, candidate_id: int, source: str, opened: date) -> tuple[dict, dict, dict]:
        """The refer step's values, the case's columns (as ``subject.open_case`` sets them) and its places."""
        rng, entry, home, commune = self.rng, self.entry, self.home, self.commune
        national_id = f"9{candidate_id:011d}"
        name = f"Ứng viên {candidate_id}"
        owner = source != "youth_union" and rng.random() < 0.03
        born = date(1975 + rng.randint(0, 28), rng.randint(1, 12), 1)
        candidate = {"id": candidate_id, "full_name": name, "birth_date": born,
                     "gender": rng.choice(("male", "female")), "national_id": national_id,
                     "residence_unit_id": home["area"]["id"], "workplace_unit_id": entry["enterprise"]["id"],
                     "position": "Chủ doanh nghiệp" if owner else "Công nhân", "is_business_owner": owner}
        self.writer.add("candidates", candidate)
        self.candidate = candidate
        referring = entry["unions"].get(source)
        values = {"full_name": name, "birth_date": born, "gender": candidate["gender"], "national_id": national_id,
                  "residence_unit": home["area"]["id"], "workplace_unit": entry["enterprise"]["id"],
                  "position": candidate["position"], "is_business_owner": owner, "source": source,
                  "referral_number": f"{candidate_id}/NQ", "referral_date": opened}
        if referring is not None:
            values["referring_org"] = referring["id"]
        columns = {"subject_id": candidate_id, "subject_key": national_id, "title": name, "source": source,
                   "owning_cell_id": entry["cell"]["id"],
                   "grassroots_unit_id": entry["grassroots"]["id"] if entry["grassroots"] else None,
                   "authority_unit_id": commune.unit["id"],
                   "referring_org_id": referring["id"] if referring is not None and source != "party_member" else None}
        return values, columns, places(candidate, home["cell"]["id"], commune.unit["id"])

    def take(self, trigger: str, moment: datetime, task: Row | None = None) -> None:
        self.writer.step(self.case, trigger, self.values(trigger, self.writer.day_of(moment)), moment, task=task)

    def next(self, state: str, moment: datetime) -> datetime | None:
        """Answer the state's tasks, then take the step that ends it (or the stage's); the moment of the last
        step, or None when the case waits past today."""
        if state == "verification":
            moment = self.replies(moment)
        elif state == "authority_review":
            moment = self.answer("appraise", moment, APPRAISAL_MEDIAN_DAYS, self.commune.pace)
        elif state == "probation":
            return self.probation(moment)
        elif state == "recognition_review":
            return self.recognition(moment)
        if moment is None:
            return None
        pace = self.commune.pace if state in AUTHORITY_PACED else self.pace
        if state == "verification":
            nxt = moment + timedelta(days=self.rng.uniform(1, 6) * self.pace)
        else:
            nxt = self.later(moment, MEDIAN_DAYS[state], pace)
        if nxt > self.now:
            return None
        trigger = self.choose(state)
        if trigger == "request_verification":
            self.relatives = self.pick_relatives()
            self.documents = self.documents or self.attach(nxt)
        self.take(trigger, nxt)
        return nxt

    def answer(self, kind: str, moment: datetime, median: float, pace: float) -> datetime | None:
        task = next(t for t in self.case.tasks if t.kind == kind and t.status == "open")
        done = self.later(moment, median, pace)
        if done > self.now:
            return None
        self.take(kind, done, task)
        return done

    def replies(self, moment: datetime) -> datetime | None:
        """Each residential committee answers at its own pace; the cell sums up after the last reply."""
        paces = {r["cell"]["id"]: r["pace"] for r in self.commune.residential}
        last = moment
        for task in [t for t in self.case.tasks if t.kind == "confirm_background" and t.status == "open"]:
            reply = self.later(moment, REPLY_MEDIAN_DAYS, paces.get(task.unit_id, 1))
            if reply > self.now:
                return None
            self.take("confirm_background", reply, task)
            last = max(last, reply)
        return last

    def probation(self, moment: datetime) -> datetime | None:
        """The new-member course during probation, then the recognition review from its end (or, rarely,
        removal: proposed by the cell, decided by the authority)."""
        took = moment + timedelta(days=self.rng.uniform(60, 250))
        if took > self.now:
            return None
        for kind in ("record_new_member_course", "record_member_file"):  # the second: version 2's
            task = next((t for t in self.case.tasks if t.kind == kind and t.status == "open"), None)
            if task is not None:
                self.take(kind, took, task)
        ends = self.case.date("probation_ends")
        start = datetime.combine(ends, time(9), LOCAL_TZ).astimezone(UTC) + timedelta(days=self.rng.uniform(0, 20))
        if start > self.now:
            return None
        if self.choose("probation") == "propose_removal":
            self.take("propose_removal", start)
            decided = self.later(start, REMOVAL_DECISION_MEDIAN_DAYS, self.commune.pace)
            if decided > self.now:
                return None
            self.take("decide_removal", decided)
            return decided
        self.take("start_recognition", start)
        return start

    def recognition(self, moment: datetime) -> datetime | None:
        """The cell's vote, the grassroots committee's (when there is one), the authority's decision: one step
        per stage, until the case leaves the state."""
        while self.case.state == "recognition_review":
            pace = self.commune.pace if self.case.stage == "authority_decision" else self.pace
            nxt = self.later(moment, MEDIAN_DAYS["recognition_review"], pace)
            if nxt > self.now:
                return None
            trigger = "decide_recognition" if self.case.stage == "authority_decision" else "record_recognition_vote"
            self.take(trigger, nxt)
            moment = nxt
        return moment

    def attach(self, moment: datetime) -> dict[str, int]:
        """The application (1-KNĐ) and the personal history (2-KNĐ) the request for verification names, attached
        to the case once (a second request names the same ones)."""
        documents = {}
        for name, form in (("application", "1-KNĐ"), ("personal_history", "2-KNĐ")):
            content = f"{form} of case {self.case.id}".encode()
            documents[name] = self.writer.ids.take("documents")
            self.writer.add("documents", {
                "id": documents[name], "case_id": self.case.id, "form_code": form, "filename": f"{form}.pdf",
                "content_type": "application/pdf", "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                "content": content, "uploaded_by_id": None, "uploaded_at": moment})
        return documents

    def pick_relatives(self) -> list[dict]:
        """Relatives verified where they live: none, one or two, in other residential areas of the commune."""
        places = self.rng.sample(self.commune.residential, self.rng.choice((0, 0, 1, 1, 2)))
        relatives = [{"full_name": f"Người thân {self.candidate['id']}.{i + 1}", "relation": ("father", "mother")[i],
                      "abroad": False, "residence_unit": p["area"]["id"]} for i, p in enumerate(places)]
        self.case.places.update(relative_places(relatives, {p["area"]["id"]: p["cell"]["id"] for p in places}))
        return relatives

    # -- what each step submits -----------------------------------------------------------------------------
    def values(self, trigger: str, day: date) -> dict[str, Any]:
        n = self.candidate["id"]
        if trigger in ("decline_referral", "withdraw", "return_to_dossier", "reject_admission", "propose_removal"):
            return {"reason": "Chưa đủ điều kiện"}
        if trigger == "accept_referral":
            return {"helper_ids": [self.members[0]], "resolution_date": day}
        if trigger == "enrol_course":
            again = "course" in self.case.facts  # enrolled before
            return {"course": "Lớp nhận thức (lần 2)" if again else "Lớp nhận thức",
                    "course_mode": "online" if again else "in_person"}
        if trigger == "pass_course":
            return {"certificate_number": f"CN-{n}", "certificate_date": day}
        if trigger == "fail_course":
            return {}
        if trigger == "request_verification":
            known = self.case.date("referral_date") - timedelta(days=800)
            values: dict[str, Any] = {**self.documents, "introducers": [{"member_id": m, "known_since": known}
                                                                       for m in self.members[:2]]}
            if self.relatives:
                values["relatives"] = self.relatives
            return values
        if trigger == "confirm_background":
            return {"outcome": "clear", "reply_number": f"{n}/CV", "reply_date": day}
        if trigger == "complete_verification":
            return {"opinions_summary": "Các ý kiến đều tốt."}
        if trigger == "record_cell_vote":
            return vote(day)
        if trigger == "record_cell_rejection":
            return {**vote(day), "votes_for": 2, "votes_against": 3}
        if trigger == "record_grassroots_resolution":
            return committee(n, day)
        if trigger == "appraise":
            return {"appraisal": "Đủ điều kiện.", "recommendation": "admit"}
        if trigger == "decide_admission":
            return {"decision_number": f"{n}-QĐ/ĐU", "decision_date": day}
        if trigger == "hold_ceremony":
            return {"ceremony_date": day, "helper_ids": [self.members[0]]}
        if trigger == "record_new_member_course":
            return {"certificate_number": f"DVM-{n}", "certificate_date": day}
        if trigger == "record_member_file":
            return {"member_file_number": f"LL-{n}", "member_file_date": day}
        if trigger == "start_recognition":
            return {"self_review": "Tự kiểm điểm."}
        if trigger == "record_recognition_vote":
            return vote(day) if self.case.stage == "cell_vote" else committee(n, day)
        if trigger == "decide_recognition":
            return {"decision_number": f"{n}-QĐ/ĐU-CT", "decision_date": day}
        if trigger == "decide_removal":
            return {"decision_number": f"{n}-QĐ/XT", "reason": "Vi phạm tư cách đảng viên"}
        raise ValueError(f"the admission scenario has no values for {trigger}")


def vote(day: date) -> dict[str, Any]:
    """A cell's unanimous vote (its five official members present)."""
    return {"official_members": 5, "excluded_members": 0, "present": 5, "votes_for": 5, "votes_against": 0,
            "meeting_date": day}


def committee(n: int, day: date) -> dict[str, Any]:
    """A committee's resolution on candidate ``n``."""
    return {"committee_members": 9, "votes_for": 8, "resolution_number": f"{n}-NQ/ĐU", "resolution_date": day}


def subject(candidate: dict[str, Any]) -> dict[str, Any]:
    """What admission's guards and flags read on a case beyond its columns: ``Case.candidate``."""
    return {"candidate": SimpleNamespace(**candidate)}


def places(candidate: dict[str, Any], home_committee_id: int, organizing_department_id: int) -> dict[str, list]:
    """What admission's routing targets that read the database find for a case (``routing.py``): the organizing
    department, and the committee where the candidate lives with the candidate as ``residence_committee``
    describes them; relatives' committees come with the relatives (``relative_places``)."""
    person = {"full_name": candidate["full_name"], "relation": "candidate",
              "birth_date": candidate["birth_date"].isoformat(), "residence_unit": candidate["residence_unit_id"]}
    return {"organizer": [Routed(organizing_department_id)],
            "residence_committee": [Routed(home_committee_id, subject={"people": [person]})],
            "relative_residence_committee": [], "relative_committee": []}


def relative_places(relatives: list[dict], committee_of: dict[int, int]) -> dict[str, list]:
    """``relative_residence_committee`` for relatives living at home (``committee_of``: a residential area's
    committee by the area's id), each described as that target describes them; version 2's
    ``relative_committee`` finds the same for relatives neither exempt nor named at a workplace."""
    def routed() -> list[Routed]:
        return [Routed(committee_of[r["residence_unit"]], subject={"people": [
            {"full_name": r["full_name"], "relation": r["relation"], "residence_unit": r["residence_unit"]}]})
            for r in relatives]

    return {"relative_residence_committee": routed(), "relative_committee": routed()}


def _amounts(admissions: int) -> dict[str, int]:
    return {"admissions": admissions, "business_owners": round(admissions * BUSINESS_OWNERS_AIM)}


def _allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` shared in proportion to the weights, in whole numbers that add up to it (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: shares[i] - exact[i])[:total - sum(shares)]:
        shares[i] += 1
    return shares


def scenario() -> AdmissionScenario:
    return AdmissionScenario()
