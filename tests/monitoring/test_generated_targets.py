"""`casework generate` writes the yearly targets (each scenario's ``targets`` for its own measures, merged into one
row per unit and year): the province, every commune and the industrial-zone committees the targets page lists,
every year with admissions up to the current one, a little above the generated pace, allocated over the communes
and committees so that they add up to the province's; the dashboard's headline and the targets page show them;
a stopped run that is continued writes them once
(test_generated_targets_resumed.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa

from casework.engine import Engine
from casework.models import Target, Unit
from casework.monitoring import headline
from casework.monitoring.figures import known
from casework.monitoring.scope import Period, Scope
from casework.monitoring.targets import target_progress
from tests.monitoring.conftest import TODAY
from workflows.admission import simulation as admission_simulation

MEASURES = {"admissions", "business_owners", "new_party_orgs"}


def _targets(session) -> dict[tuple[int, int], dict[str, int]]:
    rows = session.scalars(sa.select(Target)).all()
    assert all(t.year_from == t.year_to for t in rows)
    return {(t.unit_id, t.year_from): t.amounts for t in rows}


def _years(first_admissions: int) -> range:
    return range(first_admissions, TODAY.year + 1)


def test_every_listed_unit_has_a_target_every_year_adding_up_to_the_province(gsession, province, history):
    targets = _targets(gsession)
    root = province["root_unit_id"]
    communes = [u for u in history.units.values() if u.kind == "commune_committee"]
    zones = [u for u in history.units.values() if u.kind == "grassroots_committee"]
    years = sorted({year for _, year in targets})
    assert years == list(range(years[0], TODAY.year + 1)) and years[0] >= TODAY.year - 6
    for year in years:
        province_target = targets[(root, year)]
        assert set(province_target) == MEASURES and province_target["admissions"] > 0
        assert province_target["new_party_orgs"] >= 1
        for measure in ("admissions", "new_party_orgs"):  # the communes' share the province's, zones within theirs
            assert sum(targets.get((c.id, year), {}).get(measure, 0) for c in communes) == province_target[measure]
        for zone in zones:
            amounts = targets.get((zone.id, year))
            if amounts is not None:
                commune = targets[(zone.parent_id, year)]
                assert all(amounts[m] <= commune[m] for m in MEASURES)
        for amounts in targets.values():
            assert 0 <= amounts["business_owners"] <= amounts["admissions"]
    assert all(sum(targets.get((c.id, year), {}).get("admissions", 0) for year in years) > 0 for c in communes)
    assert any(targets.get((z.id, years[-1]), {}).get("admissions") for z in zones)


def test_the_admissions_target_is_a_little_above_the_generated_pace(gsession, province, history):
    targets = _targets(gsession)
    root = province["root_unit_id"]
    admitted = Counter(history.admitted_on(case_id).year for case_id in history.cases
                       if history.admitted_on(case_id) is not None)
    full = [y for y in range(TODAY.year - 5, TODAY.year)]  # whole years with admissions from start to end
    aimed, reached = sum(targets[(root, y)]["admissions"] for y in full), sum(admitted[y] for y in full)
    assert 1.0 < aimed / reached < 1.5
    this_year = targets[(root, TODAY.year)]["admissions"]  # the whole year's, not the days gone
    assert this_year >= admitted[TODAY.year]


def test_the_headline_and_the_targets_page_show_them(gsession, province, workflows):
    root = gsession.get(Unit, province["root_unit_id"])
    scope = Scope(root.id, root.path, root.name)
    numbers = headline.headline(gsession, scope=scope, period=Period.year(TODAY.year), today=TODAY,
                                workflows=known(Engine(workflows)))
    target = gsession.scalars(sa.select(Target).where(Target.unit_id == root.id,
                                                      Target.year_from == TODAY.year)).one()
    assert numbers.target_amount == target.value("admissions") > 0 and numbers.target_share is not None
    shown = target_progress(gsession, scope=scope, year=TODAY.year, today=TODAY)
    units = {p.target.unit_id for p in shown}
    assert root.id in units and len(units) > 25
    province_row = next(p for p in shown if p.target.unit_id == root.id)
    assert province_row.achieved["admissions"] == numbers.admissions > 0


def test_no_targets_where_nothing_is_expected(gsession):
    """The history's first days admit no one yet: that year has no target rather than one of zero."""
    targets = _targets(gsession)
    first = TODAY - timedelta(days=365 * 6)  # 2020-11-21: the first admission comes the next year
    assert (date(first.year, 12, 31) - first).days < admission_simulation.FIRST_ADMISSION_DAYS
    assert not any(year == first.year for _, year in targets)
    assert all(any(v for v in amounts.values()) for amounts in targets.values())
