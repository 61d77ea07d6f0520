"""Bad input is refused with a reason that names the field and what is wrong, and changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine import Conflict, Invalid, NotFound
from casework.engine.service import start_case
from casework.models import Case
from tests.engine.support import assert_readable, assert_refused
from tests.walk import Walker, referral
from workflows.admission.models import Candidate

TODAY = "2026-11-16"
TOMORROW = "2026-11-17"


def refused(w: Walker, trigger: str, data: dict, code: str, username: str = "cell_secretary", **kw):
    error = assert_refused(w.session, w.case.id, lambda: w.act(username, trigger, data), code, **kw)
    return error


def test_every_problem_is_reported_at_once(session, engine, org):
    w = Walker(session, engine, org)
    error = refused(w, "accept_referral", {"helper_ids": "1", "colour": "red"}, "unknown_field")
    by_code = {r.code: r for r in error.reasons}
    assert set(by_code) == {"unknown_field", "not_list", "required"}
    assert by_code["unknown_field"].params == {"field": "colour"}
    assert by_code["required"].params["field"] == "resolution_date"
    assert by_code["required"].vi.startswith("Ngày nghị quyết chi bộ")  # the field's own label
    assert by_code["required"].en.startswith("Resolution date")


@pytest.mark.parametrize(("value", "code"), [
    ("16/11/2026", "bad_date"),
    ("2026-02-30", "bad_date"),
    ("2026-11-16T09:00", "bad_date"),
    (20261116, "bad_date"),
    (TOMORROW, "date_in_future"),
    ("2026-11-01", "date_too_early"),  # before the referral date, 2026-11-02
])
def test_bad_dates(session, engine, org, value, code):
    w = Walker(session, engine, org)
    error = refused(w, "accept_referral", {"helper_ids": [org.members["cell"][0].id], "resolution_date": value}, code)
    assert error.reasons[0].params["field"] == "resolution_date"


def test_the_earliest_date_is_accepted(session, engine, org):
    w = Walker(session, engine, org)
    w.act("cell_secretary", "accept_referral", {"helper_ids": [org.members["cell"][0].id],
                                                "resolution_date": "2026-11-02"})
    assert w.case.state == "sympathiser"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("official_members", True, "not_integer"),
    ("official_members", "five", "not_integer"),
    ("official_members", 5.0, "not_integer"),
    ("present", -1, "too_small"),
    ("votes_for", None, "required"),
    ("minutes_number", 6, "not_text"),
    ("minutes_number", "x" * 5, None),  # optional text is fine
])
def test_vote_fields_have_types(session, engine, org, field, value, code):
    w = Walker(session, engine, org)
    w.to("cell_review")
    vote = w.vote(**{field: value})
    if code is None:
        w.act("cell_secretary", "record_cell_vote", vote)
        assert w.case.facts[field] == value
    else:
        refused(w, "record_cell_vote", vote, code)


def test_numbers_from_a_form_are_read_as_numbers(session, engine, org):
    w = Walker(session, engine, org)
    w.to("cell_review")
    w.act("cell_secretary", "record_cell_vote", w.vote(official_members="5", votes_for=" 4 ", votes_against="1"))
    assert w.case.facts["votes_for"] == 4


def test_bad_choice_and_bad_text(session, engine, org):
    w = Walker(session, engine, org)
    w.to("sympathiser")
    error = refused(w, "enrol_course", {"course": "K1", "course_mode": "correspondence"}, "bad_choice")
    assert "in_person" in error.reasons[0].en
    refused(w, "enrol_course", {"course": "K" * 201, "course_mode": "online"}, "too_long")
    refused(w, "enrol_course", {"course": "   ", "course_mode": "online"}, "required")


def test_boolean_fields(session, engine, org):
    w = Walker(session, engine, org)
    w.case.candidate.is_business_owner = True  # the question applies only to a business owner
    session.commit()
    w.to("dossier")
    w.attach_dossier()
    refused(w, "request_verification", w.verification_data(business_owner_conditions="maybe"), "not_boolean")
    w.act("cell_secretary", "request_verification", w.verification_data(business_owner_conditions="yes"))
    assert w.case.facts["business_owner_conditions"] is True


@pytest.mark.parametrize(("helpers", "code"), [
    ([999999], "unknown_member"),
    (["abc"], "bad_id"),
    ([True], "bad_id"),
    ({"id": 1}, "not_list"),
])
def test_bad_helper_ids(session, engine, org, helpers, code):
    w = Walker(session, engine, org)
    refused(w, "accept_referral", {"helper_ids": helpers, "resolution_date": TODAY}, code)


def test_duplicate_helpers(session, engine, org):
    w = Walker(session, engine, org)
    helper = org.members["cell"][0].id
    refused(w, "accept_referral", {"helper_ids": [helper, str(helper)], "resolution_date": TODAY},
            "duplicate_member")


# --- Introducers and relatives ------------------------------------------------------------------------


@pytest.fixture
def dossier(session, engine, org) -> Walker:
    w = Walker(session, engine, org)
    w.to("dossier")
    w.attach_dossier()
    return w


@pytest.mark.parametrize(("introducers", "code"), [
    ("member 1", "not_list"),
    ([{"member_id": 1}], "bad_introducer"),
    ([{"known_since": "2020-01-01"}], "bad_introducer"),
    (["someone"], "bad_introducer"),
    ([{"member_id": 1, "known_since": "01/01/2020"}], "bad_date"),
    ([{"member_id": 1, "known_since": TOMORROW}], "bad_date"),
    ([{"member_id": 999999, "known_since": "2020-01-01"}], "unknown_member"),
    ([{"member_id": "one", "known_since": "2020-01-01"}], "bad_id"),
])
def test_malformed_introducers(dossier, introducers, code):
    refused(dossier, "request_verification", {"introducers": introducers}, code)


def test_duplicate_introducers(dossier, org):
    member = org.members["cell"][0].id
    twice = [{"member_id": member, "known_since": "2020-01-01"}] * 2
    refused(dossier, "request_verification", {"introducers": twice}, "duplicate_member")


@pytest.mark.parametrize(("relative", "code"), [
    ({"relation": "mother", "residence_unit": "AREA"}, "bad_relative"),
    ({"full_name": "Lê Thị Mẹ", "residence_unit": "AREA"}, "bad_relative"),
    ({"full_name": " ", "relation": "mother", "residence_unit": "AREA"}, "bad_relative"),
    ({"full_name": "Lê Thị Mẹ", "relation": "mother"}, "relative_residence_missing"),
    ({"full_name": "Lê Thị Mẹ", "relation": "mother", "residence_unit": 999999}, "unknown_unit"),
    ({"full_name": "Lê Thị Mẹ", "relation": "mother", "residence_unit": "x"}, "bad_id"),
    ({"full_name": "Lê Thị Mẹ", "relation": "mother", "residence_unit": "UNION"}, "wrong_unit_kind"),
    ({"full_name": "Lê Thị Mẹ", "relation": "mother", "abroad": "maybe", "country": "Nhật Bản"}, "bad_relative"),
])
def test_malformed_relatives(dossier, org, relative, code):
    placeholders = {"AREA": org.area.id, "UNION": org.trade_union.id}
    relative = {k: placeholders.get(v, v) if isinstance(v, str) else v for k, v in relative.items()}
    refused(dossier, "request_verification", dossier.verification_data(relatives=[relative]), code)
    refused(dossier, "request_verification", dossier.verification_data(relatives=relative), "not_list")


def test_abroad_written_as_text_false_is_not_abroad(dossier, org):
    relative = {"full_name": "Lê Thị Mẹ", "relation": "mother", "abroad": "false", "residence_unit": org.far_area.id}
    dossier.act("cell_secretary", "request_verification", dossier.verification_data(relatives=[relative]))
    assert dossier.case.facts["relatives"][0]["abroad"] is False
    roles = sorted(t.role for t in dossier.case.tasks if t.kind == "confirm_background")
    assert roles == ["residential_committee", "residential_committee"]


# --- Documents -------------------------------------------------------------------------------------------


def test_documents_must_be_attached_and_of_the_right_form(session, engine, org):
    w = Walker(session, engine, org)
    w.to("dossier")
    data = w.verification_data()
    refused(w, "request_verification", data, "document_missing")  # and it says where to attach it
    history = w.attach("2-KNĐ")
    refused(w, "request_verification", {**data, "application": history.id}, "wrong_form")
    other = Walker(session, engine, org)
    foreign = other.attach("1-KNĐ")
    refused(w, "request_verification", {**data, "application": foreign.id}, "unknown_document")
    mine = w.attach("1-KNĐ")
    w.act("cell_secretary", "request_verification", data)
    assert w.case.facts["application"] == mine.id and w.case.facts["personal_history"] == history.id


# --- The referral's own fields ------------------------------------------------------------------------


def _counts(session) -> tuple[int, int]:
    counts = (session.scalar(sa.select(sa.func.count()).select_from(Case)),
              session.scalar(sa.select(sa.func.count()).select_from(Candidate)))
    session.rollback()
    return counts


@pytest.mark.parametrize(("overrides", "code"), [
    ({"residence_unit": 999999}, "unknown_unit"),
    ({"workplace_unit": "AREA"}, "wrong_unit_kind"),
    ({"residence_unit": "ENTERPRISE"}, "wrong_unit_kind"),
    ({"national_id": "12345"}, "bad_format"),
    ({"national_id": 1234567890123}, "not_text"),
    ({"gender": "other"}, "bad_choice"),
    ({"birth_date": "2030-01-01"}, "date_in_future"),
    ({"is_business_owner": "perhaps"}, "not_boolean"),
    ({"referrer": "youth_officer", "referring_org": "YOUTH"}, "referring_org_mismatch"),
    ({"full_name": ""}, "required"),
    ({"nickname": "Hương"}, "unknown_field"),
])
def test_a_bad_referral_writes_nothing(session, engine, org, overrides, code):
    placeholders = {"AREA": org.area.id, "ENTERPRISE": org.enterprise.id, "YOUTH": org.youth_union.id}
    overrides = {k: placeholders.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    referrer = org.users[overrides.pop("referrer", "union_officer")]
    before = _counts(session)
    with pytest.raises(Invalid) as info:
        start_case(workflow="admission", session=session, engine=engine, user=referrer, data=referral(org, **overrides))
    assert code in [r.code for r in info.value.reasons]
    assert_readable(info.value.reasons)
    assert _counts(session) == before


# --- The envelope of a step ---------------------------------------------------------------------------


def test_expected_version_is_required_and_must_be_current(session, engine, org):
    from casework.engine.service import apply

    w = Walker(session, engine, org)
    data = {"helper_ids": [org.members["cell"][0].id], "resolution_date": TODAY}

    def attempt(version):
        return lambda: apply(session=session, engine=engine, case=w.case, trigger="accept_referral",
                             user=org.users["cell_secretary"], data=data, expected_version=version)

    for missing in (None, "1", True):
        assert_refused(session, w.case.id, attempt(missing), "expected_version_required")
    assert_refused(session, w.case.id, attempt(w.case.version + 1), "stale_version", Conflict)


def test_unknown_and_unavailable_triggers(session, engine, org):
    w = Walker(session, engine, org)
    with pytest.raises(NotFound):
        w.act("cell_secretary", "teleport", {})
    with pytest.raises(NotFound):
        w.act("cell_secretary", "refer", {})
    refused(w, "hold_ceremony", {}, "not_available_in_state")
