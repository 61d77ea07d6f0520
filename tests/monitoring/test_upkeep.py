"""Who keeps the visits and tallies: the monitoring package, through the engine's step hook and its own flush
listeners, installed by the app factory. The models alone count nothing."""

from __future__ import annotations

import sqlalchemy as sa

from casework.models import PipelineTally, StateVisit
from casework.monitoring import summaries, upkeep
from tests.walk import Walker


def _visits(session) -> int:
    count = session.scalar(sa.select(sa.func.count()).select_from(StateVisit))
    session.rollback()
    return count


def test_without_the_upkeep_a_step_counts_nothing(session, engine, org):
    upkeep.uninstall()
    try:
        Walker(session, engine, org).to("sympathiser")
        assert _visits(session) == 0
        assert session.scalars(sa.select(PipelineTally)).all() == []
    finally:
        upkeep.install()


def test_the_app_installs_the_upkeep(app, clock):
    from casework import create_app
    from casework.extensions import db
    from tests.factories import build_org, use_session

    upkeep.uninstall()
    try:
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        session = db.session()
        use_session(session)
        Walker(session, app.extensions["casework_engine"], build_org(session)).to("in_course")
        assert _visits(session) == 3
        assert summaries.check(session.connection()) == []
    finally:
        upkeep.install()


def test_a_visit_the_case_does_not_point_at_is_still_closed_and_counted(session, engine, org):
    """A step finds the visit it leaves by the case's state_seq; an open visit entered under another number (no
    step leaves one so, a repair might) is still closed, its stay counted, and the next visit opened once."""
    walker = Walker(session, engine, org)
    case = walker.to("sympathiser")
    session.execute(sa.update(StateVisit).where(StateVisit.case_id == case.id, StateVisit.left_at.is_(None))
                    .values(entered_seq=StateVisit.entered_seq + 100))
    session.commit()
    walker.to("in_course")
    visits = session.execute(sa.select(StateVisit.state, StateVisit.next_state)
                             .where(StateVisit.case_id == case.id)).all()
    assert sorted(tuple(v) for v in visits) == [("in_course", None), ("referred", "sympathiser"),
                                                ("sympathiser", "in_course")]
    assert summaries.check(session.connection()) == []
