"""Every guard of the admission procedure at its boundary, through the real service functions.

The clock starts on Monday 2026-11-16 (tests/conftest.py); dates below are chosen around it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.engine import Invalid
from casework.engine.calendar import add_working_days
from casework.engine.service import available_actions, start_case
from casework.models import Case, MemberStatus, TaskStatus
from tests.engine.support import assert_readable, assert_refused, codes_of, stored
from tests.walk import Walker, referral
from workflows.admission.models import Candidate

TODAY = date(2026, 11, 16)


def at(session, engine, org, state: str, stage: str | None = None, **referral_overrides) -> Walker:
    walker = Walker(session, engine, org, **referral_overrides)
    walker.to(state, stage)
    return walker


def refused(walker: Walker, username: str, trigger: str, data: dict, code: str, task_id=None):
    return assert_refused(walker.session, walker.case.id,
                          lambda: walker.act(username, trigger, data, task_id=task_id), code)


def action(walker: Walker, username: str, trigger: str):
    actions = available_actions(session=walker.session, engine=walker.engine, case=walker.case,
                                user=walker.org.users[username])
    return next(a for a in actions if a.trigger == trigger)


# --- Cell vote: ⌈2/3 × (official − excluded)⌉ ------------------------------------------------------

VOTE_BOUNDARIES = [
    # official, excluded, present, needed
    (6, 0, 6, 4),
    (5, 0, 5, 4),
    (7, 1, 6, 4),
    (9, 2, 7, 5),
    (3, 0, 3, 2),
]


@pytest.mark.parametrize(("official", "excluded", "present", "needed"), VOTE_BOUNDARIES)
def test_cell_vote_passes_at_exactly_two_thirds(session, engine, org, official, excluded, present, needed):
    w = at(session, engine, org, "cell_review")
    vote = w.vote(official_members=official, excluded_members=excluded, present=present, votes_for=needed,
                  votes_against=present - needed)
    refused(w, "cell_secretary", "record_cell_rejection", vote, "vote_reached_threshold")
    w.act("cell_secretary", "record_cell_vote", vote)
    assert w.case.state == "grassroots_review"
    assert w.case.date("cell_vote_date") == TODAY


@pytest.mark.parametrize(("official", "excluded", "present", "needed"), VOTE_BOUNDARIES)
def test_cell_vote_one_below_two_thirds_is_a_rejection(session, engine, org, official, excluded, present, needed):
    w = at(session, engine, org, "cell_review")
    vote = w.vote(official_members=official, excluded_members=excluded, present=present, votes_for=needed - 1,
                  votes_against=present - needed + 1)
    error = refused(w, "cell_secretary", "record_cell_vote", vote, "vote_below_threshold")
    assert error.reasons[0].params["needed"] == needed
    w.act("cell_secretary", "record_cell_rejection", vote)
    assert w.case.state == "rejected" and w.case.closed_on == TODAY


def test_inconsistent_vote_counts_are_refused(session, engine, org):
    w = at(session, engine, org, "cell_review")
    refused(w, "cell_secretary", "record_cell_vote", w.vote(excluded_members=6), "excluded_exceeds_members")
    refused(w, "cell_secretary", "record_cell_vote", w.vote(present=6), "present_exceeds_members")
    refused(w, "cell_secretary", "record_cell_vote", w.vote(present=4, votes_for=4, votes_against=1),
            "votes_exceed_present")


def test_a_cell_needs_three_official_members_to_vote(session, engine, org):
    w = at(session, engine, org, "cell_review")
    small = w.vote(official_members=2, present=2, votes_for=2)
    refused(w, "cell_secretary", "record_cell_vote", small, "cell_too_small")
    refused(w, "cell_secretary", "record_recognition_vote", small, "not_available_in_state")
    w.act("cell_secretary", "record_cell_vote", w.vote(official_members=3, present=3, votes_for=2, votes_against=1))
    assert w.case.state == "grassroots_review"


def test_the_member_register_explains_a_too_small_cell_before_the_vote(session, engine, org):
    w = at(session, engine, org, "cell_review")
    assert action(w, "cell_secretary", "record_cell_vote").allowed
    for member in org.members["cell"][2:5]:  # three of the five official members leave the cell
        member.status = MemberStatus.PROBATIONARY
    session.commit()
    preview = action(w, "cell_secretary", "record_cell_vote")
    assert not preview.allowed and codes_of(preview) == ["cell_too_small"]
    assert preview.reasons[0].params == {"count": 2, "minimum": 3}
    assert_readable(preview.reasons)


# --- Grassroots resolution: ⌈2/3 × committee members⌉ ---------------------------------------------


@pytest.mark.parametrize(("members", "needed"), [(9, 6), (7, 5), (3, 2)])
def test_grassroots_resolution_needs_two_thirds_of_the_committee(session, engine, org, members, needed):
    w = at(session, engine, org, "grassroots_review")
    resolution = {"committee_members": members, "votes_for": needed - 1, "resolution_number": "45-NQ/ĐU",
                  "resolution_date": TODAY.isoformat()}
    refused(w, "grassroots_committee", "record_grassroots_resolution", resolution, "committee_vote_below_threshold")
    refused(w, "grassroots_committee", "record_grassroots_resolution",
            {**resolution, "votes_for": members + 1}, "votes_exceed_committee")
    w.act("grassroots_committee", "record_grassroots_resolution", {**resolution, "votes_for": needed})
    assert w.case.state == "authority_review"


# --- Age: 18..60 full years on the step's date --------------------------------------------------------


@pytest.mark.parametrize(("birth_date", "allowed"), [
    ("2008-11-17", False),  # 18th birthday tomorrow
    ("2008-11-16", True),  # 18th birthday today
    ("1965-11-17", True),  # 61st birthday tomorrow: still 60
    ("1965-11-16", False),  # 61st birthday today
])
def test_age_at_request_verification(session, engine, org, birth_date, allowed):
    w = at(session, engine, org, "dossier", birth_date=birth_date)
    w.attach_dossier()
    if allowed:
        w.act("cell_secretary", "request_verification", w.verification_data())
        assert w.case.state == "verification"
    else:
        code = "too_young" if birth_date.startswith("2008") else "too_old"
        refused(w, "cell_secretary", "request_verification", w.verification_data(), code)


def test_over_sixty_only_with_an_exception_approval(session, engine, org):
    w = at(session, engine, org, "dossier", birth_date="1960-01-01")
    w.attach_dossier()
    preview = action(w, "cell_secretary", "request_verification")
    assert "too_old" not in codes_of(preview)  # offered: the approval is one of the step's own fields
    refused(w, "cell_secretary", "request_verification", w.verification_data(), "too_old")
    w.act("cell_secretary", "request_verification", w.verification_data(exception_approval="15-CV/TU"))
    assert w.case.state == "verification"


def test_a_young_candidate_is_accepted_on_the_eighteenth_birthday(session, engine, org, clock):
    w = at(session, engine, org, "dossier", birth_date="2008-11-17")
    w.attach_dossier()
    refused(w, "cell_secretary", "request_verification", w.verification_data(), "too_young")
    clock.set_day(date(2026, 11, 17))
    w.act("cell_secretary", "request_verification", w.verification_data())
    assert w.case.state == "verification"


def test_age_is_checked_again_on_the_cell_meeting_date(session, engine, org, clock):
    w = at(session, engine, org, "cell_review", birth_date="1965-11-20")  # 60 today, 61 on the 20th
    clock.set_day(date(2026, 11, 20))
    refused(w, "cell_secretary", "record_cell_vote", w.vote(meeting_date="2026-11-20"), "too_old")
    w.act("cell_secretary", "record_cell_vote", w.vote(meeting_date="2026-11-19"))
    assert w.case.state == "grassroots_review" and w.case.date("cell_vote_date") == date(2026, 11, 19)


# --- Awareness-course certificate: younger than 60 months ------------------------------------------


def _dossier_with_certificate(session, engine, org, issued: str) -> Walker:
    w = at(session, engine, org, "in_course")
    w.act("cell_secretary", "pass_course", {"certificate_number": "CN-1", "certificate_date": issued})
    w.attach_dossier()
    return w


def test_certificate_on_its_last_valid_day_is_accepted(session, engine, org):
    w = _dossier_with_certificate(session, engine, org, "2021-11-17")  # + 60 months − 1 day = today
    w.act("cell_secretary", "request_verification", w.verification_data())
    assert w.case.state == "verification"


def test_certificate_the_day_after_its_last_valid_day_is_refused(session, engine, org):
    w = _dossier_with_certificate(session, engine, org, "2021-11-16")
    assert "certificate_expired" in codes_of(action(w, "cell_secretary", "request_verification"))
    refused(w, "cell_secretary", "request_verification", w.verification_data(), "certificate_expired")


def test_certificate_is_checked_again_on_the_cell_meeting_date(session, engine, org, clock):
    w = _dossier_with_certificate(session, engine, org, "2021-11-20")  # last valid day 2026-11-19
    w.act("cell_secretary", "request_verification", w.verification_data())
    w.to("cell_review")
    clock.set_day(date(2026, 11, 20))
    refused(w, "cell_secretary", "record_cell_vote", w.vote(meeting_date="2026-11-20"), "certificate_expired")
    w.act("cell_secretary", "record_cell_vote", w.vote(meeting_date="2026-11-19"))
    assert w.case.state == "grassroots_review"


def test_a_certificate_dated_in_the_future_is_refused(session, engine, org):
    w = at(session, engine, org, "in_course")
    refused(w, "cell_secretary", "pass_course", {"certificate_number": "CN-1", "certificate_date": "2026-11-17"},
            "certificate_in_future")


# --- Introducers ---------------------------------------------------------------------------------------


def _introducers(*members, known_since: date = date(2024, 1, 1)) -> dict:
    return {"introducers": [{"member_id": m.id, "known_since": known_since.isoformat()} for m in members]}


def _dossier(session, engine, org, **referral_overrides) -> Walker:
    w = at(session, engine, org, "dossier", **referral_overrides)
    w.attach_dossier()
    return w


def test_two_official_introducers_are_enough(session, engine, org):
    w = _dossier(session, engine, org, source="party_member", referrer="cell_secretary", referring_org=None)
    official = org.members["cell"]
    w.act("cell_secretary", "request_verification", _introducers(official[0], official[1]))
    assert w.case.state == "verification"


@pytest.mark.parametrize("source", ["trade_union", "youth_union"])
def test_one_introducer_with_the_unions_resolution_is_enough(session, engine, org, source):
    officer, union = ("union_officer", org.trade_union) if source == "trade_union" else ("youth_officer",
                                                                                          org.youth_union)
    w = _dossier(session, engine, org, source=source, referrer=officer, referring_org=union.id)
    w.act("cell_secretary", "request_verification", _introducers(org.members["cell"][0]))
    assert w.case.state == "verification"


def test_one_introducer_of_a_member_introduction_is_not_enough(session, engine, org):
    w = _dossier(session, engine, org, source="party_member", referrer="cell_secretary", referring_org=None)
    error = refused(w, "cell_secretary", "request_verification", _introducers(org.members["cell"][0]),
                    "too_few_introducers")
    assert error.reasons[-1].params == {"needed": 2, "given": 1}


def test_a_probationary_introducer_does_not_count(session, engine, org):
    w = _dossier(session, engine, org, source="party_member", referrer="cell_secretary", referring_org=None)
    probationary = org.members["cell"][-1]
    assert probationary.status == "probationary"
    error = refused(w, "cell_secretary", "request_verification",
                    _introducers(org.members["cell"][0], probationary), "introducer_not_official")
    assert "too_few_introducers" in [r.code for r in error.reasons]


def test_introducer_known_exactly_twelve_months_is_accepted(session, engine, org):
    w = _dossier(session, engine, org)
    w.act("cell_secretary", "request_verification", _introducers(org.members["cell"][0],
                                                                 known_since=date(2025, 11, 16)))
    assert w.case.state == "verification"


def test_introducer_known_a_day_less_than_twelve_months_is_refused(session, engine, org):
    w = _dossier(session, engine, org)
    refused(w, "cell_secretary", "request_verification",
            _introducers(org.members["cell"][0], known_since=date(2025, 11, 17)), "introducer_too_recent")


# --- Helpers ---------------------------------------------------------------------------------------------


def test_helpers_must_be_official_members_of_the_owning_cell(session, engine, org):
    w = Walker(session, engine, org)
    accept = {"resolution_date": TODAY.isoformat()}
    refused(w, "cell_secretary", "accept_referral", {**accept, "helper_ids": []}, "no_helper")
    refused(w, "cell_secretary", "accept_referral", {**accept, "helper_ids": [org.members["cell"][-1].id]},
            "helper_not_official_in_cell")
    refused(w, "cell_secretary", "accept_referral", {**accept, "helper_ids": [org.members["direct_cell"][0].id]},
            "helper_not_official_in_cell")
    w.act("cell_secretary", "accept_referral", {**accept, "helper_ids": [org.members["cell"][0].id]})
    assert w.case.state == "sympathiser" and w.case.facts["helper_ids"] == [org.members["cell"][0].id]


def test_helpers_at_the_ceremony_follow_the_same_rule(session, engine, org):
    w = at(session, engine, org, "admitted")
    ceremony = {"ceremony_date": TODAY.isoformat()}
    refused(w, "cell_secretary", "hold_ceremony", {**ceremony, "helper_ids": [org.members["cell"][-1].id]},
            "helper_not_official_in_cell")
    w.act("cell_secretary", "hold_ceremony", {**ceremony, "helper_ids": [org.members["cell"][1].id]})
    assert w.case.state == "probation"


# --- Business owners -----------------------------------------------------------------------------------


@pytest.mark.parametrize("confirmed", [None, False])
def test_a_business_owner_needs_the_conditions_confirmed(session, engine, org, confirmed):
    w = _dossier(session, engine, org, is_business_owner=True)
    assert action(w, "cell_secretary", "request_verification").allowed  # not blocking before submission
    data = w.verification_data()
    if confirmed is not None:
        data["business_owner_conditions"] = confirmed
    refused(w, "cell_secretary", "request_verification", data, "business_owner_conditions")
    w.act("cell_secretary", "request_verification", {**data, "business_owner_conditions": True})
    assert w.case.state == "verification"


# --- One open case per national ID ---------------------------------------------------------------------


def _case_count(session) -> int:
    count = session.scalar(sa.select(sa.func.count()).select_from(Case))
    session.rollback()
    return count


def test_a_second_referral_is_refused_while_the_first_case_is_open(session, engine, org):
    first = Walker(session, engine, org)
    national_id = first.case.candidate.national_id
    with pytest.raises(Invalid) as info:
        start_case(workflow="admission", session=session, engine=engine, user=org.users["union_officer"],
              data=referral(org, national_id=national_id, full_name="Nguyễn Văn Khác"))
    assert [r.code for r in info.value.reasons] == ["open_case_exists"]
    assert_readable(info.value.reasons)
    assert _case_count(session) == 1
    assert session.get(Candidate, first.case.subject_id).full_name == "Nguyễn Thị Hương"


def test_a_new_referral_is_allowed_once_the_first_case_is_closed(session, engine, org):
    first = Walker(session, engine, org)
    national_id = first.case.candidate.national_id
    first.act("cell_secretary", "decline_referral", {"reason": "Chưa đủ thời gian thử thách."})
    assert first.case.subject_key is None
    second = start_case(workflow="admission", session=session, engine=engine, user=org.users["union_officer"],
                   data=referral(org, national_id=national_id))
    assert second.id != first.case.id and second.subject_id == first.case.subject_id
    assert second.subject_key == national_id and _case_count(session) == 2


def test_a_referral_under_a_new_name_retitles_the_persons_cases(session, engine, org):
    first = Walker(session, engine, org)
    national_id = first.case.candidate.national_id
    first.act("cell_secretary", "decline_referral", {"reason": "Chưa đủ thời gian thử thách."})
    second = start_case(workflow="admission", session=session, engine=engine, user=org.users["union_officer"],
                        data=referral(org, national_id=national_id, full_name="Nguyễn Thị Hương Giang"))
    session.expire_all()
    titles = session.scalars(sa.select(Case.title).where(Case.subject_id == second.subject_id)).all()
    assert titles == ["Nguyễn Thị Hương Giang"] * 2


# --- Verification --------------------------------------------------------------------------------------


def _confirm(w: Walker, task, outcome: str = "clear"):
    user = next(name for name, u in w.org.users.items() if u.holds(task.role, task.unit_id))
    return w.act(user, "confirm_background", {"outcome": outcome, "reply_number": "05/CV",
                                              "reply_date": TODAY.isoformat()}, task_id=task.id)


def _open_confirmations(w: Walker):
    return [t for t in w.case.tasks if t.kind == "confirm_background" and t.status == TaskStatus.OPEN]


def test_verification_waits_for_every_reply_and_refuses_concerns(session, engine, org):
    w = at(session, engine, org, "dossier")
    relatives = [{"full_name": "Trần Văn Bố", "relation": "father", "residence_unit": org.far_area.id}]
    w.request_verification(relatives=relatives)
    first, second = _open_confirmations(w)
    summary = {"opinions_summary": "Tốt."}
    refused(w, "cell_secretary", "complete_verification", summary, "verification_pending")
    _confirm(w, first)
    refused(w, "cell_secretary", "complete_verification", summary, "verification_pending")
    _confirm(w, second, "concerns")
    refused(w, "cell_secretary", "complete_verification", summary, "verification_concerns")
    w.act("cell_secretary", "return_to_dossier", {"reason": "Làm rõ lý lịch của bố."})
    assert w.case.state == "dossier"
    w.act("cell_secretary", "request_verification", w.verification_data(relatives=relatives))
    new_round = _open_confirmations(w)
    assert len(new_round) == 2 and not {t.id for t in new_round} & {first.id, second.id}
    refused(w, "cell_secretary", "complete_verification", summary, "verification_pending")
    for task in new_round:
        _confirm(w, task)
    w.act("cell_secretary", "complete_verification", summary)
    assert w.case.state == "cell_review"


def test_only_the_committee_a_task_is_routed_to_may_answer_it(session, engine, org):
    from casework.engine import PermissionDenied

    w = at(session, engine, org, "verification")
    (task,) = _open_confirmations(w)
    assert_refused(session, w.case.id, lambda: w.act("far_committee", "confirm_background",
                                                     {"outcome": "clear", "reply_number": "1",
                                                      "reply_date": TODAY.isoformat()}, task_id=task.id),
                   "wrong_unit", PermissionDenied)


# --- Authority ----------------------------------------------------------------------------------------


def _decision(day: date, **extra) -> dict:
    return {"decision_number": "120-QĐ/ĐU", "decision_date": day.isoformat(), **extra}


def _appraise(w: Walker) -> None:
    task = next(t for t in w.case.tasks if t.kind == "appraise" and t.status == TaskStatus.OPEN)
    w.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "admit"}, task_id=task.id)


def test_the_authority_decides_only_after_the_appraisal(session, engine, org):
    w = at(session, engine, org, "authority_review")
    assert "appraisal_pending" in codes_of(action(w, "authority", "decide_admission"))
    refused(w, "authority", "decide_admission", _decision(TODAY), "appraisal_pending")
    _appraise(w)
    w.act("authority", "decide_admission", _decision(TODAY))
    assert w.case.state == "admitted" and w.case.date("decision_date") == TODAY


@pytest.mark.parametrize(("working_days", "extension", "flagged"), [
    (60, None, False), (61, None, True), (90, "Bổ sung lý lịch.", False), (91, "Bổ sung lý lịch.", True),
])
def test_a_late_admission_decision_is_flagged_not_blocked(session, engine, org, clock, working_days, extension,
                                                          flagged):
    w = at(session, engine, org, "authority_review")
    _appraise(w)
    day = add_working_days(TODAY, working_days)
    clock.set_day(day)
    w.act("authority", "decide_admission", _decision(day, **({"extension_reason": extension} if extension else {})))
    event = w.case.events[-1]
    assert w.case.state == "admitted" and event.to_state == "admitted"
    assert [f["code"] for f in event.flags] == (["past_deadline"] if flagged else [])
    if flagged:
        assert event.flags[0]["params"]["deadline"] == add_working_days(TODAY, working_days - 1).isoformat()


@pytest.mark.parametrize(("working_days", "flagged"), [(30, False), (31, True)])
def test_a_late_ceremony_is_flagged(session, engine, org, clock, working_days, flagged):
    w = at(session, engine, org, "admitted")
    day = add_working_days(TODAY, working_days)
    clock.set_day(day)
    w.act("cell_secretary", "hold_ceremony", {"ceremony_date": day.isoformat(),
                                              "helper_ids": [org.members["cell"][0].id]})
    assert w.case.state == "probation"
    assert bool(w.case.events[-1].flags) is flagged


# --- Probation and recognition --------------------------------------------------------------------------


@pytest.mark.parametrize(("ceremony", "ends"), [
    (date(2028, 2, 29), date(2029, 2, 28)),  # no 29 February: the last day of the month (Civil Code art. 148)
    (date(2026, 12, 31), date(2027, 12, 31)),
    (TODAY, date(2027, 11, 16)),
])
def test_probation_ends_twelve_months_after_the_ceremony(session, engine, org, clock, ceremony, ends):
    w = at(session, engine, org, "admitted")
    clock.set_day(max(ceremony, TODAY))
    w.act("cell_secretary", "hold_ceremony", {"ceremony_date": ceremony.isoformat(),
                                              "helper_ids": [org.members["cell"][0].id]})
    assert w.case.date("probation_ends") == ends
    due = {t.kind: t.due_date for t in w.case.tasks if t.status == TaskStatus.OPEN}
    assert due == {"record_new_member_course": ends, "step": ends}


def test_recognition_starts_on_the_day_probation_ends_with_the_course_done(session, engine, org, clock):
    w = at(session, engine, org, "probation")
    ends = w.case.date("probation_ends")
    clock.set_day(ends - timedelta(days=1))
    review = {"self_review": "Tự kiểm điểm."}
    error = refused(w, "cell_secretary", "start_recognition", review, "probation_not_ended")
    assert "new_member_course_missing" in [r.code for r in error.reasons]
    (course,) = [t for t in w.case.tasks if t.kind == "record_new_member_course"]
    w.act("cell_secretary", "record_new_member_course", {"certificate_number": "DVM-9",
                                                         "certificate_date": TODAY.isoformat()}, task_id=course.id)
    assert w.case.state == "probation"
    refused(w, "cell_secretary", "start_recognition", review, "probation_not_ended")
    clock.set_day(ends)
    w.act("cell_secretary", "start_recognition", review)
    assert (w.case.state, w.case.stage) == ("recognition_review", "cell_vote")


def test_recognition_needs_the_new_member_course(session, engine, org, clock):
    w = at(session, engine, org, "probation")
    clock.set_day(w.case.date("probation_ends"))
    preview = action(w, "cell_secretary", "start_recognition")
    assert codes_of(preview) == ["new_member_course_missing"]
    refused(w, "cell_secretary", "start_recognition", {}, "new_member_course_missing")


def test_three_failed_recognition_votes_send_the_case_to_the_authority(session, engine, org):
    w = at(session, engine, org, "recognition_review", "cell_vote")
    failing = w.vote(votes_for=3, votes_against=2)
    for attempt in (1, 2):
        w.act("cell_secretary", "record_recognition_vote", failing)
        assert w.case.stage == "cell_vote" and w.case.facts["recognition_failed_votes"] == attempt
    refused(w, "authority", "decide_removal", {"decision_number": "5-QĐ", "reason": "Không đạt."},
            "removal_not_proposed")
    w.act("cell_secretary", "record_recognition_vote", failing)
    assert w.case.stage == "authority_decision"
    refused(w, "authority", "decide_recognition", _decision(w.today), "recognition_votes_failed")
    w.act("authority", "decide_removal", {"decision_number": "5-QĐ", "reason": "Không đạt."})
    assert w.case.state == "removed" and not [t for t in w.case.tasks if t.status == TaskStatus.OPEN]


def test_membership_counts_from_the_end_of_probation(session, engine, org, clock):
    w = at(session, engine, org, "recognition_review", "authority_decision")
    ends = w.case.date("probation_ends")
    clock.set_day(ends + timedelta(days=20))
    w.act("authority", "decide_recognition", _decision(w.today))
    assert w.case.state == "official_member"
    assert w.case.date("official_since") == ends and w.case.date("decision_date") != ends


def test_a_refused_step_leaves_state_version_events_and_tasks_alone(session, engine, org):
    w = at(session, engine, org, "cell_review")
    before = stored(session, w.case.id)
    with pytest.raises(Invalid):
        w.act("cell_secretary", "record_cell_vote", w.vote(votes_for=1, votes_against=4))
    assert stored(session, w.case.id) == before and before[3] == "cell_review"
