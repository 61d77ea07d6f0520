"""One case from referral to official membership, through the engine only (no Flask)."""

from casework.engine.projection import replay, snapshot
from casework.models import TaskStatus
from tests.walk import Walker


def test_a_case_goes_from_referral_to_official_member(session, engine, org, clock):
    walker = Walker(session, engine, org)
    case = walker.to("official_member")
    triggers = [e.trigger for e in case.events]
    assert triggers[:3] == ["refer", "accept_referral", "enrol_course"]
    assert "record_grassroots_resolution" in triggers
    assert case.closed_on is not None and case.subject_key is None
    assert case.date("official_since") == case.date("probation_ends")
    assert not [t for t in case.tasks if t.status == TaskStatus.OPEN]
    assert replay(case.events) == snapshot(case)


def test_a_cell_without_grassroots_committee_goes_straight_to_the_authority(session, engine, org):
    walker = Walker(session, engine, org, referrer="direct_union_officer", workplace_unit=org.direct_enterprise.id,
                    referring_org=org.direct_union.id)
    case = walker.to("cell_review")
    case = walker.act("direct_secretary", "record_cell_vote", walker.vote(official_members=4, present=4, votes_for=3))
    assert case.state == "authority_review"
