"""The overview's numbers ("are we on track?") against cases moved through the engine, and the lists behind
them: admitted this year against the unit's target, overdue now, waiting on another organisation, forecast."""

from __future__ import annotations

from datetime import date

import pytest

from casework.extensions import db
from casework.models import Case, Target
from casework.monitoring import headline
from casework.monitoring.figures import known
from casework.monitoring.scope import Period, Scope
from tests.web.conftest import text

YEAR = 2026


@pytest.fixture
def cases(walker, web_org, clock):
    """One candidate admitted, one waiting on the residential committee, one just referred in another commune."""
    admitted = walker(full_name="Phạm Văn Đỗ")
    admitted.to("admitted")
    waiting = walker(full_name="Trần Văn Chờ")
    waiting.to("verification")
    elsewhere = walker(full_name="Lê Thị Khác", workplace_unit=web_org.other_enterprise.id,
                       referrer="other_union_officer", referring_org=web_org.other_union.id)
    db.session.add(Target(unit_id=web_org.commune.id, year_from=YEAR, year_to=YEAR,
                          amounts={"admissions": 4, "business_owners": 0, "new_party_orgs": 0}))
    db.session.commit()
    return admitted.case, waiting.case, elsewhere.case


def _numbers(app, web_org, today: date) -> headline.Headline:
    scope = Scope.of(db.session, web_org.commune.id)
    return headline.headline(db.session, scope=scope, period=Period.year(YEAR), today=today,
                             workflows=known(app.extensions["casework_engine"]))


def _listed(client, which: str) -> str:
    response = client.get(f"/monitoring/cases/{which}?year={YEAR}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_numbers_count_the_scopes_cases_only(app, web_org, cases, clock):
    admitted, waiting, elsewhere = cases
    numbers = _numbers(app, web_org, clock.now.date())
    assert (numbers.admissions, numbers.waiting, numbers.overdue) == (1, 1, 0)
    assert numbers.target_amount == 4 and numbers.target_share == 0.25
    assert numbers.forecast is not None and numbers.forecast >= 1  # what is admitted counts, never less


def test_a_task_is_overdue_the_day_after_its_due_date_not_on_it(app, web_org, cases, clock):
    _admitted, waiting, _elsewhere = cases
    due = min(t.due_date for t in waiting.tasks if t.status == "open" and t.due_date)
    assert _numbers(app, web_org, due).overdue == 0
    after = _numbers(app, web_org, date.fromordinal(due.toordinal() + 1))
    assert after.overdue == 1 and after.waiting == 1


def test_each_number_links_to_the_cases_behind_it_within_the_scope(page, cases):
    admitted, waiting, elsewhere = cases
    client = page("organizer")
    overview = client.get(f"/monitoring/?year={YEAR}").get_data(as_text=True)
    for which in headline.LISTS:
        assert f"/monitoring/cases/{which}?" in overview
    assert f'href="/cases/{admitted.id}"' in _listed(client, "admissions")
    shown = _listed(client, "waiting")
    assert f'href="/cases/{waiting.id}"' in shown and f"/cases/{elsewhere.id}" not in shown
    assert f'href="/cases/{admitted.id}"' not in shown
    forecast = _listed(client, "forecast")
    assert f'href="/cases/{waiting.id}"' in forecast and f"/cases/{elsewhere.id}" not in forecast
    assert f"/cases/{waiting.id}" not in _listed(client, "overdue")
    assert client.get(f"/monitoring/cases/everything?year={YEAR}").status_code == 404


def test_the_overview_writes_its_numbers_in_the_page_language(page, cases):
    client = page("organizer")
    shown = text(client.get(f"/monitoring/?year={YEAR}"))
    assert "25%" in shown and "Chỉ tiêu 4: đã đạt 25%" in shown
    client.post("/language", data={"locale": "en", "next": "/"})
    shown = text(client.get(f"/monitoring/?year={YEAR}"))
    assert "Target 4: 25% reached." in shown and "Admitted in 2026" in shown


def test_a_multi_year_target_is_shown_with_its_span(app, web_org, cases, clock):
    target = db.session.query(Target).one()
    target.year_from, target.year_to = 2026, 2030
    db.session.commit()
    numbers = _numbers(app, web_org, clock.now.date())
    assert numbers.target.year_to == 2030 and numbers.target_achieved == 1


def test_a_unit_without_a_target_says_so(app, web_org, cases, clock):
    db.session.query(Target).delete()
    db.session.commit()
    numbers = _numbers(app, web_org, clock.now.date())
    assert numbers.target is None and numbers.target_share is None and numbers.admissions == 1


def test_the_overview_does_not_count_a_case_of_another_year(app, web_org, cases, clock):
    scope = Scope.of(db.session, web_org.commune.id)
    numbers = headline.headline(db.session, scope=scope, period=Period.year(YEAR - 1), today=clock.now.date(),
                                workflows=known(app.extensions["casework_engine"]))
    assert numbers.admissions == 0
    rows, total = headline.cases_behind(db.session, "admissions", scope=scope, period=Period.year(YEAR - 1),
                                        today=clock.now.date(), workflows=known(app.extensions["casework_engine"]))
    assert (rows, total) == ([], 0)
    assert db.session.get(Case, cases[0].id).state == "admitted"


def test_only_the_main_line_counting_admissions_is_listed_and_forecast(app, web_org, cases, clock, monkeypatch):
    """A workflow whose main line's end is not an admission (founding a party organisation) stays out of the
    admitted list and the forecast."""
    from dataclasses import replace

    from casework.monitoring import figures

    admission = figures.REGISTERED["admission"]
    monkeypatch.setitem(figures.REGISTERED, "admission", replace(admission, main_line_measure=None))
    scope = Scope.of(db.session, web_org.commune.id)
    workflows = known(app.extensions["casework_engine"])
    assert _numbers(app, web_org, clock.now.date()).forecast is None
    assert headline.cases_behind(db.session, "admissions", scope=scope, period=Period.year(YEAR),
                                 today=clock.now.date(), workflows=workflows) == ([], 0)
