"""Moving running cases from version 1 of admission to version 2 by a migration plan: the plan checked against
both definitions, a dry run that writes nothing, a run that moves each case as one event the history replays,
reruns that change nothing, cases that cannot move left as they were, and cases that go on normally after."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import DefinitionError, Engine, Invalid, NotFound, PermissionDenied
from casework.engine import migration as mig
from casework.engine.migration import MIGRATE_TRIGGER, find_plan, migrate, parse_where
from casework.engine.projection import replay, snapshot
from casework.models import Case, Event, Task, TaskStatus
from casework.monitoring import summaries
from tests.engine.migration_catalog import PLAN, catalog, write_plan
from tests.engine.support import assert_readable
from tests.factories import RoleFactory, UserFactory
from tests.walk import Walker


@pytest.fixture
def root(tmp_path):
    return catalog(tmp_path / "workflows")


@pytest.fixture
def migrating(root, clock) -> Engine:
    return Engine.from_directory(root, clock=clock)


@pytest.fixture
def admin(session, org):
    user = UserFactory(username="admin")
    RoleFactory(user=user, unit=org.units["province"], role="admin")
    session.commit()
    return user


def _plan(engine, root=None, plan=None):
    if plan is not None:
        write_plan(root, plan)
    return find_plan(engine, "admission", 1, 2)


def _rows(session) -> dict[str, object]:
    """Everything a migration could write, counted."""
    counts = {model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Event, Task, Case)}
    counts["versions"] = sorted(session.execute(sa.select(Case.id, Case.version, Case.workflow_version,
                                                          Case.state)).all())
    counts["open_tasks"] = session.scalar(sa.select(sa.func.count()).select_from(Task)
                                          .where(Task.status == TaskStatus.OPEN))
    session.rollback()
    return counts


def _cases(session, migrating, org) -> dict[str, Case]:
    """One case in each of the states the plan treats differently."""
    walked = {}
    for state in ("sympathiser", "in_course", "dossier", "verification", "admitted"):
        walked[state] = Walker(session, migrating, org).to(state)
    walked["course"] = Walker(session, migrating, org).to("dossier")  # recorded a course name on the way
    return walked


def _by_case(report) -> dict[int, mig.CaseMove]:
    return {m.case_id: m for m in report.cases}


# --- The plan -------------------------------------------------------------------------------------------------


def test_the_plan_is_read_and_checked_against_both_versions(migrating):
    plan = _plan(migrating)
    assert (plan.from_version, plan.to_version) == (1, 2)
    assert plan.state_map("verification").target == "background_check"
    assert plan.state_map("dossier").target == "dossier"  # the same name in both versions
    assert plan.state_map("in_course") is None  # gone from version 2 and not mapped
    assert plan.task_policy("dossier") == "cancel_and_recreate" and plan.task_policy("admitted") == "keep"


@pytest.mark.parametrize(("change", "element", "words"), [
    ({"states": {"nowhere": "dossier"}}, "states.nowhere", "unknown state nowhere in version 1"),
    ({"states": {"in_course": "limbo"}}, "states.in_course.to", "unknown state limbo in version 2"),
    ({"states": {"in_course": "withdrawn"}}, "states.in_course.to", "terminal"),
    ({"states": {"in_course": {"to": "dossier", "stage": "cell_vote"}}}, "states.in_course.stage", "unknown stage"),
    ({"states": {"declined": "dossier"}}, "states.declined", "closed cases keep their version"),
    ({"fields": {"no_such_fact": "course_name"}}, "fields.no_such_fact", "unknown fact or date no_such_fact"),
    ({"fields": {"course": "no_such_fact"}}, "fields.course", "unknown fact or date no_such_fact in version 2"),
    ({"defaults": {"invented": {"value": 1}}}, "defaults.invented", "unknown fact or date invented"),
    ({"defaults": {"decision_received_date": {"from": "nothing"}}}, "defaults.decision_received_date.from",
     "unknown fact or date nothing"),
    ({"defaults": {"decision_received_date": {"value": "soon"}}}, "defaults.decision_received_date.value",
     "must be a date"),
    ({"tasks": {"dossier": "shred"}}, "tasks.dossier", "unknown task policy shred"),
    ({"checks": [{"no_open_task": "dance"}]}, "checks[0]", "unknown task kind dance"),
    ({"from": 3}, "from", "must be 1"),
    ({"surprise": 1}, "file", "unknown key(s): surprise"),
])
def test_a_plan_naming_what_the_versions_lack_is_refused_with_the_element(migrating, root, change, element, words):
    with pytest.raises(DefinitionError) as info:
        _plan(migrating, root, {**PLAN, **change})
    assert info.value.element == element and words in info.value.problem, info.value
    assert info.value.file.endswith("migrations/1-to-2.yaml")


def test_unknown_versions_a_missing_plan_and_the_same_version_are_clear_refusals(migrating, root):
    with pytest.raises(NotFound) as info:
        find_plan(migrating, "admission", 1, 3)
    assert info.value.reasons[0].code == "unknown_workflow_version"
    with pytest.raises(NotFound) as info:
        find_plan(migrating, "admission", 2, 1)
    assert info.value.reasons[0].code == "no_migration_plan" and "2-to-1.yaml" in info.value.reasons[0].en
    with pytest.raises(Invalid) as info:
        find_plan(migrating, "admission", 1, 1)
    assert info.value.reasons[0].code == "same_version"
    with pytest.raises(NotFound):
        find_plan(migrating, "nothing", 1, 2)
    for reasons in (info.value.reasons,):
        assert_readable(reasons)


def test_selections_are_read_from_the_command_line_and_from_json():
    assert parse_where(["state=verification", "unit=3", "case=7", "case=8"]) == mig.Selection(
        ("verification",), (3,), (7, 8))
    assert parse_where({"state": ["dossier"], "case": 5}) == mig.Selection(("dossier",), (), (5,))
    for bad in (["colour=red"], ["state"], {"unit": "x"}, {"case": True}, "state=dossier"):
        with pytest.raises(Invalid) as info:
            parse_where(bad)
        assert info.value.reasons[0].code == "bad_where"
        assert_readable(info.value.reasons)


# --- Planning -------------------------------------------------------------------------------------------------


def test_a_dry_run_reports_every_case_and_writes_nothing(session, migrating, org, admin):
    walked = _cases(session, migrating, org)
    before = _rows(session)
    report = migrate(session=session, engine=migrating, plan=_plan(migrating), dry_run=True)
    assert _rows(session) == before
    moves = _by_case(report)
    assert {m.outcome for m in report.cases} == {"would_move", "cannot_move"}
    verification = moves[walked["verification"].id]
    assert (verification.outcome, verification.to_state) == ("would_move", "background_check")
    assert [t["kind"] for t in verification.tasks_kept] == ["confirm_background"] * len(verification.tasks_kept)
    stuck = moves[walked["in_course"].id]
    assert stuck.outcome == "cannot_move" and [r.code for r in stuck.reasons] == ["state_unmapped"]
    assert_readable(stuck.reasons)
    dossier = moves[walked["dossier"].id]
    assert dossier.tasks_cancelled and [t["kind"] for t in dossier.tasks_created] == ["step"]
    assert dossier.renamed == {"course": "course_name"}
    admitted = moves[walked["admitted"].id]
    assert admitted.defaulted == {"decision_received_date": walked["admitted"].date("decision_date").isoformat()}
    summary = report.summary()
    assert (summary["would_move"], summary["cannot_move"], summary["reasons"]) == (5, 1, {"state_unmapped": 1})


# --- Moving ---------------------------------------------------------------------------------------------------


def test_a_run_moves_each_case_as_one_event_the_history_replays(session, migrating, org, admin, clock):
    walked = _cases(session, migrating, org)
    versions = {name: case.version for name, case in walked.items()}
    clock.advance(seconds=60)
    report = migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    assert report.summary()["moved"] == 5 and report.summary()["cannot_move"] == 1
    session.expire_all()
    for name, case in walked.items():
        case = session.get(Case, case.id)
        assert replay(case.events) == snapshot(case), name
        if name == "in_course":  # cannot move: untouched
            assert (case.workflow_version, case.version) == (1, versions[name])
            assert all(e.trigger != MIGRATE_TRIGGER for e in case.events)
            continue
        event = case.events[-1]
        assert event.trigger == MIGRATE_TRIGGER and case.workflow_version == 2
        assert case.version == versions[name] + 1  # the optimistic version moved: an open form is now stale
        assert (event.actor_id, event.actor_role, event.actor_unit_id) == (admin.id, "admin", org.units["province"].id)
        assert event.data["from"] == {"version": 1, "state": name if name != "course" else "dossier",
                                      "stage": None}
        assert event.data["to"]["version"] == 2 and event.changes["workflow_version"] == 2
        assert event.occurred_at.replace(tzinfo=None) == clock.now.replace(tzinfo=None)
    moved = session.get(Case, walked["verification"].id)
    assert moved.state == "background_check" and moved.events[-1].to_state == "background_check"
    kept = [t for t in moved.tasks if t.status == TaskStatus.OPEN]
    assert kept and {(t.kind, t.state, t.entry_seq) for t in kept} == {
        ("confirm_background", "background_check", moved.state_seq)}
    dossier = session.get(Case, walked["course"].id)
    assert "course" not in dossier.facts and dossier.facts["course_name"] == "Lớp nhận thức K12"
    cancelled = [t for t in dossier.tasks if t.status == TaskStatus.CANCELLED]
    reopened = [t for t in dossier.tasks if t.status == TaskStatus.OPEN]
    assert cancelled and [t.kind for t in reopened] == ["step"] and reopened[0].id not in {t.id for t in cancelled}
    admitted = session.get(Case, walked["admitted"].id)
    assert admitted.date("decision_received_date") == admitted.date("decision_date")  # a key date of v2
    assert "decision_received_date" not in admitted.facts
    assert summaries.check(session.connection()) == []  # tallies and visits follow the renamed state
    session.rollback()


def test_a_rerun_changes_nothing_and_a_case_named_again_is_already_migrated(session, migrating, org, admin):
    walked = _cases(session, migrating, org)
    plan = _plan(migrating)
    migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False)
    before = _rows(session)
    again = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False)
    assert _rows(session) == before
    assert again.summary()["moved"] == 0 and again.summary()["cannot_move"] == 1  # only in_course is left
    named = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False,
                    selection=parse_where([f"case={walked['dossier'].id}"]))
    assert [m.outcome for m in named.cases] == ["already_migrated"]
    assert _rows(session) == before


def test_a_case_that_cannot_move_says_why_and_is_untouched(session, migrating, root, org, admin):
    walked = {"admitted": Walker(session, migrating, org).to("admitted"),
              "verification": Walker(session, migrating, org).to("verification")}
    plan = _plan(migrating, root, {
        **PLAN, "defaults": {"decision_received_date": {"from": "ceremony_date", "required_in": ["admitted"]}},
        "checks": [{"no_open_task": "confirm_background", "in": ["verification"]}]})
    before = _rows(session)
    report = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False)
    assert _rows(session) == before
    moves = _by_case(report)
    assert [r.code for r in moves[walked["admitted"].id].reasons] == ["default_unavailable"]
    assert [r.code for r in moves[walked["verification"].id].reasons] == ["check_failed"]
    for move in moves.values():
        assert move.outcome == "cannot_move"
        assert_readable(move.reasons)


def test_a_kept_task_with_no_place_in_the_new_state_stops_the_case(session, migrating, root, org, admin):
    case = Walker(session, migrating, org).to("verification")
    plan = _plan(migrating, root, {**PLAN, "states": {"verification": "cell_review"}})
    report = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=True)
    move = _by_case(report)[case.id]
    assert move.outcome == "cannot_move" and {r.code for r in move.reasons} == {"task_has_no_place"}


def test_a_state_mapped_explicitly_moves_with_new_tasks(session, migrating, root, org, admin):
    case = Walker(session, migrating, org).to("in_course")
    plan = _plan(migrating, root, {**PLAN, "states": {**PLAN["states"], "in_course": {
        "to": "dossier", "tasks": "cancel_and_recreate"}}})
    report = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False)
    assert [m.outcome for m in report.cases] == ["moved"]
    session.expire_all()
    case = session.get(Case, case.id)
    assert (case.state, case.workflow_version) == ("dossier", 2)
    assert [t.state for t in case.tasks if t.is_open] == ["dossier"]
    assert replay(case.events) == snapshot(case)


def test_after_moving_a_case_goes_on_under_the_new_version(session, migrating, org, admin):
    checking = Walker(session, migrating, org)
    checking.to("verification")
    admitted = Walker(session, migrating, org)
    admitted.to("admitted")
    migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    session.expire_all()
    admitted.case = session.get(Case, admitted.case.id)
    admitted.step()  # the ceremony, a step of version 2
    assert (admitted.case.state, admitted.case.workflow_version) == ("probation", 2)
    checking.case = session.get(Case, checking.case.id)
    assert migrating.definition_of(checking.case).version == 2
    for task in [t for t in checking.case.tasks if t.kind == "confirm_background" and t.is_open]:
        user = next(name for name, u in org.users.items() if u.holds(task.role, task.unit_id))
        checking.act(user, "confirm_background", {"outcome": "clear", "reply_number": "05/CV",
                                                  "reply_date": checking.today.isoformat()}, task_id=task.id)
    assert [t.kind for t in checking.case.tasks if t.is_open] == ["step"]  # the follow-up of version 2's state
    checking.act(checking.secretary(), "complete_verification", {"opinions_summary": "Tốt."})
    assert checking.case.state == "cell_review"
    for walker in (admitted, checking):
        assert replay(walker.case.events) == snapshot(walker.case)
    assert summaries.check(session.connection()) == []
    session.rollback()


def test_a_step_on_the_old_version_is_refused_as_stale_after_the_move(session, migrating, org, admin):
    from casework.engine import Conflict
    from casework.engine.service import apply

    walker = Walker(session, migrating, org)
    case = walker.to("dossier")
    seen = case.version
    migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    with pytest.raises(Conflict):
        apply(session=session, engine=migrating, case=case, trigger="request_verification",
              user=org.users["cell_secretary"], data={}, expected_version=seen)


# --- Selecting, scope, failures -------------------------------------------------------------------------------


def test_where_selects_by_state_unit_and_case(session, migrating, org, admin):
    walked = _cases(session, migrating, org)
    direct = Walker(session, migrating, org, workplace_unit=org.units["direct_enterprise"].id,
                    referrer="direct_union_officer", referring_org=org.units["direct_union"].id).to("dossier")
    plan = _plan(migrating)

    def chosen(*where):
        return {m.case_id for m in migrate(session=session, engine=migrating, plan=plan,
                                           selection=parse_where(list(where))).cases}

    assert chosen("state=verification") == {walked["verification"].id}
    assert chosen(f"unit={org.units['grassroots'].id}") == {c.id for c in walked.values()}
    assert chosen(f"unit={org.units['commune'].id}", "state=dossier") == {walked["dossier"].id, walked["course"].id,
                                                                            direct.id}
    assert chosen(f"case={direct.id}") == {direct.id}
    with pytest.raises(Invalid) as info:
        chosen("state=background_check")  # a state of version 2, not of version 1
    assert info.value.reasons[0].code == "bad_where"
    with pytest.raises(Invalid):
        chosen("unit=999999")


def test_only_administrators_move_cases_and_only_in_their_subtree(session, migrating, org, admin):
    case = Walker(session, migrating, org).to("dossier")
    plan = _plan(migrating)
    with pytest.raises(PermissionDenied) as info:
        migrate(session=session, engine=migrating, plan=plan, user=org.users["cell_secretary"], dry_run=False)
    assert info.value.reasons[0].code == "admin_only"
    assert_readable(info.value.reasons)
    with pytest.raises(PermissionDenied):
        migrate(session=session, engine=migrating, plan=plan, dry_run=False)  # nobody named
    elsewhere = UserFactory(username="other_admin")
    RoleFactory(user=elsewhere, unit=org.units["other_commune"], role="admin")
    session.commit()
    report = migrate(session=session, engine=migrating, plan=plan, user=elsewhere, dry_run=False)
    assert report.cases == []
    session.expire_all()
    assert session.get(Case, case.id).workflow_version == 1


def test_one_case_failing_does_not_stop_the_others(session, migrating, org, admin, monkeypatch):
    first = Walker(session, migrating, org).to("dossier")
    second = Walker(session, migrating, org).to("dossier")
    real = mig._write

    def failing(session_, engine_, plan_, case, *args):
        if case.id == first.id:
            session_.add(Event(case=case, seq=1, trigger="duplicate", from_state="x", to_state="x"))
            raise RuntimeError("disk on fire")
        return real(session_, engine_, plan_, case, *args)

    monkeypatch.setattr(mig, "_write", failing)
    report = migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    moves = _by_case(report)
    assert moves[first.id].outcome == "failed" and moves[first.id].reasons[0].code == "migration_failed"
    assert moves[second.id].outcome == "moved"
    session.expire_all()
    assert session.get(Case, first.id).workflow_version == 1
    assert session.get(Case, second.id).workflow_version == 2
    assert report.summary()["failed"] == 1 and report.summary()["reasons"] == {"migration_failed": 1}


def test_a_closed_case_named_by_id_is_skipped(session, migrating, org, admin):
    walker = Walker(session, migrating, org)
    walker.act(walker.secretary(), "decline_referral", {"reason": "Chưa đủ điều kiện."})
    report = migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False,
                     selection=parse_where([f"case={walker.case.id}"]))
    assert [(m.outcome, m.reasons[0].code) for m in report.cases] == [("skipped", "case_closed")]
    session.expire_all()
    assert session.get(Case, walker.case.id).workflow_version == 1


# --- Beside live traffic (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.parametrize("first", ["step", "migration"])
def test_a_step_racing_the_migration_loses_neither(session, db_engine, migrating, org, admin, monkeypatch, first):
    """A person accepts a referral while an administrator moves the case. Whoever takes the row lock first
    holds it a while; the other waits. Step first: the migration then moves the case from where the step left
    it. Migration first: the step finds a newer version and is refused as stale, writing nothing. Either way
    the history replays to the case, and the tallies agree with it."""
    import threading
    import time

    from sqlalchemy.orm import Session

    from casework.engine import Conflict, hooks
    from casework.engine.service import apply
    from casework.models import User
    from tests.conftest import IS_POSTGRES

    if not IS_POSTGRES:
        pytest.skip("real concurrent transactions and row locks need PostgreSQL")
    case_id = Walker(session, migrating, org).case.id
    plan = _plan(migrating)
    secretary_id, helper, admin_id = org.users["cell_secretary"].id, org.members["cell"][0].id, admin.id
    hold = 0.4

    def slow_step(_session, step):
        if step.event.trigger == "accept_referral" and first == "step":
            time.sleep(hold)  # inside the step's transaction: the row lock is held

    real_plan_case = mig.plan_case

    def slow_plan(plan_, case):
        if first == "migration":
            time.sleep(hold)  # under the migration's row lock
        return real_plan_case(plan_, case)

    hooks.on_step_taken("test_slow_step")(slow_step)
    monkeypatch.setattr(mig, "plan_case", slow_plan)
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def run(name, work):
        with Session(db_engine, expire_on_commit=False) as own:
            try:
                results[name] = work(own)
            except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
                results[name] = exc

    def step(own):
        case, user = own.get(Case, case_id), own.get(User, secretary_id)
        _ = case.tasks, case.candidate
        seen = case.version
        own.commit()
        barrier.wait()
        if first == "migration":
            time.sleep(hold / 4)
        return apply(session=own, engine=migrating, case=case, trigger="accept_referral", user=user,
                     data={"helper_ids": [helper], "resolution_date": "2026-11-16"}, expected_version=seen)

    def move(own):
        user = own.get(User, admin_id)
        own.commit()
        barrier.wait()
        if first == "step":
            time.sleep(hold / 4)
        return migrate(session=own, engine=migrating, plan=plan, user=user, dry_run=False)

    try:
        threads = [threading.Thread(target=run, args=("step", step)),
                   threading.Thread(target=run, args=("migration", move))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        hooks.remove_listener("test_slow_step")
    assert set(results) == {"step", "migration"}, "a runner hung"
    report = results["migration"]
    assert isinstance(report, mig.MigrationReport), repr(report)
    assert [m.outcome for m in report.cases] == ["moved"]
    session.expire_all()
    stored = session.get(Case, case_id)
    triggers = [e.trigger for e in stored.events]
    if first == "step":
        assert isinstance(results["step"], Case), repr(results["step"])
        assert triggers == ["refer", "accept_referral", MIGRATE_TRIGGER]
        assert report.cases[0].from_state == "sympathiser" and stored.state == "sympathiser"
    else:
        assert isinstance(results["step"], Conflict), repr(results["step"])
        assert triggers == ["refer", MIGRATE_TRIGGER] and stored.state == "referred"
    assert stored.workflow_version == 2
    assert replay(stored.events) == snapshot(stored)
    assert summaries.check(session.connection()) == []
    session.rollback()


def test_no_definition_may_name_a_step_migrate(tmp_path):
    from casework.engine.definition import load_workflows
    from tests.engine.versions import original, transition, write

    raw = original()
    transition(raw, "withdraw")["trigger"] = MIGRATE_TRIGGER
    write(tmp_path / "admission", "v1.yaml", raw)
    with pytest.raises(DefinitionError) as info:
        load_workflows(tmp_path)
    assert info.value.element == "transition migrate" and "engine's own trigger" in info.value.problem


def test_a_key_date_renamed_moves_in_the_dates_and_replays(session, migrating, root, org, admin):
    case = Walker(session, migrating, org).to("probation")
    ceremony = case.date("ceremony_date")
    plan = _plan(migrating, root, {**PLAN, "fields": {"ceremony_date": "decision_received_date"}})
    report = migrate(session=session, engine=migrating, plan=plan, user=admin, dry_run=False)
    move = _by_case(report)[case.id]
    assert (move.outcome, move.renamed, move.defaulted) == ("moved", {"ceremony_date": "decision_received_date"}, {})
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.date("decision_received_date") == ceremony and case.date("ceremony_date") is None
    assert replay(case.events) == snapshot(case)


def test_the_event_exports_carry_the_move_as_an_activity(session, migrating, org, admin):
    """Process-mining exports read every event generically: the move is one more activity, named migrate."""
    from casework.monitoring import exports
    from casework.monitoring.scope import Scope

    case = Walker(session, migrating, org).to("verification")
    migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    scope = Scope.of(session, org.units["province"].id)
    csv_text = "".join(exports.events_csv(session, scope=scope))
    moves = [line for line in csv_text.splitlines() if line.startswith(f"{case.id},") and ",migrate," in line]
    assert len(moves) == 1 and ",verification,background_check,admin," in moves[0]
    xes = "".join(exports.events_xes(session, scope=scope))
    assert '<string key="concept:name" value="migrate"/>' in xes
    session.rollback()


def test_a_run_interrupted_halfway_is_continued_by_the_next(session, migrating, org, admin, monkeypatch):
    """The process dies while moving the second of three cases: the first stays moved (its own transaction
    committed), the second is as it was, and running again moves the second and third and nothing twice."""
    ids = [Walker(session, migrating, org).to("dossier").id for _ in range(3)]
    real = mig._write

    def dies(session_, engine_, plan_, case, *args):
        if case.id == ids[1]:
            raise KeyboardInterrupt  # not an Exception: the run stops here, as when the process is killed
        return real(session_, engine_, plan_, case, *args)

    monkeypatch.setattr(mig, "_write", dies)
    with pytest.raises(KeyboardInterrupt):
        migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    session.rollback()  # what the database does with a dead connection's transaction
    assert [session.get(Case, i).workflow_version for i in ids] == [2, 1, 1]
    monkeypatch.setattr(mig, "_write", real)
    report = migrate(session=session, engine=migrating, plan=_plan(migrating), user=admin, dry_run=False)
    assert [(m.case_id, m.outcome) for m in report.cases] == [(ids[1], "moved"), (ids[2], "moved")]
    session.expire_all()
    for case_id in ids:
        case = session.get(Case, case_id)
        assert case.workflow_version == 2 and [e.trigger for e in case.events].count(MIGRATE_TRIGGER) == 1
        assert replay(case.events) == snapshot(case)


@pytest.mark.postgres_only
def test_two_runs_at_once_move_each_case_once(session, db_engine, migrating, org, admin):
    """Two administrators start the same migration at the same moment: each case is moved by whichever run
    locks it first; the other run finds it already migrated. Nothing is moved twice."""
    import threading

    from sqlalchemy.orm import Session

    from casework.models import User
    from tests.conftest import IS_POSTGRES

    if not IS_POSTGRES:
        pytest.skip("real concurrent transactions and row locks need PostgreSQL")
    ids = [Walker(session, migrating, org).to(state).id for state in ("referred", "dossier", "verification",
                                                                      "cell_review")]
    plan = _plan(migrating)
    barrier, results, lock = threading.Barrier(2), [], threading.Lock()

    def run():
        with Session(db_engine, expire_on_commit=False) as own:
            user = own.get(User, admin.id)
            own.commit()
            barrier.wait()
            try:
                outcome = migrate(session=own, engine=migrating, plan=plan, user=user, dry_run=False)
            except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
                outcome = exc
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and all(isinstance(r, mig.MigrationReport) for r in results), results
    outcomes: dict[int, list[str]] = {}
    for report in results:
        for move in report.cases:
            outcomes.setdefault(move.case_id, []).append(move.outcome)
    for case_id in ids:
        assert sorted(outcomes.get(case_id, [])) in (["moved"], ["already_migrated", "moved"]), outcomes
    session.expire_all()
    for case_id in ids:
        case = session.get(Case, case_id)
        assert [e.trigger for e in case.events].count(MIGRATE_TRIGGER) == 1
        assert replay(case.events) == snapshot(case)
    session.rollback()
