"""The case row is a projection of its history: later steps never overwrite an earlier step's key dates."""

from datetime import date, timedelta

from casework.engine.projection import replay, snapshot
from tests.walk import Walker


def test_the_recognition_decision_keeps_the_admission_decision_date(session, engine, org, clock):
    walker = Walker(session, engine, org)
    walker.to("admitted")
    admitted_on = walker.case.decision_date
    admission_number = walker.case.facts["decision_number"]
    walker.to("recognition_review", stage="authority_decision")
    clock.advance(days=10)  # the decision comes after the end of probation
    case = walker.to("official_member")
    assert case.decision_date == admitted_on
    assert case.facts["decision_number"] == admission_number
    decided_on = date.fromisoformat(case.facts["recognition_decision_date"])
    assert decided_on == case.probation_ends + timedelta(days=10)
    assert case.official_since == case.probation_ends
    assert replay(case.events) == snapshot(case)

