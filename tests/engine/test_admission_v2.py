"""Version 2 of admission (the 2025 texts: Quy định 294-QĐ/TW, Hướng dẫn 06-HD/TW), at each new rule's boundary.

The project's own definitions, with the clock past v2's effective date (2027-01-01) so new cases start on v2.
Dates in order: a step's date "may not precede" the step before it, so the same day is allowed everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.engine import Invalid
from casework.engine.calendar import add_months, add_working_days
from casework.engine.migration import find_plan, migrate
from casework.engine.projection import replay, snapshot
from casework.models import TaskStatus
from tests.factories import RoleFactory, UserFactory
from tests.walk import Walker

V2_DAY = date(2027, 1, 4)  # a Monday, v2 in effect


@pytest.fixture
def v2(engine, clock):
    clock.set_day(V2_DAY)
    return engine


def refused(walker: Walker, username: str, trigger: str, data: dict, task_id=None) -> set[str]:
    with pytest.raises(Invalid) as caught:
        walker.act(username, trigger, data, task_id=task_id)
    walker.session.rollback()
    return {r.code for r in caught.value.reasons}


def born_months_before(day: date, months: int, plus_days: int = 0) -> str:
    """A birth date that makes the candidate ``months`` months old on ``day``, ``plus_days`` more days older."""
    return (add_months(day, -months) - timedelta(days=plus_days)).isoformat()


def test_new_cases_start_on_v2_from_its_effective_date(session, engine, org, clock):
    clock.set_day(date(2026, 12, 31))
    assert Walker(session, engine, org).case.workflow_version == 1
    clock.set_day(date(2027, 1, 1))
    assert Walker(session, engine, org).case.workflow_version == 2


# --- Age in months at the cell's consideration ----------------------------------------------------------------


def test_720_months_and_a_day_is_refused_without_consent_and_allowed_with_it(session, v2, org):
    w = Walker(session, v2, org, birth_date=born_months_before(V2_DAY, 720, plus_days=1))
    w.to("verification")
    warned = w.case.events[-1]  # request_verification only warns
    assert [f["code"] for f in warned.flags] == ["too_old_months"]
    w.to("cell_review")
    assert "too_old_months" in refused(w, w.secretary(), "record_cell_vote", w.vote())
    w.act(w.secretary(), "record_cell_vote", w.vote(exception_approval="15-CV/TU",
                                                    exception_approval_date=V2_DAY.isoformat()))
    assert w.case.state == "grassroots_review"


def test_exactly_720_months_needs_no_consent(session, v2, org):
    w = Walker(session, v2, org, birth_date=born_months_before(V2_DAY, 720))
    w.to("verification")
    assert w.case.events[-1].flags == []
    w.to("grassroots_review")


def test_216_months_less_a_day_is_refused_at_the_cell_vote(session, v2, org):
    w = Walker(session, v2, org, birth_date=(add_months(V2_DAY, -216) + timedelta(days=1)).isoformat())
    w.to("cell_review")
    assert "too_young_months" in refused(w, w.secretary(), "record_cell_vote", w.vote())
    w2 = Walker(session, v2, org, birth_date=born_months_before(V2_DAY, 216))
    w2.to("grassroots_review")


def test_the_consent_may_not_be_dated_after_the_decision(session, v2, org, clock):
    w = Walker(session, v2, org, birth_date=born_months_before(V2_DAY, 721))
    w.to("cell_review")
    later = V2_DAY + timedelta(days=3)
    clock.set_day(later)
    w.act(w.secretary(), "record_cell_vote", w.vote(meeting_date=V2_DAY.isoformat(), exception_approval="15-CV/TU",
                                                    exception_approval_date=later.isoformat()))
    w.to("authority_review")
    task = next(t for t in w.case.tasks if t.kind == "appraise" and t.status == TaskStatus.OPEN)
    w.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "admit"}, task_id=task.id)
    decision = {"decision_number": "120-QĐ/ĐU", "decision_date": (later - timedelta(days=1)).isoformat()}
    assert "exception_approval_after_decision" in refused(w, "authority", "decide_admission", decision)
    w.act("authority", "decide_admission", {**decision, "decision_date": later.isoformat()})


# --- Ceremony: 30 working days from receiving the decision ----------------------------------------------------


def _admitted(session, engine, org) -> Walker:
    w = Walker(session, engine, org)
    w.to("admitted")
    return w


@pytest.mark.parametrize(("working_days", "approval", "flagged"), [(30, None, False), (31, None, True),
                                                                   (31, "07-CV/ĐU", False)])
def test_the_ceremony_deadline_runs_from_receipt(session, v2, org, clock, working_days, approval, flagged):
    w = _admitted(session, v2, org)
    received = V2_DAY + timedelta(days=7)
    ceremony = add_working_days(received, working_days)
    clock.set_day(ceremony)
    data = {"ceremony_date": ceremony.isoformat(), "decision_received_date": received.isoformat(),
            "helper_ids": [w.cell_members()[0].id]}
    if approval:
        data["late_ceremony_approval"] = approval
    w.act(w.secretary(), "hold_ceremony", data)
    assert [f["code"] for f in w.case.events[-1].flags] == (["past_deadline"] if flagged else [])
    assert w.case.date("decision_received_date") == received


def test_the_receipt_defaults_to_the_decision_date_and_party_age_counts_from_it(session, v2, org, clock):
    w = _admitted(session, v2, org)
    assert w.case.date("party_age_from") == w.case.date("decision_date") == V2_DAY
    late = add_working_days(V2_DAY, 31)
    clock.set_day(late)
    w.act(w.secretary(), "hold_ceremony", {"ceremony_date": late.isoformat(), "helper_ids": [w.cell_members()[0].id]})
    assert w.case.date("decision_received_date") == V2_DAY
    assert [f["code"] for f in w.case.events[-1].flags] == ["past_deadline"]


def test_the_member_file_task_is_due_30_working_days_after_the_ceremony(session, v2, org):
    w = Walker(session, v2, org)
    w.to("probation")
    task = next(t for t in w.case.tasks if t.kind == "record_member_file")
    assert task.status == TaskStatus.OPEN and task.due_date == add_working_days(V2_DAY, 30)
    w.act(w.secretary(), "record_member_file", {"member_file_number": "LL-12", "member_file_date": V2_DAY.isoformat()},
          task_id=task.id)
    assert w.case.facts["member_file_number"] == "LL-12"


# --- Relatives ------------------------------------------------------------------------------------------------


def test_a_relative_who_is_a_declared_member_gets_no_task_and_a_workplace_does(session, v2, org):
    w = Walker(session, v2, org)
    w.to("dossier")
    relatives = [{"full_name": "Trần Văn Bố", "relation": "father", "party_member": True, "fully_declared": True},
                 {"full_name": "Lê Thị Mẹ", "relation": "mother", "residence_unit": org.far_area.id,
                  "workplace_unit": org.units["other_enterprise"].id}]
    w.request_verification(relatives=relatives)
    tasks = [t for t in w.case.tasks if t.kind == "confirm_background"]
    people = [p["full_name"] for t in tasks for p in t.subject["people"]]
    assert "Trần Văn Bố" not in people and people.count("Lê Thị Mẹ") == 2
    assert {t.unit_id for t in tasks} >= {org.units["far_cell"].id, org.units["other_cell"].id}
    assert w.case.facts["relatives"][0]["exempt"] is True


def test_a_relation_outside_the_list_is_refused(session, v2, org):
    w = Walker(session, v2, org)
    w.to("dossier")
    w.attach_dossier()
    data = w.verification_data(relatives=[{"full_name": "Trần Văn Chú", "relation": "uncle",
                                           "residence_unit": org.far_area.id}])
    assert "relation_not_listed" in refused(w, w.secretary(), "request_verification", data)


# --- Introducers ----------------------------------------------------------------------------------------------


def test_a_youth_union_member_is_introduced_by_the_youth_union_and_one_member(session, v2, org):
    w = Walker(session, v2, org)
    w.to("dossier")
    w.attach_dossier()
    assert "youth_union_resolution_needed" in refused(w, w.secretary(), "request_verification",
                                                      w.verification_data(youth_union_member=True))
    data = w.verification_data(youth_union_member=True, youth_union_resolution_number="03-NQ/ĐTN")
    data["introducers"] = data["introducers"][:1]
    w.act(w.secretary(), "request_verification", data)
    assert w.case.state == "verification"


# --- Re-admission ---------------------------------------------------------------------------------------------


def _readmission(**overrides) -> dict:
    data = {"readmission": True, "left_party_on": add_months(V2_DAY, -36).isoformat(), "left_party_reason": "removed",
            "readmission_consent_number": "22-CV/TU", "readmission_consent_date": V2_DAY.isoformat(),
            "referral_date": V2_DAY.isoformat()}
    data.update(overrides)
    return data


def _refer_refused(session, engine, org, **overrides) -> set[str]:
    with pytest.raises(Invalid) as caught:
        Walker(session, engine, org, **_readmission(**overrides))
    session.rollback()
    return {r.code for r in caught.value.reasons}


def test_readmission_at_36_months_less_a_day_is_refused_and_at_36_allowed_with_consent(session, v2, org):
    too_soon = (add_months(V2_DAY, -36) + timedelta(days=1)).isoformat()
    assert "readmission_too_soon" in _refer_refused(session, v2, org, left_party_on=too_soon)
    assert "readmission_consent_missing" in _refer_refused(session, v2, org, readmission_consent_number="")
    w = Walker(session, v2, org, **_readmission())
    assert w.case.state == "referred" and w.case.facts["readmission"] is True


def test_readmission_after_a_conviction_counts_60_months_from_its_clearing(session, v2, org):
    cleared = add_months(V2_DAY, -60)
    assert "readmission_too_soon" in _refer_refused(session, v2, org, left_party_reason="convicted",
                                                    conviction_cleared_on=(cleared + timedelta(days=1)).isoformat())
    Walker(session, v2, org, **_readmission(left_party_reason="convicted", conviction_cleared_on=cleared.isoformat()))


def test_who_left_voluntarily_or_was_readmitted_before_is_refused(session, v2, org):
    assert _refer_refused(session, v2, org, left_party_reason="resigned") == {"readmission_never"}
    assert "readmission_only_once" in _refer_refused(session, v2, org, readmitted_before=True)


# --- The cell vote --------------------------------------------------------------------------------------------


def test_official_members_default_to_the_register(session, v2, org):
    w = Walker(session, v2, org)
    w.to("cell_review")
    vote = w.vote()
    del vote["official_members"]
    w.act(w.secretary(), "record_cell_vote", vote)
    assert w.case.facts["official_members"] == 5  # five official members in the register, one probationary


def test_a_different_count_needs_a_note(session, v2, org):
    w = Walker(session, v2, org)
    w.to("cell_review")
    assert "official_count_differs" in refused(w, w.secretary(), "record_cell_vote", w.vote(official_members=6))
    w.act(w.secretary(), "record_cell_vote", w.vote(official_members=6, count_note="Một đồng chí mới chuyển đến."))
    assert w.case.state == "grassroots_review"


@pytest.mark.parametrize(("overrides", "code"), [({"present": 6}, "present_exceeds_members"),
                                                 ({"excluded_members": 1, "present": 5}, "present_exceeds_counted")])
def test_present_may_not_exceed_the_members_counted(session, v2, org, overrides, code):
    w = Walker(session, v2, org)
    w.to("cell_review")
    assert code in refused(w, w.secretary(), "record_cell_vote", w.vote(votes_for=4, **overrides))


# --- Dates in order (the same day is allowed) -----------------------------------------------------------------


def test_each_step_may_not_precede_the_one_before(session, v2, org, clock):
    w = Walker(session, v2, org)
    w.to("verification")
    day = V2_DAY
    for task in [t for t in w.case.tasks if t.kind == "confirm_background" and t.status == TaskStatus.OPEN]:
        user = next(name for name, u in org.users.items() if u.holds(task.role, task.unit_id))
        w.act(user, "confirm_background", {"outcome": "clear", "reply_number": "05/CV", "reply_date": day.isoformat()},
              task_id=task.id)
    clock.set_day(day + timedelta(days=20))

    def later(n: int) -> str:
        return (day + timedelta(days=n)).isoformat()

    w.act(w.secretary(), "complete_verification", {"opinions_summary": "Tốt.", "completion_date": later(2)})
    assert w.case.date("verification_completed_on") == day + timedelta(days=2)
    assert refused(w, w.secretary(), "record_cell_vote", w.vote(meeting_date=later(1))) == {"date_out_of_order"}
    w.act(w.secretary(), "record_cell_vote", w.vote(meeting_date=later(2)))
    grassroots = {"committee_members": 9, "votes_for": 9, "resolution_number": "45-NQ/ĐU"}
    assert refused(w, "grassroots_committee", "record_grassroots_resolution",
                   {**grassroots, "resolution_date": later(1)}) == {"date_out_of_order"}
    w.act("grassroots_committee", "record_grassroots_resolution", {**grassroots, "resolution_date": later(4)})
    task = next(t for t in w.case.tasks if t.kind == "appraise" and t.status == TaskStatus.OPEN)
    w.act("organizer", "appraise", {"appraisal": "Đủ.", "recommendation": "admit"}, task_id=task.id)
    decision = {"decision_number": "120-QĐ/ĐU"}
    with pytest.raises(Invalid) as caught:
        w.act("authority", "decide_admission", {**decision, "decision_date": later(3)})
    session.rollback()
    reason = caught.value.reasons[0]
    assert reason.code == "date_out_of_order" and later(3) in reason.en and later(4) in reason.en
    w.act("authority", "decide_admission", {**decision, "decision_date": later(4)})
    helpers = [w.cell_members()[0].id]
    assert refused(w, w.secretary(), "hold_ceremony", {"ceremony_date": later(3), "helper_ids": helpers}) \
        == {"date_out_of_order"}
    assert refused(w, w.secretary(), "hold_ceremony", {"ceremony_date": later(5), "decision_received_date": later(6),
                                                       "helper_ids": helpers}) == {"date_out_of_order"}
    assert refused(w, w.secretary(), "hold_ceremony", {"ceremony_date": later(5), "decision_received_date": later(3),
                                                       "helper_ids": helpers}) == {"date_out_of_order"}
    w.act(w.secretary(), "hold_ceremony", {"ceremony_date": later(4), "helper_ids": helpers})
    w.to("recognition_review", "cell_vote")
    ends = w.case.date("probation_ends")
    clock.set_day(ends + timedelta(days=3))
    before = (ends - timedelta(days=1)).isoformat()
    assert refused(w, w.secretary(), "record_recognition_vote", w.vote(meeting_date=before)) == {"date_out_of_order"}
    w.act(w.secretary(), "record_recognition_vote", w.vote(meeting_date=ends.isoformat()))
    recognition = {"committee_members": 9, "votes_for": 8, "resolution_number": "77-NQ/ĐU"}
    assert refused(w, "grassroots_committee", "record_recognition_vote",
                   {**recognition, "resolution_date": before}) == {"date_out_of_order"}
    w.act("grassroots_committee", "record_recognition_vote", {**recognition, "resolution_date": ends.isoformat()})
    assert refused(w, "authority", "decide_recognition", {"decision_number": "300-QĐ/ĐU", "decision_date": before}) \
        == {"date_out_of_order"}
    w.act("authority", "decide_recognition", {"decision_number": "300-QĐ/ĐU", "decision_date": ends.isoformat()})
    assert w.case.state == "official_member"


# --- A v1 case moved to v2 ------------------------------------------------------------------------------------


def test_a_v1_case_moved_to_v2_continues_to_official_member(session, engine, org, clock):
    w = Walker(session, engine, org)  # the clock's start day: v1
    w.to("admitted")
    assert w.case.workflow_version == 1
    decided = w.case.date("decision_date")
    admin = UserFactory(username="admin")
    RoleFactory(user=admin, unit=org.units["province"], role="admin")
    session.commit()
    clock.set_day(V2_DAY)
    plan = find_plan(engine, "admission", 1, 2)
    dry = migrate(session=session, engine=engine, plan=plan, user=admin, dry_run=True)
    assert dry.summary()["would_move"] == 1
    report = migrate(session=session, engine=engine, plan=plan, user=admin, dry_run=False)
    assert report.summary()["moved"] == 1
    session.expire_all()
    w.case = session.get(type(w.case), w.case.id)
    assert (w.case.workflow_version, w.case.state) == (2, "admitted")
    assert w.case.date("decision_received_date") == w.case.date("party_age_from") == decided
    assert replay(w.case.events) == snapshot(w.case)
    w.to("official_member")
    assert w.case.workflow_version == 2 and w.case.date("official_since") == w.case.date("probation_ends")


def test_after_three_failed_recognition_votes_the_case_records_who_must_decide(session, v2, org):
    w = Walker(session, v2, org)
    w.to("recognition_review", "cell_vote")
    for _ in range(3):
        assert "must_decide" not in w.case.facts
        w.act(w.secretary(), "record_recognition_vote", w.vote(votes_for=1, votes_against=4))
    assert w.case.stage == "authority_decision"
    assert w.case.facts["must_decide"] == {"role": "authority", "unit_id": org.units["commune"].id, "failed_votes": 3}
