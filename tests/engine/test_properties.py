"""Random people fire random steps with random (often wrong) data at a few cases; whatever happens, the
engine's invariants hold:

- a state is only ever reached by a transition the definition allows;
- replaying the history gives the case as stored;
- a closed (terminal) case has no open task;
- a refused step wrote nothing (events, version, tasks and state unchanged);
- the monitoring tallies equal the same counts taken from the history.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casework.engine import EngineError
from casework.engine.projection import replay, snapshot
from casework.models import Case, Event, TaskStatus
from casework.monitoring import summaries
from tests.conftest import START_DAY, truncate_all
from tests.engine.support import stored
from tests.factories import build_org
from tests.walk import ORDER, Walker

TEXT = st.sampled_from(["Đủ điều kiện.", "Đủ điều kiện.", "Đủ điều kiện.", "", "x" * 60])
COUNT = st.integers(min_value=-1, max_value=9)


@st.composite
def _cell_vote(draw, day):
    """Counts that add up (usually); the guards decide whether they pass."""
    official = draw(st.integers(1, 8))
    present = draw(st.integers(0, official))
    votes_for = draw(st.integers(0, present))
    vote = {"official_members": official, "excluded_members": draw(st.integers(0, 1)), "present": present,
            "votes_for": votes_for, "votes_against": present - votes_for, "meeting_date": draw(day)}
    return vote if draw(st.integers(0, 4)) else {**vote, draw(st.sampled_from(list(vote))): draw(COUNT)}


def _day(today: date):
    """Mostly plausible dates around today, sometimes a malformed one."""
    offsets = [0, 0, 0, 0, 0, -1, -30, -400, -2000, 1]
    return st.sampled_from([(today + timedelta(days=d)).isoformat() for d in offsets] + ["16/11/2026"])


def _payloads(today: date, member_ids: list[int], unit_ids: list[int]) -> dict[str, Any]:
    """A strategy per trigger for data shaped like the real thing, with wrong values mixed in."""
    day = _day(today)
    members = st.lists(st.sampled_from(member_ids), min_size=1, max_size=2, unique=True)
    introducers = st.lists(st.fixed_dictionaries({"member_id": st.sampled_from(member_ids), "known_since": day}),
                           max_size=3, unique_by=lambda i: i["member_id"])
    relative = st.one_of(
        st.fixed_dictionaries({"full_name": st.just("Lê Văn Bố"), "relation": st.just("father"),
                               "residence_unit": st.sampled_from(unit_ids)}),
        st.fixed_dictionaries({"full_name": st.just("Lê Văn Anh"), "relation": st.just("brother"),
                               "abroad": st.sampled_from([True, True, "yes", "maybe"])}))
    cell_vote = _cell_vote(day)
    committee = st.fixed_dictionaries({"committee_members": COUNT, "votes_for": COUNT,
                                       "resolution_number": st.just("45-NQ/ĐU"), "resolution_date": day})
    decision = st.fixed_dictionaries({"decision_number": st.just("120-QĐ/ĐU"), "decision_date": day},
                                     optional={"extension_reason": TEXT})
    reason = st.fixed_dictionaries({"reason": TEXT})
    return {
        "accept_referral": st.fixed_dictionaries({"helper_ids": members, "resolution_date": day}),
        "decline_referral": reason, "fail_course": reason, "return_to_dossier": reason, "withdraw": reason,
        "reject_admission": reason, "propose_removal": reason,
        "enrol_course": st.fixed_dictionaries({"course": TEXT, "course_mode": st.sampled_from(
            ["in_person", "online", "by_pigeon"])}),
        "pass_course": st.fixed_dictionaries({"certificate_number": st.just("CN-1"), "certificate_date": day}),
        "request_verification": st.fixed_dictionaries(
            {"introducers": introducers}, optional={"relatives": st.lists(relative, max_size=2),
                                                    "exception_approval": TEXT,
                                                    "business_owner_conditions": st.booleans()}),
        "confirm_background": st.fixed_dictionaries({
            "outcome": st.sampled_from(["clear", "clear", "concerns", "unsure"]), "reply_number": st.just("5/CV"),
            "reply_date": day}),
        "complete_verification": st.fixed_dictionaries({"opinions_summary": TEXT}, optional={"completion_date": day}),
        "record_cell_vote": cell_vote, "record_cell_rejection": cell_vote,
        "record_grassroots_resolution": committee,
        "record_recognition_vote": st.one_of(cell_vote, committee),
        "appraise": st.fixed_dictionaries({"appraisal": TEXT, "recommendation": st.sampled_from(
            ["admit", "do_not_admit"])}),
        "decide_admission": decision, "decide_recognition": decision,
        "hold_ceremony": st.fixed_dictionaries({"ceremony_date": day, "helper_ids": members},
                                               optional={"decision_received_date": day}),
        "record_new_member_course": st.fixed_dictionaries({"certificate_number": st.just("DVM-1"),
                                                           "certificate_date": day}),
        "start_recognition": st.fixed_dictionaries({}, optional={"self_review": TEXT}),
        "decide_removal": st.fixed_dictionaries({"decision_number": st.just("5-QĐ"), "reason": TEXT}),
        "transfer_case": st.fixed_dictionaries({"to_cell": st.sampled_from(unit_ids), "reason": TEXT}),
        "record_member_file": st.fixed_dictionaries({"member_file_number": st.just("LL-1"), "member_file_date": day}),
    }


GARBAGE = st.dictionaries(st.sampled_from(["reason", "votes_for", "helper_ids", "junk", "decision_date"]),
                          st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5),
                                    st.lists(st.integers(0, 5), max_size=2)), max_size=3)


def _fresh_world(session, engine, clock, targets: list[str], start: date = START_DAY) -> tuple[Any, list[Walker]]:
    """An empty database with the test organisation and a case walked to each target state, opened on ``start``
    (so on the version in effect that day)."""
    session.close()
    truncate_all(session.get_bind())
    clock.set_day(start)
    org = build_org(session)
    walkers = []
    for target in targets:
        walker = Walker(session, engine, org)
        walker.attach_dossier()
        walker.to(target)
        walkers.append(walker)
    clock.set_day(start + timedelta(days=400))  # later than anything the walks recorded
    return org, walkers


def _is_legal(wf, event: Event) -> bool:
    for tdef in wf.transitions:
        if tdef.trigger != event.trigger:
            continue
        if event.from_state is None and None in tdef.sources and event.to_state == wf.initial:
            return True
        if event.from_state in tdef.sources:
            targets = {d.state for d in tdef.destinations} or {event.from_state}
            if event.to_state in targets:
                return True
    return False


def _check_case(session, wf, case_id: int) -> None:
    session.expire_all()
    case = session.get(Case, case_id)
    events = list(case.events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for step in events:
        assert _is_legal(wf, step), (step.trigger, step.from_state, step.to_state)
    assert events[-1].to_state == case.state
    assert replay(events) == snapshot(case)
    if wf.is_terminal(case.state):
        assert not [t for t in case.tasks if t.status == TaskStatus.OPEN]
        assert case.closed_on is not None and case.subject_key is None
    session.rollback()


# A day each version is the one new cases start on: version 1 before 2027, version 2 from 2027-01-01.
START_DAYS = {1: START_DAY, 2: date(2027, 1, 4)}


@pytest.mark.parametrize("version", sorted(START_DAYS))
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_steps_keep_the_invariants(session, engine, clock, version, data):
    targets = data.draw(st.lists(st.sampled_from(ORDER[:-1]), min_size=1, max_size=2), label="targets")
    org, walkers = _fresh_world(session, engine, clock, targets, START_DAYS[version])
    wf = engine.workflow("admission", walkers[0].case.workflow_version)  # the clock moved on: not the current one
    assert wf.version == version
    member_ids = [m.id for ms in org.members.values() for m in ms] + [999999]
    unit_ids = [org.area.id, org.far_area.id, org.trade_union.id]
    for _ in range(data.draw(st.integers(min_value=4, max_value=12), label="steps")):
        walker = data.draw(st.sampled_from(walkers))
        username, trigger, payload, task_id = _draw_step(data, walker, wf, member_ids, unit_ids)
        if data.draw(st.booleans(), label="clock moves"):
            clock.advance(days=data.draw(st.integers(0, 120)))
        before = stored(session, walker.case.id)
        version = before[1] + data.draw(st.sampled_from([0] * 8 + [-1, 1]))
        try:
            walker.case = _apply(walker, username, trigger, payload, version, task_id)
            event(f"took a step ({trigger})")  # --hypothesis-show-statistics shows how much really happened
        except EngineError as refusal:
            event(f"refused: {type(refusal).__name__} {sorted({r.code for r in refusal.reasons})}")
            assert refusal.reasons and all(r.vi and r.en for r in refusal.reasons)
            assert stored(session, walker.case.id) == before
        _check_case(session, wf, walker.case.id)
    assert summaries.check(session.connection()) == []


def _draw_step(data, walker: Walker, wf, member_ids: list[int], unit_ids: list[int]):
    """Who does what with which data: mostly a step of the case's state by someone who could take it, with
    plausible data; otherwise any trigger, anyone, garbage. Withdrawing ends everything, so only now and then."""
    legal = [t for t in wf.transitions_from(walker.case.state, walker.case.stage) if t.trigger != "withdraw"]
    tdef = data.draw(st.sampled_from(legal)) if legal and data.draw(st.integers(0, 3)) < 3 else None
    trigger = tdef.trigger if tdef else data.draw(st.sampled_from([t for t in wf.triggers() if t != wf.start]))
    likely = _likely_users(walker, tdef) if tdef else []
    username = data.draw(st.sampled_from(likely if likely and data.draw(st.integers(0, 3)) < 3
                                         else sorted(walker.org.users)))
    plausible = _payloads(walker.engine.today(), member_ids, unit_ids)[trigger]
    payload = data.draw(st.one_of(plausible, GARBAGE) if data.draw(st.integers(0, 3)) == 3 else plausible)
    return username, trigger, payload, _draw_task_id(data, walker, tdef)


def _draw_task_id(data, walker: Walker, tdef) -> int | None:
    """For a task step, none (the engine picks the caller's only task) or an open task of its kind; for any other
    step none, and now and then a stray open task's id, which the engine refuses (task_not_taken). Drawing any
    open task's id for every step would have most steps refused for the task_id alone."""
    open_tasks = [t for t in walker.case.tasks if t.status == TaskStatus.OPEN]
    if tdef is not None and data.draw(st.integers(0, 7), label="stray task_id") != 0:
        open_tasks = [t for t in open_tasks if tdef.task_kind and t.kind == tdef.task_kind]
    return data.draw(st.sampled_from([None, *[t.id for t in open_tasks]]), label="task_id")


def _likely_users(walker: Walker, tdef) -> list[str]:
    """The people who could take this step: the holders of an open task of its kind, or of its actors' roles."""
    from casework.engine.routing import resolve_unit

    if tdef.task_kind:
        wanted = [(t.role, t.unit_id) for t in walker.case.tasks
                  if t.kind == tdef.task_kind and t.status == TaskStatus.OPEN]
    else:
        wanted = [(a.role, resolve_unit(walker.session, walker.case, a.routing)) for a in tdef.actors]
    return sorted(name for name, user in walker.org.users.items() if any(user.holds(r, u) for r, u in wanted))


def _apply(walker: Walker, username: str, trigger: str, payload: dict, version: int, task_id) -> Case:
    from casework.engine.service import apply

    return apply(session=walker.session, engine=walker.engine, case=walker.case, trigger=trigger,
                 user=walker.org.users[username], data=payload, expected_version=version, task_id=task_id)


def test_every_step_of_every_version_has_data_to_draw(workflows):
    """A trigger a definition adds needs a strategy above; without one the property test would fail with a
    KeyError only in the examples that happen to draw it."""
    strategies = _payloads(START_DAY, [1], [1])
    for version, wf in workflows["admission"].items():
        assert version in START_DAYS
        assert sorted(set(wf.triggers()) - {wf.start} - set(strategies)) == [], version


def test_the_example_world_is_rebuilt_from_nothing(session, engine, clock):
    """The property test starts each example from an empty database; check that reset really empties it."""
    _, walkers = _fresh_world(session, engine, clock, ["dossier"])
    _, again = _fresh_world(session, engine, clock, ["referred"])
    assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    assert again[0].case.id == 1 and walkers[0].case.id == 1
