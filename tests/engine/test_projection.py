"""The case row is a projection of its history: later steps never overwrite an earlier step's key dates."""

from datetime import date, timedelta

from casework.engine.projection import replay, snapshot
from tests.walk import Walker


def test_the_recognition_decision_keeps_the_admission_decision_date(session, engine, org, clock):
    walker = Walker(session, engine, org)
    walker.to("admitted")
    admitted_on = walker.case.date("decision_date")
    admission_number = walker.case.facts["decision_number"]
    walker.to("recognition_review", stage="authority_decision")
    clock.advance(days=10)  # the decision comes after the end of probation
    case = walker.to("official_member")
    assert case.date("decision_date") == admitted_on
    assert case.facts["decision_number"] == admission_number
    decided_on = date.fromisoformat(case.facts["recognition_decision_date"])
    assert decided_on == case.date("probation_ends") + timedelta(days=10)
    assert case.date("official_since") == case.date("probation_ends")
    assert replay(case.events) == snapshot(case)



def test_key_dates_are_the_definitions_and_read_alike_in_python_and_sql(session, engine, org):
    """cases.dates holds what the definition declares; case_date(name) reads it in SQL as a real date on each
    database (compared, ordered and its year taken), and Case.date(name) in Python."""
    import sqlalchemy as sa

    from casework.models import Case, case_date

    wf = engine.workflow("admission")
    assert list(wf.dates)[:3] == ["referral_date", "certificate_date", "cell_vote_date"]
    assert wf.dates["probation_ends"].label == {"vi": "Ngày hết dự bị", "en": "End of probation"}
    walker = Walker(session, engine, org)
    case = walker.to("official_member")
    assert set(case.dates) <= set(wf.dates) and all(isinstance(v, str) for v in case.dates.values())
    other = Walker(session, engine, org, national_id="001099000123").case  # referred, no later dates
    session.commit()
    session.expire_all()
    ends = case.date("probation_ends")
    assert isinstance(ends, date) and other.date("probation_ends") is None
    later = sa.select(Case.id).where(case_date("probation_ends") >= ends)
    assert session.scalars(later).all() == [case.id]
    assert session.scalars(sa.select(Case.id).where(case_date("probation_ends") > ends)).all() == []
    assert session.scalars(sa.select(Case.id).where(case_date("probation_ends").is_(None))).all() == [other.id]
    read = session.execute(sa.select(case_date("probation_ends"), sa.extract("year", case_date("referral_date")))
                           .where(Case.id == case.id)).one()
    assert read[0] == ends and int(read[1]) == case.date("referral_date").year
    ordered = session.scalars(sa.select(Case.id).order_by(case_date("referral_date"), Case.id)).all()
    assert sorted(ordered) == sorted([case.id, other.id])
