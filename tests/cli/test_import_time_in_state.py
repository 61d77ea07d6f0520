"""An imported case has been in its state since the row's date of entering it (the latest date the steps into
that state record), not since the import: monitoring's time in state, its stays and the history agree."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.engine.projection import replay, snapshot
from casework.extensions import db
from casework.localtime import day_start
from casework.models import Case, StateVisit
from casework.models.monitoring import visit_days
from casework.monitoring.visits import visits_from_events
from tests.cli.test_import_cases import a_good_file, person, run, write_csv
from tests.walk import Walker


def same_instant(a, b) -> bool:
    return visit_days(a, b) == 0


def imported(app, tmp_path, rows) -> list[Case]:
    """The cases an import of ``rows`` opens (it must succeed)."""
    assert run(app, write_csv(tmp_path / "c.csv", rows), "--by", "admin").exit_code == 0
    return list(db.session.scalars(sa.select(Case).order_by(Case.id)))


def assert_tallies_agree(app) -> None:
    check = app.test_cli_runner().invoke(args=["monitoring", "check"])
    assert "The tallies agree with the history." in check.output, check.output


def test_each_case_is_in_its_state_since_the_rows_date_of_entering_it(app, org, tmp_path):
    cases = imported(app, tmp_path, a_good_file(org))
    now = app.extensions["casework_engine"].now()
    since = {c.state: c.state_entered_at for c in cases}
    expected = {"authority_review": day_start(date(2026, 8, 20)),  # the cell's vote
                "admitted": day_start(date(2026, 11, 2)),  # the decision
                "probation": day_start(date(2025, 10, 20)),  # the ceremony
                "sympathiser": now, "verification": now}  # no step into them records a date: the import's time
    for state, at in expected.items():
        assert same_instant(since[state], at), (state, since[state], at)
    for case in cases:
        [visit] = db.session.scalars(sa.select(StateVisit).where(StateVisit.case_id == case.id)).all()
        assert same_instant(visit.entered_at, case.state_entered_at)
        [rebuilt] = visits_from_events(case.events, case.owning_cell_id)
        assert same_instant(rebuilt["entered_at"], visit.entered_at)
        assert replay(case.events) == snapshot(case)
    assert_tallies_agree(app)


def test_the_stay_left_counts_from_the_rows_date(app, org, tmp_path):
    [case] = imported(app, tmp_path, [person(org, "authority_review", certificate_date="15/06/2026",
                                             cell_vote_date="20/08/2026")])
    Walker(db.session, app.extensions["casework_engine"], org, case=case).step()
    assert case.state != "authority_review"
    visit = db.session.scalar(sa.select(StateVisit).where(StateVisit.case_id == case.id, StateVisit.entered_seq == 1))
    left_at = case.events[-1].occurred_at
    assert visit.days == visit_days(day_start(date(2026, 8, 20)), left_at) and visit.days > 80
    assert_tallies_agree(app)


def test_a_date_of_today_is_the_start_of_today(app, org, tmp_path):
    """The boundary: a vote held today puts the case in its state since the start of today (not after now)."""
    [case] = imported(app, tmp_path, [person(org, "authority_review", certificate_date="15/06/2026",
                                             cell_vote_date="16/11/2026")])
    assert same_instant(case.state_entered_at, day_start(date(2026, 11, 16)))
