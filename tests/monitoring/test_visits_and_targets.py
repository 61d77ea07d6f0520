"""State visits kept by the engine's own steps, and targets: entered, imported (all or nothing), measured."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from casework.models import Event, StateVisit, StayTally, Target
from casework.monitoring import figures, queries, summaries
from casework.monitoring.scope import Period, Scope
from casework.monitoring.targets import ImportRefused, columns, import_targets, set_target, target_progress
from casework.monitoring.visits import rebuild_visits, visits_from_events
from tests.walk import Walker
from workflows.admission.models import AdmissionTally
from workflows.founding.models import PartyOrgFounding

COLUMNS = ["entered_seq", "owning_cell_id", "state", "left_seq", "next_state", "days"]


def _visits(session) -> list[tuple]:
    return sorted(tuple(getattr(v, c) for c in ["case_id", *COLUMNS])
                  for v in session.scalars(sa.select(StateVisit)))


def test_steps_taken_through_the_engine_keep_visits_equal_to_the_history(session, engine, org, clock):
    walker = Walker(session, engine, org)
    for state in ("sympathiser", "in_course", "dossier", "verification", "cell_review"):
        clock.advance(days=3)
        walker.to(state)
    kept = _visits(session)
    events = list(session.scalars(sa.select(Event).where(Event.case_id == walker.case.id)))
    derived = sorted((walker.case.id, *(row[c] for c in COLUMNS))
                     for row in visits_from_events(events, walker.case.owning_cell_id))
    assert kept == derived
    assert [v[3] for v in kept] == ["referred", "sympathiser", "in_course", "dossier", "verification", "cell_review"]
    assert kept[0][-1] == pytest.approx(3.0)
    rebuild_visits(session)
    assert _visits(session) == kept
    assert summaries.check(session.connection()) == []
    durations = queries.step_durations(session, scope=Scope.of(session, org.province.id), period=Period.year(2026))
    assert durations["referred"]["now"] == {"n": 1, "p50": 3, "p90": 3}


def test_an_engine_case_shows_on_the_dashboard(session, engine, org):
    Walker(session, engine, org).to("dossier")
    data = queries.pipeline(session, scope=Scope.of(session, org.commune.id), period=Period.year(2026))
    assert data["by_state"] == {"dossier": 1}
    assert data["by_ownership"] == {"domestic_private": 1}
    assert queries.pipeline(session, scope=Scope.of(session, org.other_commune.id),
                            period=Period.year(2026))["total"] == 0


def _admit(session, engine, org, clock, **overrides):
    walker = Walker(session, engine, org, **overrides)
    walker.to("admitted")
    return walker


def test_target_progress_counts_admissions_owners_and_new_organisations(session, engine, org, clock):
    scope = Scope.of(session, org.province.id)
    set_target(session, scope=scope, unit_id=org.commune.id, year_from=2026, year_to=2026,
               values={"admissions": 2, "business_owners": 1, "new_party_orgs": 1})
    _admit(session, engine, org, clock)
    (progress,) = target_progress(session, scope=scope, year=2026, today=date(2026, 11, 16))
    assert progress.achieved == {"admissions": 1, "business_owners": 0, "new_party_orgs": 0}
    assert not progress.done and progress.ratio("admissions") == 0.5
    owner = _admit(session, engine, org, clock).case.candidate
    owner.is_business_owner = True  # the register says so; conditions are checked by the engine's own tests
    session.add(PartyOrgFounding(enterprise_id=org.enterprise.id, founded_on=date(2026, 6, 1),
                                 ownership="domestic_private", decision_number="12-QĐ/ĐU"))
    session.commit()
    (progress,) = target_progress(session, scope=scope, year=2026, today=date(2026, 11, 16))
    assert progress.achieved == {"admissions": 2, "business_owners": 1, "new_party_orgs": 1}
    assert progress.done and progress.done_in == 2026
    assert summaries.check(session.connection()) == []


def test_a_corrected_business_owner_moves_their_admission_in_the_tallies(session, engine, org, clock):
    candidate = _admit(session, engine, org, clock).case.candidate
    owners = sa.select(sa.func.sum(AdmissionTally.n)).where(AdmissionTally.business_owner.is_(True))
    assert session.scalar(owners) is None
    candidate.is_business_owner = True
    session.commit()
    assert session.scalar(owners) == 1
    candidate.is_business_owner = False
    session.commit()
    assert session.scalar(owners) == 0
    assert summaries.check(session.connection()) == []


def test_a_tampered_tally_is_found_and_a_rebuild_repairs_it(session, engine, org, clock):
    _admit(session, engine, org, clock)
    session.execute(sa.update(StayTally).where(StayTally.state == "referred").values(n=StayTally.n + 1))
    (found,) = summaries.check(session.connection())
    assert (found.table, found.kept, found.history) == ("stay_tallies", 2, 1)
    summaries.rebuild(session.connection())
    assert summaries.check(session.connection()) == []


def test_a_span_target_met_early_counts_as_done(session, engine, org, clock):
    scope = Scope.of(session, org.commune.id)
    set_target(session, scope=scope, unit_id=org.commune.id, year_from=2025, year_to=2030,
               values={"admissions": 1})
    _admit(session, engine, org, clock)
    (progress,) = target_progress(session, scope=scope, year=2026, today=date(2026, 11, 16))
    assert progress.done_in == 2026 and progress.ratio("admissions") == 1.0


def test_a_target_outside_the_organizers_scope_is_refused(session, org):
    with pytest.raises(LookupError):
        set_target(session, scope=Scope.of(session, org.commune.id), unit_id=org.other_commune.id, year_from=2026,
                   year_to=2026, values={"admissions": 1})


def test_an_allocation_table_with_a_bad_line_imports_nothing(session, org):
    scope = Scope.of(session, org.province.id)
    content = ("unit_code,year_from,year_to,admissions,business_owners,new_party_orgs\n"
               f"{org.commune.code},2026,2026,10,1,2\n"
               f"NOPE,2026,2026,1,0,0\n"
               f"{org.other_commune.code},2026,2026,x,0,0\n"
               f"{org.other_commune.code},2026,2026,1,3,0\n").encode()
    with pytest.raises(ImportRefused) as refused:
        import_targets(session, scope=scope, filename="targets.csv", content=content)
    assert [line for line, _ in refused.value.errors] == [3, 4, 5]
    assert session.scalar(sa.select(sa.func.count()).select_from(Target)) == 0


def test_an_xlsx_allocation_table_imports_every_line(session, org):
    book = Workbook()
    sheet = book.active
    sheet.append(["unit_code", "year_from", "year_to", "admissions", "business_owners", "new_party_orgs"])
    sheet.append([org.commune.code, 2026, 2030, 5, 1, 1])
    sheet.append([org.other_commune.code, 2026, 2026, 2, 0, 0])
    out = io.BytesIO()
    book.save(out)
    assert import_targets(session, scope=Scope.of(session, org.province.id), filename="phan_bo.xlsx",
                          content=out.getvalue()) == 2
    assert sorted(t.value("admissions") for t in session.scalars(sa.select(Target))) == [2, 5]


def test_a_target_sets_the_measures_the_packages_declare(session, org, monkeypatch):
    """A package's ``target_measures`` add a column to the allocation table and a number to the target, which its
    ``measures`` count; a number no package declares any more is kept, not wiped, by the next save."""
    def counted(session, *, scope, year_from, year_to, units):
        return {"visits": {org.commune.id: {2026: 3}}}

    monkeypatch.setitem(figures.REGISTERED, "zz_probe", figures.WorkflowFigures(
        workflow="zz_probe", measures=counted,
        target_measures=(figures.TargetMeasure("visits", "Visits", "Visits target"),)))
    assert columns()[-1] == "visits" and columns()[:4] == ("unit_code", "year_from", "year_to", "admissions")
    scope = Scope.of(session, org.province.id)
    content = (f"unit_code,year_from,year_to,admissions,business_owners,new_party_orgs\n"
               f"{org.commune.code},2026,2026,1,0,0\n").encode()
    with pytest.raises(ImportRefused) as refused:
        import_targets(session, scope=scope, filename="targets.csv", content=content)
    assert refused.value.errors == [(2, "missing column(s) visits")]
    set_target(session, scope=scope, unit_id=org.commune.id, year_from=2026, year_to=2026,
               values={"admissions": 0, "visits": 3})
    (progress,) = target_progress(session, scope=scope, year=2026, today=date(2026, 11, 16))
    assert progress.achieved["visits"] == 3 and progress.target.value("visits") == 3 and progress.done
    monkeypatch.delitem(figures.REGISTERED, "zz_probe")
    set_target(session, scope=scope, unit_id=org.commune.id, year_from=2026, year_to=2026, values={"admissions": 2})
    assert session.scalar(sa.select(Target)).amounts == {"admissions": 2, "business_owners": 0, "new_party_orgs": 0,
                                                         "visits": 3}


def test_a_measure_counted_among_another_is_never_more_than_it(session, org):
    scope = Scope.of(session, org.province.id)
    set_target(session, scope=scope, unit_id=org.commune.id, year_from=2026, year_to=2026,
               values={"admissions": 2, "business_owners": 2})
    with pytest.raises(ValueError, match="business_owners are counted among admissions"):
        set_target(session, scope=scope, unit_id=org.commune.id, year_from=2026, year_to=2026,
                   values={"admissions": 2, "business_owners": 3})
    assert session.scalar(sa.select(Target)).value("business_owners") == 2


def test_a_corrected_enterprise_ownership_moves_its_cases_in_the_pipeline_tallies(session, engine, org):
    Walker(session, engine, org).to("dossier")
    scope, year = Scope.of(session, org.province.id), Period.year(2026)
    assert scope.root  # the tallies answer for the whole tree
    assert queries.pipeline(session, scope=scope, period=year)["by_ownership"] == {"domestic_private": 1}
    org.enterprise.ownership = "foreign_invested"
    session.commit()
    assert queries.pipeline(session, scope=scope, period=year)["by_ownership"] == {"foreign_invested": 1}
    assert queries.pipeline(session, scope=scope, period=year)["by_state"] == {"dossier": 1}
    assert summaries.check(session.connection()) == []


def test_a_stuck_case_waits_since_the_vietnamese_day_it_entered_its_state(session, engine, org, clock):
    """Entered at 18:30 UTC, which is already 01:30 the next day in Vietnam: that next day is its first."""
    clock.now = datetime(2026, 11, 2, 18, 30, tzinfo=UTC)
    Walker(session, engine, org)
    (row,) = queries.stuck_cases(session, scope=Scope.of(session, org.province.id), today=date(2026, 11, 10))
    assert (row["since"], row["days"]) == (date(2026, 11, 3), 7)
