"""The founding demo: an enterprise in every state, one in an industrial zone and one foreign-invested, the
founded one with its cell in the tree and the admission case it moved; loading it again adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from casework.demo import load_demo
from casework.models import Case, Unit


def test_the_demo_has_an_enterprise_in_every_founding_state(session, engine):
    load_demo(session, engine)
    cases = session.scalars(sa.select(Case).where(Case.workflow == "founding")).all()
    wf = engine.workflow("founding")
    assert {c.state for c in cases} == set(wf.states)
    enterprises = [session.get(Unit, c.subject_id) for c in cases]
    assert any(e.industrial_zone for e in enterprises) and any(e.ownership == "foreign_invested" for e in enterprises)
    founded = next(c for c in cases if c.state == "founded")
    cell = session.get(Unit, founded.facts["founded_cell_id"])
    assert cell.kind == "cell" and session.get(Unit, founded.subject_id).assigned_cell_id == cell.id
    moved = session.get(Case, founded.facts["transferred_cases"][0])
    assert moved.workflow == "admission" and moved.owning_cell_id == cell.id
    gathering = next(c for c in cases if c.state == "gathering_members")
    assert [t for t in gathering.tasks if t.kind == "confirm_transfer" and t.status == "open"]
    before = session.scalar(sa.select(sa.func.count(Case.id)))
    summary = load_demo(session, engine)
    assert summary.cases_created == 0 and session.scalar(sa.select(sa.func.count(Case.id))) == before
