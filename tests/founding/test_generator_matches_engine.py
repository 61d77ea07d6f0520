"""The founding scenario writes what the engine writes: founding cases driven through the engine (one founded with
a cell not transferring and two owner meetings, one stopped by the owner), then the same steps, moments, values
and actors written by the scenario's ``write_planned`` through the generator's step writer (the gathering summed
up over the answered tasks, the decision's effect recording what the plan made), compared row by row with the
engine's events, tasks, visits and case rows, and the tallies rebuilt from each history."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from casework.models import Base, Case, Event, RoleAssignment, Task, Unit
from casework.monitoring import summaries
from casework.monitoring.simulation import StepWriter, WorkingDays
from casework.monitoring.synthetic import Buffer, Ids, flush
from tests.factories import UserFactory
from tests.founding.support import FoundingWalker
from tests.monitoring.test_generator_matches_engine import aware, forget_cases, history, rows, typed
from workflows.founding.simulation import FoundingScenario, Planned, Step


def drive(session, engine, forg, clock) -> None:
    shop = FoundingWalker(session, engine, forg, enterprise="shop", starter="organizer")
    clock.advance(days=3, seconds=101)
    shop.act("commune_committee", "start_engagement", {"contact_person": "Bà Minh Anh"})
    clock.advance(days=9, seconds=77)
    shop.act("commune_committee", "record_owner_meeting", {"meeting_date": shop.today, "owner_position": "opposed"})
    clock.advance(days=5)
    shop.act("organizer", "stop", {"reason": "owner_refused", "notes": "Chủ cửa hàng không đồng ý."})

    walker = FoundingWalker(session, engine, forg)
    g = "grassroots_committee"
    clock.advance(days=4, seconds=311)
    walker.act(g, "start_engagement", {"contact_person": "Ông Park", "zone_board_letter": "120/ĐU-KCN"})
    for position in ("undecided", "supportive"):
        clock.advance(days=11, seconds=59)
        walker.act(g, "record_owner_meeting", {"meeting_date": walker.today, "owner_position": position})
    clock.advance(days=6)
    walker.act(g, "owner_agreed", {"agreement_date": walker.today, "agreement_document": "Công văn 05/SV"})
    clock.advance(days=8, seconds=13)
    walker.transfer_all({forg.units["far_cell"].id: "not_transferred"})
    clock.advance(days=2, seconds=17)
    walker.act(g, "complete_gathering")
    clock.advance(days=12)
    # An interim secretary without an account: the administrator's task, done once the role is given.
    walker.act(g, "submit_proposal", walker.proposal(interim_secretary=forg.members["sao_vang"][1].id))
    clock.advance(days=9, seconds=7)
    task = walker.open_tasks("appraise")[0]
    walker.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "found"}, task_id=task.id)
    clock.advance(days=50)  # past the decision's deadline: flagged
    walker.decide()
    assert walker.case.state == "founded"
    clock.advance(days=3)
    cell = session.get(Unit, walker.case.facts["founded_cell_id"])
    secretary = UserFactory(username="interim_secretary")
    session.add(RoleAssignment(user=secretary, unit_id=cell.id, role="cell_secretary"))
    session.flush()


def plan_of(session, case: dict, events: list[dict], tasks: list[dict], wf) -> Planned:
    """The recorded case as the scenario's plan: its enterprise and units, each step with its task's place, and
    what the decision made."""
    enterprise = session.get(Unit, case["subject_id"])
    plan = Planned({"id": enterprise.id, "name": case["title"], "industrial_zone": enterprise.industrial_zone},
                   {"id": case["owning_cell_id"]}, case["authority_unit_id"], 0, case["opened_on"])
    by_id = {t["id"]: t for t in tasks}
    for event in events:
        tdef = next(t for t in wf.transitions if t.trigger == event["trigger"])
        task = by_id.get(event["task_id"])
        plan.steps.append(Step(event["trigger"], aware(event["occurred_at"]), typed(tdef, event["data"]),
                               event["actor_role"], (task["kind"], task["unit_id"]) if task else None))
    if case["state"] == "founded":
        plan.founded = {k: case["facts"][k] for k in ("founded_cell_id", "moved_members", "interim_secretary_role",
                                                      "transferred_cases")}
    given = next((t for t in tasks if t["case_id"] == case["id"] and t["kind"] == "assign_interim_secretary"), None)
    if given is not None:
        plan.administrator_id = given["unit_id"]
        plan.secretary = {k: v for k, v in given["subject"].items() if k != "stage"}
        plan.account_given = aware(given["completed_at"]) if given["completed_at"] else None
    return plan


@pytest.fixture
def both(session, engine, forg, clock):
    drive(session, engine, forg, clock)
    session.commit()
    conn = session.connection()
    recorded = history(conn)
    events = rows(conn, Event, set(), [Event.case_id, Event.seq])
    tasks = rows(conn, Task, set(), [Task.case_id, Task.id])
    cases = rows(conn, Case, set(), [Case.id])
    forget_cases(conn)
    plans = [plan_of(session, c, [e for e in events if e["case_id"] == c["id"]], tasks,
                     engine.workflow(c["workflow"], c["workflow_version"])) for c in cases]
    buf = Buffer()
    writer = StepWriter(Ids(conn), buf.add, engine, WorkingDays(date(2025, 1, 1), date(2029, 12, 31)))
    world = SimpleNamespace(extra={"founding": plans})
    for k in range(len(plans)):
        FoundingScenario().write_planned(writer, world, k, clock.now)
    flush(conn, buf, {t.name: t for t in Base.metadata.sorted_tables
                      if t.name in ("cases", "tasks", "events", "state_visits")})
    summaries.rebuild(conn)
    generated = history(conn)
    session.commit()
    return recorded, generated


def test_the_paths(both):
    recorded, _ = both
    assert [c["state"] for c in recorded["cases"]] == ["not_founded", "founded"]
    assert [e["trigger"] for e in recorded["events"] if e["flags"]] == ["decide_founding"]
    outcomes = sorted(t["outcome"].get("outcome") for t in recorded["tasks"] if t["kind"] == "confirm_transfer")
    assert outcomes == ["not_transferred", "transferred"]
    assert [t["status"] for t in recorded["tasks"] if t["kind"] == "assign_interim_secretary"] == ["done"]


def test_the_rows_are_the_engines(both):
    recorded, generated = both
    for name in ("events", "tasks", "visits", "cases"):
        assert len(generated[name]) == len(recorded[name]), name
        for mine, theirs in zip(generated[name], recorded[name], strict=True):
            assert mine == theirs, (name, mine.get("trigger") or mine.get("kind") or mine.get("state"))


def test_the_tallies_rebuilt_from_the_generated_history_are_the_engines_live_ones(both):
    recorded, generated = both
    assert generated["tallies"] == recorded["tallies"]
    assert any(recorded["tallies"].values())

