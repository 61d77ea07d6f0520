"""The founding workflow through the engine: the walk, its guards at their boundaries, the member cells' tasks,
and what the decision does to the organisation, all or nothing."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from casework.engine import Invalid, PermissionDenied
from casework.engine.rules import Rules
from casework.models import Case, Event, PartyMember, RoleAssignment, Task, TaskStatus, Unit
from tests.founding.support import FoundingWalker
from tests.walk import Walker


def test_the_walk_from_identification_to_a_founded_cell(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    case = walk.case
    assert (case.workflow, case.state, case.title) == ("founding", "identified", "Công ty TNHH Sao Vàng")
    assert case.owning_cell_id == forg.grassroots.id and case.authority_unit_id == forg.commune.id
    walk.to("gathering_members")
    tasks = walk.open_tasks("confirm_transfer")
    assert sorted(t.unit_id for t in tasks) == sorted([forg.residential_cell.id, forg.far_cell.id])
    at_home = next(t for t in tasks if t.unit_id == forg.residential_cell.id)
    assert len(at_home.subject["people"]) == 4  # one task per cell, listing its members
    walk.to("authority_review")
    case = walk.to("founded")
    assert case.closed_on is not None and case.date("decision_date") == engine.today()
    assert [e.trigger for e in case.events][:3] == ["identify", "start_engagement", "record_owner_meeting"]


def test_a_zone_enterprise_needs_the_letter_to_the_zone_board(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    with pytest.raises(Invalid) as refused:
        walk.act("grassroots_committee", "start_engagement", {"contact_person": "Ông Park"})
    assert [r.code for r in refused.value.reasons] == ["zone_board_letter_missing"]
    other = FoundingWalker(session, engine, forg, enterprise="shop", starter="organizer",
                           members=[{"full_name": "Lê Văn Tâm", "status": "official",
                                     "current_cell": forg.residential_cell.id}])
    assert other.case.owning_cell_id == forg.commune.id  # the ward committee where it is
    assert other.act("commune_committee", "start_engagement", {"contact_person": "Bà Minh Anh"}).state == \
        "engaging_owner"


def test_identify_refuses_an_enterprise_with_a_party_organisation_or_an_open_case(session, engine, forg):
    with pytest.raises(Invalid) as refused:
        FoundingWalker(session, engine, forg, enterprise="enterprise")
    assert "enterprise_has_party_org" in [r.code for r in refused.value.reasons]
    FoundingWalker(session, engine, forg)
    with pytest.raises(Invalid) as refused:
        FoundingWalker(session, engine, forg)
    assert "open_founding_exists" in [r.code for r in refused.value.reasons]


def test_the_owner_agreement_needs_a_meeting(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    walk.to("engaging_owner")
    with pytest.raises(Invalid) as refused:
        walk.act("grassroots_committee", "owner_agreed", {"agreement_date": walk.today, "agreement_document": "CV"})
    assert [r.code for r in refused.value.reasons] == ["no_owner_meeting"]


@pytest.mark.parametrize(("listed_official", "allowed"), [(2, False), (3, True)])
def test_founding_needs_three_official_members_transferred(session, engine, forg, listed_official, allowed):
    """Two official members (and a probationary one) are too few; three are enough."""
    home = forg.members["sao_vang"]
    members = [{"full_name": m.full_name, "member_id": m.id} for m in home[:listed_official]]
    members.append({"full_name": home[3].full_name, "member_id": home[3].id})  # probationary: not counted
    walk = FoundingWalker(session, engine, forg, members=members)
    walk.to("gathering_members")
    walk.transfer_all()
    if allowed:
        assert walk.act("grassroots_committee", "complete_gathering").state == "proposal"
    else:
        with pytest.raises(Invalid) as refused:
            walk.act("grassroots_committee", "complete_gathering")
        reason = refused.value.reasons[0]
        assert (reason.code, reason.params["official"], reason.params["needed"]) == ("too_few_official_members", 2, 3)


def test_the_threshold_is_a_rule(session, engine, forg):
    engine.rules = Rules.from_mapping({"min_official_members_to_found": 5})
    walk = FoundingWalker(session, engine, forg)
    walk.to("gathering_members")
    walk.transfer_all()
    with pytest.raises(Invalid) as refused:
        walk.act("grassroots_committee", "complete_gathering")
    assert refused.value.reasons[0].params == {"official": 4, "needed": 5}


def test_a_cell_not_transferring_leaves_too_few(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    walk.to("gathering_members")
    walk.transfer_all({forg.residential_cell.id: "not_transferred"})
    with pytest.raises(Invalid) as refused:
        walk.act("grassroots_committee", "complete_gathering")
    assert refused.value.reasons[0].params["official"] == 1


def test_gathering_waits_for_every_cell(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    walk.to("gathering_members")
    assert not walk.open_tasks("step")  # the committee's step comes once every cell has answered
    with pytest.raises(Invalid) as refused:
        walk.act("grassroots_committee", "complete_gathering")
    assert refused.value.reasons[0].code == "transfers_pending"


def test_a_member_cell_cannot_answer_another_cells_transfer(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    walk.to("gathering_members")
    far = next(t for t in walk.open_tasks("confirm_transfer") if t.unit_id == forg.far_cell.id)
    with pytest.raises(PermissionDenied):
        walk.act("res_secretary", "confirm_transfer", {"outcome": "transferred", "transfer_number": "1/GGT",
                                                       "transfer_date": walk.today}, task_id=far.id)
    assert far.status == TaskStatus.OPEN
    with pytest.raises(Invalid) as refused:  # a transfer gives its number and date
        walk.act("far_secretary", "confirm_transfer", {"outcome": "transferred"}, task_id=far.id)
    assert refused.value.reasons[0].code == "transfer_details_missing"


def test_the_proposal_names_a_committee_above_and_a_transferred_secretary(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    walk.to("proposal")
    g = "grassroots_committee"
    not_transferred = "interim_secretary_not_transferred"
    for overrides, code in [({"reports_to": forg.other_commune.id}, "reports_to_not_above"),
                            ({"organisation_form": "grassroots_cell"}, "reports_to_wrong_level"),
                            ({"interim_secretary": forg.members["sao_vang"][3].id}, not_transferred),
                            ({"interim_secretary": forg.members["cell"][0].id}, not_transferred)]:
        with pytest.raises(Invalid) as refused:
            walk.act(g, "submit_proposal", walk.proposal(**overrides))
        assert code in [r.code for r in refused.value.reasons]
    assert walk.act(g, "submit_proposal", walk.proposal(organisation_form="grassroots_cell",
                                                         reports_to=forg.commune.id)).state == "authority_review"


def _open_admission(session, engine, forg, national_id: str) -> Walker:
    return Walker(session, engine, forg, referrer="sao_vang_union_officer", workplace_unit=forg.sao_vang.id,
                  referring_org=forg.sao_vang_union.id, national_id=national_id)


def test_the_decision_founds_the_cell_moves_the_register_and_the_admission_cases(session, engine, forg):
    admission = _open_admission(session, engine, forg, "001200000777")
    assert admission.case.owning_cell_id == forg.residential_cell.id
    elsewhere = Walker(session, engine, forg)  # a worker of another enterprise stays where they are
    walk = FoundingWalker(session, engine, forg)
    walk.to("authority_review")
    case = walk.to("founded")
    cell = session.get(Unit, case.facts["founded_cell_id"])
    enterprise = session.get(Unit, forg.sao_vang.id)
    assert (cell.kind, cell.cell_type, cell.parent_id, cell.name) == ("cell", "workplace", forg.grassroots.id,
                                                                      "Chi bộ Công ty TNHH Sao Vàng")
    assert cell.path == f"{forg.grassroots.path}{cell.id}/"
    assert enterprise.has_party_org and enterprise.assigned_cell_id == cell.id
    # The register: every transferred member with the dates they had.
    moved = session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == cell.id)).all()
    assert sorted(m.id for m in moved) == sorted(m.id for m in forg.members["sao_vang"])
    first = session.get(PartyMember, forg.members["sao_vang"][0].id)
    assert (first.member_since, first.official_since) == (forg.members["sao_vang"][0].member_since,
                                                          forg.members["sao_vang"][0].official_since)
    # The interim secretary holds the role.
    assert session.scalar(sa.select(RoleAssignment).where(RoleAssignment.unit_id == cell.id,
                                                          RoleAssignment.role == "cell_secretary")) is not None
    # The admission case moved, with its history and its tasks; the old cell still reads it through its tasks.
    session.refresh(admission.case)
    assert admission.case.owning_cell_id == cell.id and case.facts["transferred_cases"] == [admission.case.id]
    assert admission.case.events[-1].trigger == "transfer_case"
    open_steps = [t for t in admission.case.tasks if t.status == TaskStatus.OPEN]
    assert open_steps and all(t.unit_id == cell.id for t in open_steps)
    session.refresh(elsewhere.case)
    assert elsewhere.case.owning_cell_id == forg.cell.id
    # A new referral of a worker there goes to the new cell, no longer to the residential cell.
    later = _open_admission(session, engine, forg, "001200000778")
    assert later.case.owning_cell_id == cell.id


def test_the_old_cell_keeps_reading_the_case_it_worked_on(session, engine, forg):
    from casework.engine.scope import can_view

    admission = _open_admission(session, engine, forg, "001200000779")
    admission.act("res_secretary", "accept_referral", {"helper_ids": [forg.members["sao_vang"][1].id],
                                                       "resolution_date": admission.today.isoformat()})
    walk = FoundingWalker(session, engine, forg)
    walk.to("founded")
    assert can_view(session, forg.users["res_secretary"], admission.case.id)
    new_cell = walk.case.facts["founded_cell_id"]
    assert session.get(Case, admission.case.id).owning_cell_id == new_cell


def test_without_an_account_the_administrator_gets_the_secretarys_task(session, engine, forg):
    forg.members["sao_vang"][1].user_id = None
    session.commit()
    walk = FoundingWalker(session, engine, forg)
    walk.to("proposal")
    walk.act("grassroots_committee", "submit_proposal",
             walk.proposal(interim_secretary=forg.members["sao_vang"][1].id))
    case = walk.to("founded")
    assert case.facts["interim_secretary_role"] == "administrator_task"
    task = session.scalar(sa.select(Task).where(Task.kind == "assign_interim_secretary"))
    assert (task.role, task.unit_id, task.status) == ("admin", forg.province.id, "open")
    # Giving the role closes it.
    user = forg.users["far_secretary"]
    user.roles.append(RoleAssignment(user_id=user.id, unit_id=case.facts["founded_cell_id"], role="cell_secretary"))
    session.commit()
    session.refresh(task)
    assert task.status == "done"


def test_the_decision_is_all_or_nothing(session, engine, forg, monkeypatch):
    """A failure inside the decision (here: moving an admission case) leaves the organisation, the register,
    the admission cases and the founding case as they were."""
    from workflows.founding import organisation

    admission = _open_admission(session, engine, forg, "001200000780")
    walk = FoundingWalker(session, engine, forg)
    walk.to("authority_review")
    task = walk.open_tasks("appraise")[0]
    walk.act("organizer", "appraise", {"appraisal": "Đủ điều kiện.", "recommendation": "found"}, task_id=task.id)
    units_before = session.scalar(sa.select(sa.func.count(Unit.id)))
    version = walk.case.version

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(organisation, "take_step", broken)
    with pytest.raises(RuntimeError):
        walk.decide()
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(Unit.id))) == units_before
    assert not session.get(Unit, forg.sao_vang.id).has_party_org
    assert session.get(Unit, forg.sao_vang.id).assigned_cell_id == forg.residential_cell.id
    assert {m.cell_id for m in session.scalars(sa.select(PartyMember).where(
        PartyMember.id.in_([m.id for m in forg.members["sao_vang"][:4]])))} == {forg.residential_cell.id}
    founding = session.get(Case, walk.case.id)
    assert (founding.state, founding.version) == ("authority_review", version)
    assert session.get(Case, admission.case.id).owning_cell_id == forg.residential_cell.id
    assert session.scalar(sa.select(sa.func.count(Event.id)).where(Event.case_id == walk.case.id,
                                                                    Event.trigger == "decide_founding")) == 0
    monkeypatch.undo()
    walk.case = founding
    assert walk.decide().state == "founded"


def test_stop_needs_a_listed_reason(session, engine, forg):
    walk = FoundingWalker(session, engine, forg)
    with pytest.raises(Invalid):
        walk.act("organizer", "stop", {"reason": "bored"})
    assert walk.act("organizer", "stop", {"reason": "owner_refused"}).state == "not_founded"
    FoundingWalker(session, engine, forg)  # a new case can start later


def test_rules_default_to_the_procedure(engine):
    rules = dataclasses.replace(Rules())
    assert rules.min_official_members_to_found == 3 and rules.founding_decision_working_days == 30
