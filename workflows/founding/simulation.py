"""The founding scenario for the synthetic data generator (``casework generate``): enterprises without a party
organisation taken up by their founding committee at the provincial plans' pace (about 15 cases opened a year in
a province of 50,000 admission cases, more in recent years), their owners met, their members' transfers answered
by each member's cell, the proposal, the appraisal and the decision — and the ones that stop (the enterprise
closed, the owner refused, too few official members transferred) or stay long in owner engagement.

A founding decision changes the organisation: a new cell under the unit it reports to, the enterprise's party
organisation, the members' register rows, the interim secretary's account. The generator writes the organisation
once, before the cases, so this scenario plans its cases with the organisation (``organise``: the enterprise, the
members working there in the residential cells they attend, every step's moment and values up to the run's day)
and the organisation is written as the cases leave it: a founded enterprise has its cell, its transferred members
are in it, its secretary has an account once the administrator gave one. ``write_planned`` then writes the k-th
case's steps through ``casework.monitoring.simulation.StepWriter`` (the engine's own destinations, dates, facts,
tasks and due dates); the decision's effect, which needs the database, records what the plan made, and the
members' gathering is summed up over the case's answered tasks as the engine's guard and effect read them.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from casework.engine import LOCAL_TZ
from casework.engine.effects import EFFECTS, Effect
from casework.engine.routing import Routed
from casework.localtime import local_date
from casework.models import Role
from workflows.founding.models import WORKFLOW

if TYPE_CHECKING:
    from casework.monitoring.simulation import StepWriter
    from casework.monitoring.synthetic import World

# Founding cases opened a year per 50,000 cases of the run (a province's worth): Bắc Giang plans at least 10 new
# party organisations in enterprises a year, Đồng Nai 50 by 2030; some cases stop, so more are opened.
OPENED_PER_YEAR = 15
CASES_PER_PROVINCE = 50_000
YEARS = 6
# Median calendar days of each wait (before the commune's pace is applied).
MEDIAN_DAYS = {"survey": 25, "first_meeting": 20, "next_meeting": 45, "agreement": 20, "transfer": 25,
               "complete_gathering": 8, "proposal": 20, "appraisal": 10, "decision": 14, "secretary_account": 10,
               "stop": 30}
# How each case goes, by weight: to the end; the enterprise closing during the survey; the owner refusing after
# some meetings; the owner neither agreeing nor refusing for years (owner engagement stays open).
FATES = (("forward", 72), ("enterprise_closed", 4), ("owner_refused", 14), ("undecided", 10))
# The yearly new_party_orgs targets written with the organisation (``targets``): about 60% of the cases opened end
# in a decision, some 220 days after they open (measured: a 20,000-case run founds 2-5 a year, more in recent
# years); the plans aim a little above that pace, about 10 a year per province of 50,000 cases.
FOUNDED_SHARE = 0.6
FOUNDING_DAYS = 220
AIM = 1.15
TRANSFERRED = 0.88  # a member cell issues the transfer (else records why not)
IN_ZONE = 0.4  # enterprises in an industrial zone, founded by the zone's committee
# The state each step leads to, of the steps that change it; the open states, each held by one of a run's last
# cases on its day.
ENTERS = {"identify": "identified", "start_engagement": "engaging_owner", "owner_agreed": "gathering_members",
          "complete_gathering": "proposal", "submit_proposal": "authority_review", "decide_founding": "founded",
          "stop": "not_founded"}
OPEN_STATES = ("identified", "engaging_owner", "gathering_members", "proposal", "authority_review")


@dataclass
class Step:
    trigger: str
    moment: datetime
    values: dict[str, Any]
    role: str | None = None
    task: tuple[str, int] | None = None  # the open task it answers: (kind, unit)


@dataclass
class Planned:
    """One founding case: its enterprise, units, members and steps, and what the decision made."""

    enterprise: dict
    committee: dict
    authority_id: int
    administrator_id: int
    opened: date
    steps: list[Step] = field(default_factory=list)
    founded: dict[str, Any] | None = None  # the decision's effect: what the engine's records
    secretary: dict[str, Any] | None = None  # the administrator's task's subject, when the decision made one
    account_given: datetime | None = None


class FoundingScenario:
    workflow = WORKFLOW

    @property
    def tree_tables(self) -> tuple:
        """The register of organisations founded before the system, written with the organisation."""
        from workflows.founding.models import PartyOrgFounding

        return (PartyOrgFounding.__table__,)

    # -- the organisation -------------------------------------------------------------------------------------
    def organise(self, world: World, ids, buf, rng: random.Random, accounts, today: date | None,
                 cases: int) -> list[Planned]:
        """Every commune's committee gets its founding officer's account (``grassroots_committee-P.C``); the run's
        founding cases are planned, each with its own enterprise and members, and the organisation left as they
        leave it."""
        from casework.monitoring.synthetic import COMMUNES_PER_PROVINCE, _unit

        for i, commune in enumerate(world.communes):
            place = f"{i // COMMUNES_PER_PROVINCE + 1}.{i % COMMUNES_PER_PROVINCE + 1}"
            accounts.give(Role.GRASSROOTS_COMMITTEE, place, commune.unit)
        if today is None or not cases:
            return []
        now = datetime.combine(today, time(17), LOCAL_TZ).astimezone(UTC)
        first = today - timedelta(days=365 * YEARS)
        _imported(ids, buf, rng, world, first)
        count = round(cases * OPENED_PER_YEAR * YEARS / CASES_PER_PROVINCE)
        days = sorted(first + timedelta(days=int(365 * YEARS * rng.random() ** 0.5)) for _ in range(count))
        plans = []
        for k, opened in enumerate(days):
            i = rng.randrange(len(world.communes))
            commune = world.communes[i]
            place = f"{i // COMMUNES_PER_PROVINCE + 1}.{i % COMMUNES_PER_PROVINCE + 1}.f{k + 1}"
            zones = list({id(e["grassroots"]): e["grassroots"] for e in commune.cells if e["grassroots"]}.values())
            committee = rng.choice(zones) if zones and rng.random() < IN_ZONE else commune.unit
            home = rng.choice(commune.residential)
            held = type(buf)()  # the enterprise's row goes after the cell it may get (it names that cell)
            enterprise = _unit(ids, held, committee, "enterprise", f"Công ty mô phỏng {place}",
                               ownership="foreign_invested" if rng.random() < 0.3 else "domestic_private",
                               industrial_zone=committee is not commune.unit, has_party_org=False,
                               assigned_cell_id=home["cell"]["id"])
            members = _members(ids, buf, rng, enterprise, commune)
            plan = Planned(enterprise, committee, commune.unit["id"], world.root["id"], opened)
            target = OPEN_STATES[count - 1 - k] if count >= 3 * len(OPEN_STATES) and k >= count - len(OPEN_STATES) \
                else None
            _live(plan, members, rng, commune.pace, now, target)
            if plan.founded is not None:
                self._found(ids, buf, rng, accounts, plan, members, place, now, _unit)
            buf.add("units", enterprise)
            plans.append(plan)
        return plans

    def targets(self, world: World, rng: random.Random, first: date, today: date,
                cases: int) -> dict[tuple[int, int], dict[str, int]]:
        """New party organisations to aim for in each year of the history and the current one: per province the
        decisions expected at the run's pace (the cases are opened more and more often, as ``organise`` plans
        them), a little more, at least one; allocated over the committees that found (each commune's own and its
        industrial-zone committees, as ``organise`` chooses them), a commune's target counting its zones' and the
        country's its provinces': ``{(unit_id, year): {"new_party_orgs": n}}``."""
        provinces = world.communes_by_province()
        span = 365 * YEARS
        opened = cases * OPENED_PER_YEAR * YEARS / CASES_PER_PROVINCE / len(provinces)  # a province's

        def opened_by(day: int) -> float:  # opened by the day (from ``first``); at the last year's pace after it
            x = max(0, day) / span
            return opened * (x * x if x <= 1 else 1 + 2 * (x - 1))

        out: dict[tuple[int, int], dict[str, int]] = {}
        for year in range(first.year, today.year + 1):
            start, end = (date(year, 1, 1) - first).days, (date(year, 12, 31) - first).days + 1
            expected = FOUNDED_SHARE * (opened_by(end - FOUNDING_DAYS) - opened_by(start - FOUNDING_DAYS))
            if end - FOUNDING_DAYS <= 0:
                continue
            country = 0
            for province_id, communes in provinces.items():
                planned = max(1, round(expected * AIM))
                country += planned
                out[(province_id, year)] = {"new_party_orgs": planned}
                committees, weights = [], []
                for commune in communes:
                    zones = list({e["grassroots"]["id"] for e in commune.cells if e["grassroots"]})
                    committees.append((commune.unit["id"], commune.unit["id"]))
                    weights.append(1 - IN_ZONE if zones else 1)
                    for zone_id in zones:
                        committees.append((zone_id, commune.unit["id"]))
                        weights.append(IN_ZONE / len(zones))
                counts = dict.fromkeys(committees, 0)
                for committee in rng.choices(committees, weights, k=planned):
                    counts[committee] += 1
                for (unit_id, commune_id), n in counts.items():
                    out.setdefault((commune_id, year), {"new_party_orgs": 0})
                    if unit_id != commune_id:
                        out[(unit_id, year)] = {"new_party_orgs": n}
                    out[(commune_id, year)]["new_party_orgs"] += n
            if len(provinces) > 1:
                out[(world.root["id"], year)] = {"new_party_orgs": country}
        return out

    def _found(self, ids, buf, rng, accounts, plan: Planned, members: list[dict], place: str, now: datetime,
               make_unit) -> None:
        """The organisation as the decision leaves it: the new cell under the committee, the enterprise's party
        organisation, the transferred members in the cell; the secretary's account when the administrator gave it."""
        decision = plan.steps[-1]
        enterprise = plan.enterprise
        cell = make_unit(ids, buf, plan.committee, "cell", decision.values["cell_name"], cell_type="workplace",
                         code=f"{enterprise['code']}-CB", created_at=decision.moment)
        enterprise.update(has_party_org=True, assigned_cell_id=cell["id"])
        rows = {m["id"]: m for m in members}
        moved = []
        for person in plan.founded["transferred_members"]:
            row = rows[person["member_id"]]
            moved.append({"member_id": row["id"], "from_cell": row["cell_id"],
                          "transfer_date": person["transfer_date"]})
            row["cell_id"] = cell["id"]
        secretary = rows[plan.founded["interim_secretary"]]
        plan.founded = {"founded_cell_id": cell["id"], "moved_members": moved,
                        "interim_secretary_role": "administrator_task", "transferred_cases": []}
        plan.secretary = {"people": [{"full_name": secretary["full_name"], "member_id": secretary["id"]}],
                          "cell": cell["id"], "cell_name": cell["name"]}
        given = decision.moment + timedelta(days=rng.lognormvariate(math.log(MEDIAN_DAYS["secretary_account"]), 0.6))
        if given <= now:
            plan.account_given = given
            accounts.give(Role.CELL_SECRETARY, place, cell)

    def planned(self, world: World) -> int:
        return len(world.extra.get(WORKFLOW, ()))

    # -- the cases --------------------------------------------------------------------------------------------
    def write_planned(self, writer: StepWriter, world: World, k: int, now: datetime) -> None:
        plan: Planned = world.extra[WORKFLOW][k]
        enterprise = plan.enterprise
        wf = writer.workflow_on(WORKFLOW, plan.opened)
        columns = {"subject_id": enterprise["id"], "subject_key": str(enterprise["id"]), "title": enterprise["name"],
                   "source": "survey", "owning_cell_id": plan.committee["id"],
                   "grassroots_unit_id": plan.committee["id"], "authority_unit_id": plan.authority_id}
        places = {"organizer": [Routed(plan.authority_id)]}
        if plan.secretary is not None:
            places["secretary_administrator"] = [Routed(plan.administrator_id, subject=plan.secretary)]
        start, *rest = plan.steps
        case = writer.start(wf, columns, start.values, start.moment, actor_role=start.role, places=places,
                            attributes={"enterprise": SimpleNamespace(**enterprise)})
        for step in rest:
            task = None
            if step.task is not None:
                task = next(t for t in case.tasks if (t.kind, t.unit_id) == step.task and t.status == "open")
            with _answered_tasks_read(case, step.trigger):
                writer.step(case, step.trigger, step.values, step.moment, actor_role=step.role, task=task,
                            effects=_decision_effects(step.trigger, plan.founded))
        if plan.account_given is not None:  # the task closes once the new cell's secretary holds the role
            for task in case.tasks:
                if task.kind == "assign_interim_secretary":
                    task.update(status="done", completed_at=plan.account_given)
            case.tasks = [t for t in case.tasks if t.status == "open"]
        writer.finish(case)


@contextmanager
def _answered_tasks_read(case, trigger: str):
    """Summing up the gathering reads the round's answered transfer tasks (the step writer's case keeps only
    its open ones in ``tasks``): every task for that step, as the engine's case has them."""
    if trigger != "complete_gathering":
        yield
        return
    case.tasks = list(case.all_tasks)
    try:
        yield
    finally:
        case.tasks = [t for t in case.tasks if t.status == "open"]


def _decision_effects(trigger: str, founded: dict[str, Any] | None) -> dict[str, Effect] | None:
    """The decision's effect records what the plan made of the organisation (the engine's effect makes it in the
    database, which the step writer has not)."""
    if trigger != "decide_founding":
        return None
    registered = EFFECTS["found_organisation"]

    def recorded(ctx, changes: dict[str, Any]) -> None:
        changes.setdefault("facts", {}).update(founded)

    return {registered.name: Effect(registered.name, recorded, registered.produces_dates)}


def _imported(ids, buf, rng: random.Random, world: World, start: date) -> None:
    """The register of party organisations founded before the system (imported, by hand): a quarter of the
    enterprises with a party organisation, founded in the four years before the generated history."""
    for commune in world.communes:
        for entry in commune.cells:
            enterprise = entry["enterprise"]
            if enterprise["has_party_org"] and rng.random() < 0.25:
                founded = start - timedelta(days=rng.randint(1, 365 * 4))
                buf.add("party_org_foundings", {
                    "id": ids.take("party_org_foundings"), "enterprise_id": enterprise["id"], "founded_on": founded,
                    "ownership": enterprise["ownership"], "decision_number": f"{enterprise['id']}-QĐ/ĐU",
                    "decided_by_id": commune.unit["id"], "notes": "Nhập từ sổ theo dõi trước khi dùng hệ thống",
                    "created_at": datetime.combine(start, time(2), UTC)})


def _live(plan: Planned, members: list[dict], rng: random.Random, pace: float, now: datetime,
          target: str | None) -> None:
    """The case's steps up to ``now``. With a ``target`` state (the run's last few cases, so that every open
    state has a case today), a life going forward that passes through it, opened so that ``now`` falls in the
    middle of its stay there."""
    if target is not None:
        for _ in range(30):
            state = rng.getstate()
            plan.steps, plan.founded = [], None
            Life(plan, members, rng, pace, now + timedelta(days=36500)).run(forward=True)
            stay = _stay(plan.steps, target)
            if stay is not None:
                shift = now - (stay[0] + (stay[1] - stay[0]) / 2)
                plan.opened += timedelta(days=shift.days)
                rng.setstate(state)
                plan.steps, plan.founded = [], None
                Life(plan, members, rng, pace, now).run(forward=True)
                return
    plan.steps, plan.founded = [], None
    Life(plan, members, rng, pace, now).run()


def _stay(steps: list[Step], state: str) -> tuple[datetime, datetime] | None:
    """When the steps enter ``state`` and leave it (a stay of at least four days), or None."""
    entered = None
    for step in steps:
        if entered is not None and step.trigger in ENTERS:
            return (entered, step.moment) if step.moment - entered >= timedelta(days=4) else None
        if ENTERS.get(step.trigger) == state:
            entered = step.moment
    return None


def _members(ids, buf, rng: random.Random, enterprise: dict, commune) -> list[dict]:
    """Party members working at the enterprise, each in the register of a residential cell of the commune:
    three to seven, mostly official."""
    members = []
    for m in range(rng.choice((3, 4, 4, 5, 5, 6, 7))):
        official = m < 3 or rng.random() < 0.8
        row = {"id": ids.take("party_members"), "cell_id": rng.choice(commune.residential)["cell"]["id"],
               "full_name": f"Đảng viên {enterprise['id']}.{m + 1}", "birth_date": date(1985, 1, 1),
               "status": "official" if official else "probationary", "member_since": date(2012, 5, 19),
               "official_since": date(2013, 5, 19) if official else None, "excluded_from_votes": False,
               "user_id": None}
        buf.add("party_members", row)
        members.append(row)
    return members


class Life:
    """One case's steps, decided up to the run's moment ``now`` (a step later than it is not taken)."""

    def __init__(self, plan: Planned, members: list[dict], rng: random.Random, pace: float, now: datetime):
        self.plan, self.members, self.rng, self.pace, self.now = plan, members, rng, pace, now
        self.n = plan.enterprise["id"]

    def later(self, moment: datetime, wait: str, sigma: float = 0.6) -> datetime:
        days = self.rng.lognormvariate(math.log(MEDIAN_DAYS[wait] * self.pace), sigma)
        return moment + timedelta(days=days, minutes=self.rng.randint(0, 240))

    def take(self, trigger: str, moment: datetime, values: dict[str, Any], role: str | None = "grassroots_committee",
             task: tuple[str, int] | None = None) -> bool:
        """Record the step unless it would come after ``now``; whether it was taken."""
        if moment > self.now:
            return False
        self.plan.steps.append(Step(trigger, moment, values, role, task))
        return True

    def run(self, forward: bool = False) -> None:
        rng, plan = self.rng, self.plan
        moment = datetime.combine(plan.opened, time(8, rng.randint(0, 59)), LOCAL_TZ).astimezone(UTC)
        listed = [{"full_name": m["full_name"], "member_id": m["id"], "status": m["status"],
                   "current_cell": m["cell_id"]} for m in self.members]
        enterprise = plan.enterprise
        if not self.take("identify", moment, {
                "enterprise_unit": enterprise["id"], "workers": rng.randint(80, 3000),
                "has_trade_union": rng.random() < 0.8, "has_youth_union": rng.random() < 0.5, "members": listed,
                "identified_on": local_date(moment)}, role=rng.choice(("organizer", "grassroots_committee"))):
            return
        fate = rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0]
        fate = "forward" if forward else fate
        moment = self.later(moment, "survey")
        if fate == "enterprise_closed":
            self.take("stop", moment, {"reason": "enterprise_closed", "notes": "Doanh nghiệp ngừng hoạt động."})
            return
        engagement = {"contact_person": f"Giám đốc Công ty {self.n}"}
        if enterprise["industrial_zone"]:
            engagement["zone_board_letter"] = f"{self.n}/ĐU-KCN"
        if not self.take("start_engagement", moment, engagement):
            return
        moment = self.meetings(moment, fate)
        if moment is None:
            return
        if fate == "owner_refused":
            self.take("stop", self.later(moment, "stop"), {"reason": "owner_refused"})
            return
        moment = self.later(moment, "agreement")
        if not self.take("owner_agreed", moment, {"agreement_date": local_date(moment),
                                                  "agreement_document": f"Công văn {self.n}/DN"}):
            return
        self.gather(moment)

    def meetings(self, moment: datetime, fate: str) -> datetime | None:
        """Meetings with the owner: one to three before an agreement or a refusal; an undecided owner is met every
        few months for as long as the case runs."""
        count = 10_000 if fate == "undecided" else self.rng.choice((1, 1, 2, 2, 3))
        for i in range(count):
            moment = self.later(moment, "first_meeting" if i == 0 else "next_meeting")
            last = i == count - 1
            position = {"owner_refused": "opposed" if last else "undecided", "undecided": "undecided"}.get(
                fate, "supportive" if last else "undecided")
            values = {"meeting_date": local_date(moment), "owner_position": position}
            if not self.take("record_owner_meeting", moment, values):
                return None
        return moment

    def gather(self, moment: datetime) -> None:
        """Each member's cell answers its transfer task (one per cell); then the gathering is completed with three
        official members transferred, or stopped with fewer; the proposal, appraisal and decision follow."""
        rng = self.rng
        answers, transferred = [], []  # the members transferred in the order of their cells' tasks
        for cell in dict.fromkeys(m["cell_id"] for m in self.members):
            answered = self.later(moment, "transfer")
            day = local_date(answered)
            if rng.random() < TRANSFERRED:
                values = {"outcome": "transferred", "transfer_number": f"{self.n}.{cell}/GGT", "transfer_date": day}
                transferred += [m for m in self.members if m["cell_id"] == cell]
            else:
                values = {"outcome": "not_transferred", "reason": "Đảng viên chưa chuyển sinh hoạt được."}
            answers.append((answered, cell, values))
        for answered, cell, values in sorted(answers, key=lambda a: a[0]):
            if not self.take("confirm_transfer", answered, values, role=None, task=("confirm_transfer", cell)):
                return
        last = max(a[0] for a in answers)
        official = [m for m in transferred if m["status"] == "official"]
        if len(official) < 3:
            self.take("stop", self.later(last, "stop"), {"reason": "too_few_members",
                                                         "notes": "Chưa đủ 3 đảng viên chính thức."})
            return
        moment = self.later(last, "complete_gathering")
        if not self.take("complete_gathering", moment, {}):
            return
        moment = self.later(moment, "proposal")
        secretary = official[0]
        if not self.take("submit_proposal", moment, {
                "organisation_form": "cell_under_grassroots", "reports_to": self.plan.committee["id"],
                "interim_secretary": secretary["id"], "proposal_number": f"{self.n}-TTr/ĐU",
                "proposal_date": local_date(moment)}):
            return
        moment = self.later(moment, "appraisal")
        if not self.take("appraise", moment, {"appraisal": "Đủ điều kiện thành lập.", "recommendation": "found"},
                         role=None, task=("appraise", self.plan.authority_id)):
            return
        moment = self.later(moment, "decision")
        if self.take("decide_founding", moment, {"decision_number": f"{self.n}-QĐ/ĐU",
                                                 "decision_date": local_date(moment),
                                                 "cell_name": f"Chi bộ {self.plan.enterprise['name']}"},
                     role="authority"):
            # Whom the decision moves, as the gathering's tasks recorded them (in the order of the cells' tasks).
            self.plan.founded = {"interim_secretary": secretary["id"], "transferred_members": [
                {"member_id": m["id"], "transfer_date": next(
                    s.values["transfer_date"].isoformat() for s in self.plan.steps
                    if s.task == ("confirm_transfer", m["cell_id"]))} for m in transferred]}


def scenario() -> FoundingScenario:
    return FoundingScenario()
