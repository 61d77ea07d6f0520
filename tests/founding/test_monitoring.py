"""Founding in monitoring: the new_party_orgs target fed by decide_founding (once, in the decision's year, with the
register's imported organisations beside it), the pipeline split by the enterprise's ownership, and the founding
figures."""

from __future__ import annotations

from datetime import date

from casework.monitoring import exports
from casework.monitoring.scope import Period, Scope
from casework.monitoring.targets import achieved_by_unit
from tests.founding.support import FoundingWalker
from workflows.founding import monitoring
from workflows.founding.models import PartyOrgFounding


def _scope(unit) -> Scope:
    return Scope(unit.id, unit.path, unit.name)


def _achieved(session, forg, year_from=2026, year_to=2027):
    scope = _scope(forg.province)
    return achieved_by_unit(session, scope=scope, year_from=year_from, year_to=year_to,
                            units={forg.province.id})["new_party_orgs"]


def test_the_target_counts_a_founding_once_in_the_decisions_year(session, engine, forg, clock):
    walk = FoundingWalker(session, engine, forg)
    walk.to("authority_review")
    assert _achieved(session, forg) == {}
    clock.set_day(date(2027, 1, 4))  # decided in the new year, proposed in the old one
    walk.to("founded")
    counted = _achieved(session, forg)
    for unit in ("province", "commune", "grassroots"):
        assert counted[forg.units[unit].id] == {2027: 1}, unit
    assert forg.other_commune.id not in counted
    # A later step elsewhere, or reading again, counts nothing more.
    assert _achieved(session, forg)[forg.province.id] == {2027: 1}
    assert _achieved(session, forg, 2026, 2026) == {}


def test_the_registers_imported_organisations_count_beside_and_not_twice(session, engine, forg):
    session.add(PartyOrgFounding(enterprise_id=forg.other_enterprise.id, founded_on=date(2026, 3, 2),
                                 ownership="domestic_private", decision_number="12-QĐ/ĐU"))
    session.add(PartyOrgFounding(enterprise_id=forg.sao_vang.id, founded_on=date(2026, 11, 16),
                                 ownership="foreign_invested", decision_number="210-QĐ/ĐU"))
    session.commit()
    walk = FoundingWalker(session, engine, forg)
    assert _achieved(session, forg)[forg.province.id] == {2026: 2}  # both imported while the case is open
    walk.to("founded")
    assert _achieved(session, forg)[forg.province.id] == {2026: 2}  # Sao Vàng once, by its case
    assert _achieved(session, forg)[forg.other_commune.id] == {2026: 1}


def test_the_founding_figures(session, engine, forg, clock):
    FoundingWalker(session, engine, forg).to("gathering_members")
    FoundingWalker(session, engine, forg, enterprise="shop", starter="organizer",
                   members=[{"full_name": "Lê Văn Tâm", "status": "official",
                             "current_cell": forg.residential_cell.id}])
    rows = monitoring.pipeline(session, scope=_scope(forg.province), year=2026)
    by_unit = {r["unit"]: r for r in rows}
    assert by_unit[forg.grassroots.name]["gathering_members"] == 1
    assert by_unit[forg.commune.name]["identified"] == 1 and by_unit[forg.commune.name]["expected_by_year_end"] == 0
    assert monitoring.pipeline(session, scope=_scope(forg.other_commune), year=2026) == []
    times = {r["state"]: r for r in monitoring.durations(session, scope=_scope(forg.province), year=2026)}
    assert times["engaging_owner"]["cases"] == 1 and times["gathering_members"]["cases"] == 0
    report = exports.Report(session, _scope(forg.province), Period.year(2026), date(2026, 11, 16))
    computed = exports.dashboard_figures(report, ["foundings", "founding_durations"])
    assert computed["foundings"] == rows
    header, table = exports.dashboard_tables(report, computed)["foundings"][:2]
    assert header[0] == "unit" and len(table) == 2


def test_the_pipeline_splits_founding_cases_by_the_enterprises_ownership(session, engine, forg):
    from casework.monitoring import queries
    from casework.monitoring.figures import known

    FoundingWalker(session, engine, forg)
    result = queries.pipeline(session, scope=_scope(forg.province), period=Period.year(2026), workflows=known(),
                              workflow="founding")
    assert result["by_ownership"] == {"foreign_invested": 1}
