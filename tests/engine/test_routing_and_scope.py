"""Where verification goes (one task per place), and who may see a case."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.engine.routing import party_unit_for_place
from casework.engine.scope import (
    access_role,
    can_view,
    task_view_only,
    visibility_clause,
    visibility_clause_for_many,
    visible_case,
)
from casework.engine.service import available_actions
from casework.models import Case, TaskStatus, User
from tests.factories import UnitFactory
from tests.walk import Walker


def _relative(name: str, relation: str, unit=None, abroad: bool = False) -> dict:
    if abroad:
        return {"full_name": name, "relation": relation, "abroad": True, "country": "Hàn Quốc"}
    return {"full_name": name, "relation": relation, "residence_unit": unit.id}


def _request_verification(session, engine, org, relatives: list[dict], **referral_overrides) -> Walker:
    w = Walker(session, engine, org, **referral_overrides)
    w.to("dossier")
    w.request_verification(relatives=relatives)
    return w


def _verifications(w: Walker) -> dict[tuple[int, str], list[str]]:
    """(unit, role) → the names of the people to verify there."""
    return {(t.unit_id, t.role): [p["full_name"] for p in t.subject["people"]]
            for t in w.case.tasks if t.kind == "confirm_background" and t.status == TaskStatus.OPEN}


def test_verification_fans_out_one_task_per_place(session, engine, org):
    relatives = [_relative("Nguyễn Văn Bố", "father", org.area), _relative("Trần Thị Mẹ", "mother", org.far_area),
                 _relative("Nguyễn Văn Anh", "brother", abroad=True)]
    w = _request_verification(session, engine, org, relatives)
    assert _verifications(w) == {
        (org.residential_cell.id, "residential_committee"): ["Nguyễn Thị Hương", "Nguyễn Văn Bố"],
        (org.far_cell.id, "residential_committee"): ["Trần Thị Mẹ"],
        (org.commune.id, "authority"): ["Nguyễn Văn Anh"],
    }
    abroad = next(t for t in w.case.tasks if t.role == "authority")
    assert abroad.subject["people"][0] == {"full_name": "Nguyễn Văn Anh", "relation": "brother", "abroad": True,
                                           "country": "Hàn Quốc"}
    assert all(t.due_date is not None for t in w.case.tasks if t.kind == "confirm_background")


def test_the_authority_answers_for_a_relative_abroad(session, engine, org):
    w = _request_verification(session, engine, org, [_relative("Nguyễn Văn Anh", "brother", abroad=True)])
    abroad = next(t for t in w.case.tasks if t.role == "authority")
    action = next(a for a in available_actions(session=session, engine=engine, case=w.case, user=org.users["authority"])
                  if a.trigger == "confirm_background")
    assert action.allowed and action.task_ids == [abroad.id]
    w.act("authority", "confirm_background", {"outcome": "clear", "reply_number": "9/CV", "reply_date": "2026-11-16"},
          task_id=abroad.id)
    assert abroad.status == TaskStatus.DONE and abroad.completed_by_id == org.users["authority"].id


def test_a_residential_area_without_a_cell_goes_to_the_committee_above(session, engine, org):
    hamlet = UnitFactory(kind="residential_area", name="Xóm Mới", parent=org.commune)
    session.commit()
    assert party_unit_for_place(session, hamlet).id == org.commune.id
    assert party_unit_for_place(session, org.far_area).id == org.far_cell.id
    assert party_unit_for_place(session, org.residential_cell).id == org.residential_cell.id
    w = _request_verification(session, engine, org, [_relative("Lê Văn Ông", "grandfather", hamlet)])
    assert (org.commune.id, "residential_committee") in _verifications(w)


def test_a_candidate_living_in_a_cells_area_is_verified_by_that_cell(session, engine, org):
    w = _request_verification(session, engine, org, [], residence_unit=org.far_cell.id)
    assert _verifications(w) == {(org.far_cell.id, "residential_committee"): ["Nguyễn Thị Hương"]}


# --- Visibility -------------------------------------------------------------------------------------------


@pytest.fixture
def verifying(session, engine, org) -> Walker:
    """A case of the industrial-zone cell, in verification at the candidate's residential cell only."""
    return _request_verification(session, engine, org, [])


@pytest.mark.parametrize(("username", "sees"), [
    ("cell_secretary", True),
    ("grassroots_committee", True),
    ("authority", True),
    ("organizer", True),
    ("province_organizer", True),
    ("union_officer", True),
    ("residential_committee", True),  # through its verification task
    ("other_secretary", False),
    ("direct_secretary", False),
    ("other_organizer", False),
    ("other_authority", False),
    ("other_union_officer", False),
    ("youth_officer", False),
    ("far_committee", False),  # a residential committee with no task on this case
])
def test_who_sees_a_case_in_verification(session, org, verifying, username, sees):
    assert can_view(session, org.users[username], verifying.case.id) is sees
    found = visible_case(session, org.users[username], verifying.case.id)
    assert (found is verifying.case) if sees else found is None
    if sees:  # the access log names the role that let them in; the two rules must never drift apart
        assert access_role(org.users[username], verifying.case) is not None


def test_both_forms_of_the_scope_select_the_same_cases_for_everyone(session, engine, org, verifying):
    other = Walker(session, engine, org, full_name="Lê Văn Khác", national_id="001099000777")
    other.to("dossier")
    for username, user in org.users.items():
        seen = {c.id for c in session.scalars(sa.select(Case).where(visibility_clause(user)))}
        many = {c.id for c in session.scalars(sa.select(Case).where(visibility_clause_for_many(user)))}
        assert seen == many, username


def test_whoever_sees_a_case_has_a_role_to_log_in_every_state(session, engine, org):
    w = Walker(session, engine, org)
    for state in ("sympathiser", "verification", "cell_review", "authority_review", "probation", "recognition_review",
                  "official_member"):
        w.to(state)
        for username, user in org.users.items():
            if can_view(session, user, w.case.id):
                assert access_role(user, w.case) is not None, (state, username)


def test_a_visible_case_is_one_select_with_what_the_faces_read(session, engine, org, verifying, db_engine):
    from tests.engine.test_statements import counting

    case_id, user_id = verifying.case.id, org.users["organizer"].id
    session.expunge_all()
    user = session.get(User, user_id)  # with its roles and their units, as every request loads the caller
    with counting(db_engine) as statements:
        case = visible_case(session, user, case_id)
        # read afterwards by the scope rules, the access log and the case page / API answer
        assert not task_view_only(user, case, engine.definition_of(case))
        assert [t.unit.name for t in case.tasks] and case.owning_cell.path and case.candidate.full_name
    assert len(statements) == 1, statements
    assert visible_case(session, user, 2_000_000_000) is None


def test_a_residential_committee_sees_a_case_only_once_a_task_reaches_it(session, engine, org):
    w = Walker(session, engine, org)
    w.to("dossier")
    assert not can_view(session, org.users["residential_committee"], w.case.id)
    w.request_verification(relatives=[_relative("Trần Thị Mẹ", "mother", org.far_area)])
    assert can_view(session, org.users["residential_committee"], w.case.id)
    assert can_view(session, org.users["far_committee"], w.case.id)


def test_the_province_organizer_sees_every_commune(session, engine, org):
    w = Walker(session, engine, org, referrer="other_union_officer", workplace_unit=org.other_enterprise.id,
               referring_org=org.other_union.id)
    assert w.case.owning_cell_id == org.other_cell.id
    assert can_view(session, org.users["province_organizer"], w.case.id)
    assert can_view(session, org.users["other_organizer"], w.case.id)
    assert not can_view(session, org.users["organizer"], w.case.id)
    assert not can_view(session, org.users["cell_secretary"], w.case.id)


def test_a_residential_committee_sees_only_its_verification_task(session, engine, org, verifying):
    case = verifying.case
    wf = engine.definition_of(case)
    assert wf.task_view_kinds == {"confirm_background"}  # `view: task` in the definition
    assert task_view_only(org.users["residential_committee"], case, wf)
    for username in ("cell_secretary", "organizer", "province_organizer", "authority", "grassroots_committee"):
        assert not task_view_only(org.users[username], case, wf), username
