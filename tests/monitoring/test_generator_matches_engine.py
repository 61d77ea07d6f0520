"""The generator writes what the engine writes: cases driven through the engine step by step, then the same
paths (the same steps, moments, values, actors and units) written by the generator's step writer, compared row
by row (events, tasks, visits, the case) and by the tallies monitoring rebuilds from each history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from casework.engine.packages import package_of
from casework.models import Base, Case, Event, StateVisit, Task
from casework.models.tallies import PipelineTally, ReferralTally, ReplyTally, StayTally
from casework.monitoring import summaries
from casework.monitoring.simulation import StepWriter, WorkingDays
from casework.monitoring.synthetic import Buffer, Ids, flush, scenarios
from tests.walk import Walker
from workflows.admission import simulation as admission
from workflows.admission.models import AdmissionTally

TALLIES = (StayTally, AdmissionTally, PipelineTally, ReferralTally, ReplyTally)
# What differs by nature: row ids (the generator allocates its own), the signed-in person (the generator has none).
EVENT_SKIP = {"id", "case_id", "task_id", "actor_id"}
TASK_SKIP = {"id", "case_id", "completed_by_id"}
VISIT_SKIP = {"id", "case_id"}
CASE_SKIP = {"id"}


def walk(walker: Walker, clock, until: str, *, detour=None) -> None:
    """Step forward to ``until`` with two days between steps (``detour(walker)`` may take a step instead, and
    says so by returning True)."""
    for _ in range(40):
        if walker.case.state == until:
            return
        if detour is None or not detour(walker):
            walker.step()
        clock.advance(days=2, seconds=611)
    raise AssertionError(f"stuck at {walker.case.state}")


def drive(session, engine, org, clock) -> list[int]:
    """Cases along different paths: the whole way with a grassroots committee, a failed course and a relative
    verified elsewhere; a return to the dossier and a removal without one; a cell's rejection; a declined
    referral; a withdrawal."""
    ids = []

    full = Walker(session, engine, org)
    failed, late = [], []

    def fail_once(w: Walker) -> bool:
        if w.case.state == "admitted" and not late:  # the ceremony past its deadline: the step is flagged
            late.append(clock.advance(days=60))
            return False
        if w.case.state == "in_course" and not failed:
            failed.append(w.act(w.secretary(), "fail_course", {"reason": "Vắng nhiều buổi"}))
            return True
        if w.case.state == "dossier":
            w.request_verification(relatives=[{"full_name": "Trần Văn Bố", "relation": "Bố",
                                               "residence_unit": org.far_area.id}])
            return True
        return False

    walk(full, clock, "official_member", detour=fail_once)
    ids.append(full.case.id)

    direct = Walker(session, engine, org, referrer="direct_union_officer", workplace_unit=org.direct_enterprise.id,
                    referring_org=org.direct_union.id)
    returned = []

    def return_once_then_remove(w: Walker) -> bool:
        if w.case.state == "verification" and not returned:
            returned.append(w.act(w.secretary(), "return_to_dossier", {"reason": "Bổ sung lý lịch"}))
            return True
        if w.case.state == "cell_review":
            w.act(w.secretary(), "record_cell_vote", w.vote(official_members=4, present=4, votes_for=4))
            return True
        if w.case.state == "probation":
            if not w.case.facts.get("removal_proposed"):
                w.act(w.secretary(), "propose_removal", {"reason": "Vi phạm"})
            else:
                w.act("authority", "decide_removal", {"decision_number": "9-QĐ/XT", "reason": "Vi phạm"})
            return True
        return False

    walk(direct, clock, "removed", detour=return_once_then_remove)
    ids.append(direct.case.id)

    rejected = Walker(session, engine, org, referrer="youth_officer", source="youth_union",
                      referring_org=org.youth_union.id)

    def reject(w: Walker) -> bool:
        if w.case.state == "cell_review":
            w.act(w.secretary(), "record_cell_rejection", w.vote(votes_for=2, votes_against=3))
            return True
        return False

    walk(rejected, clock, "rejected", detour=reject)
    ids.append(rejected.case.id)

    declined = Walker(session, engine, org)
    declined.act("cell_secretary", "decline_referral", {"reason": "Chưa đủ điều kiện"})
    ids.append(declined.case.id)

    withdrawn = Walker(session, engine, org)
    walk(withdrawn, clock, "sympathiser")
    withdrawn.act("cell_secretary", "withdraw", {"reason": "Chuyển nơi làm việc"})
    ids.append(withdrawn.case.id)
    return ids


# --------------------------------------------------------------------------------------------------
# Reading what was written


def rows(conn, model, skip: set[str], order) -> list[dict[str, Any]]:
    table = model.__table__
    return [{k: v for k, v in r._mapping.items() if k not in skip}
            for r in conn.execute(sa.select(table).order_by(*order))]


def tallies(conn) -> dict[str, list[tuple]]:
    """Every tally's counts by key; a key counted down to nothing is no count (as ``casework monitoring check``
    reads them: the steps leave such rows, a rebuild writes none)."""
    out = {}
    for model in TALLIES:
        table = model.__table__
        columns = [c for c in table.columns if c.name != "id"]
        out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(*columns).where(table.c.n != 0)))
    return out


def history(conn) -> dict[str, Any]:
    """Every case's rows in order, ids replaced by the case's order and each task's place in its case."""
    cases = rows(conn, Case, set(), [Case.id])
    order = {c["id"]: i for i, c in enumerate(cases)}
    tasks = rows(conn, Task, set(), [Task.case_id, Task.id])
    task_place = {t["id"]: (order[t["case_id"]], n) for n, t in enumerate(
        sorted(tasks, key=lambda t: t["id"]))}
    events = [{**{k: v for k, v in e.items() if k not in EVENT_SKIP}, "case": order[e["case_id"]],
               "task": task_place.get(e["task_id"])}
              for e in rows(conn, Event, set(), [Event.case_id, Event.seq])]
    return {
        "cases": [{k: v for k, v in c.items() if k not in CASE_SKIP} for c in cases],
        "events": events,
        "tasks": [{**{k: v for k, v in t.items() if k not in TASK_SKIP}, "case": order[t["case_id"]]}
                  for t in tasks],
        "visits": [{**{k: v for k, v in v.items() if k not in VISIT_SKIP}, "case": order[v["case_id"]]}
                   for v in rows(conn, StateVisit, set(), [StateVisit.case_id, StateVisit.entered_seq])],
        "tallies": tallies(conn),
    }


def forget_cases(conn) -> None:
    """Delete the cases and everything that hangs on them (the organisation and the candidates stay)."""
    doomed = {"cases"} | {m.__table__.name for m in TALLIES}
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name not in doomed and any(fk.column.table.name in doomed - {m.__table__.name for m in TALLIES}
                                                for fk in table.foreign_keys):
                doomed.add(table.name)
                grew = True
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in doomed:
            conn.execute(table.delete())


# --------------------------------------------------------------------------------------------------
# The same paths through the step writer


def typed(tdef, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted values as the engine parsed them, from the JSON its history keeps."""
    values = dict(data)
    for fdef in tdef.fields:
        if fdef.name not in values:
            continue
        if fdef.type == "date":
            values[fdef.name] = date.fromisoformat(values[fdef.name])
        elif fdef.type == "introducers":
            values[fdef.name] = [{**i, "known_since": date.fromisoformat(i["known_since"])} for i in values[fdef.name]]
    return values


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def replay(conn, engine, org, recorded: dict[str, Any], raw_events: list[dict], cases: list[dict]) -> None:
    """Write each recorded case's steps again through the step writer, as the generator does."""
    ids, buf = Ids(conn), Buffer()
    writer = StepWriter(ids, buf.add, engine, WorkingDays(date(2025, 1, 1), date(2029, 12, 31)))
    package = package_of("admission")
    committee_of = {org.area.id: org.residential_cell.id, org.far_area.id: org.far_cell.id}
    for case in cases:
        events = [e for e in raw_events if e["case_id"] == case["id"]]
        start = events[0]
        wf = engine.workflow(case["workflow"], case["workflow_version"])
        values = typed(wf.start_transition, start["data"])
        candidate = conn.execute(sa.text("SELECT * FROM candidates WHERE id = :id"), {"id": case["subject_id"]}).one()
        candidate = dict(candidate._mapping)
        if isinstance(candidate["birth_date"], str):
            candidate["birth_date"] = date.fromisoformat(candidate["birth_date"])
        columns = {k: case[k] for k in ("subject_id", "title", "source", "owning_cell_id", "grassroots_unit_id",
                                        "authority_unit_id", "referring_org_id")}
        columns["subject_key"] = values["national_id"]
        places = admission.places(candidate, committee_of[candidate["residence_unit_id"]], org.commune.id)
        sim = writer.start(wf, columns, values, aware(start["occurred_at"]), actor_role=start["actor_role"],
                           subject_fields=package.subject_fields, places=places,
                           attributes=admission.subject(candidate))
        engine_tasks = [t for t in recorded["raw_tasks"] if t["case_id"] == case["id"]]
        for event in events[1:]:
            tdef = writer.transition(wf, sim, event["trigger"])
            values = typed(tdef, event["data"])
            if "relatives" in values:
                sim.places.update(admission.relative_places(values["relatives"], committee_of))
            task = None
            if event["task_id"] is not None:
                place = [t["id"] for t in engine_tasks].index(event["task_id"])
                task = sim.all_tasks[place]
            writer.step(sim, event["trigger"], values, aware(event["occurred_at"]), actor_role=event["actor_role"],
                        task=task)
        writer.finish(sim)
    flush(conn, buf, {t.name: t for t in Base.metadata.sorted_tables
                      if t.name in ("cases", "tasks", "events", "state_visits")})


@pytest.fixture
def both(session, engine, org, clock):
    drive(session, engine, org, clock)
    session.commit()
    conn = session.connection()
    recorded = history(conn)
    recorded["raw_tasks"] = rows(conn, Task, set(), [Task.case_id, Task.id])
    raw_events = rows(conn, Event, set(), [Event.case_id, Event.seq])
    cases = rows(conn, Case, set(), [Case.id])
    forget_cases(conn)
    replay(conn, engine, org, recorded, raw_events, cases)
    summaries.rebuild(conn)
    generated = history(conn)
    session.commit()
    return recorded, generated


def test_the_paths_cover_the_procedure(both):
    recorded, _ = both
    assert [c["state"] for c in recorded["cases"]] == ["official_member", "removed", "rejected", "declined",
                                                       "withdrawn"]
    assert [e["trigger"] for e in recorded["events"] if e["flags"]] == ["hold_ceremony"]
    triggers = {e["trigger"] for e in recorded["events"]}
    assert {"fail_course", "return_to_dossier", "confirm_background", "appraise", "record_new_member_course",
            "record_recognition_vote", "propose_removal", "decide_removal", "record_grassroots_resolution"} <= triggers


def test_events_are_the_engines(both):
    recorded, generated = both
    assert len(generated["events"]) == len(recorded["events"])
    for mine, theirs in zip(generated["events"], recorded["events"], strict=True):
        assert mine == theirs, (mine["trigger"], mine["seq"])


def test_tasks_are_the_engines(both):
    recorded, generated = both
    assert len(generated["tasks"]) == len(recorded["tasks"])
    for mine, theirs in zip(generated["tasks"], recorded["tasks"], strict=True):
        assert mine == theirs, (mine["kind"], mine["state"])


def test_visits_are_the_engines(both):
    recorded, generated = both
    assert generated["visits"] == recorded["visits"]


def test_the_cases_are_the_engines(both):
    recorded, generated = both
    for mine, theirs in zip(generated["cases"], recorded["cases"], strict=True):
        assert mine == theirs, theirs["state"]


def test_the_tallies_rebuilt_from_the_generated_history_are_the_engines_live_ones(both):
    recorded, generated = both
    assert generated["tallies"] == recorded["tallies"]
    assert any(recorded["tallies"].values())


def test_every_package_with_a_scenario_is_generated():
    assert [s.workflow for s in scenarios()] == ["admission", "founding"]
