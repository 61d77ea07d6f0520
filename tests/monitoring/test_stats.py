"""Quantiles from a histogram in the database equal the same quantiles over the expanded values."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from casework.monitoring.stats import histogram_quantiles, quantile


def _histograms(seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    rows = []
    for group in range(40):
        values = rng.sample(range(0, 90), rng.randint(1, 6))  # a single value, and one-of-each, included
        rows += [(group, v, rng.choice([1, 1, 2, 3, 7])) for v in values]
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histogram_quantiles_in_the_database_match_the_expanded_values(session, seed):
    rows = _histograms(seed)
    # A UNION of literal rows (SQLite cannot name the columns of a VALUES list).
    histogram = sa.union_all(*[sa.select(sa.literal(g).label("g"), sa.literal(v).label("value"),
                                         sa.literal(n).label("n")) for g, v, n in rows]).subquery()
    got = histogram_quantiles(session, histogram, ["g"])
    for group in {g for g, _, _ in rows}:
        expanded = [v for g, v, n in rows if g == group for _ in range(n)]
        assert got[(group,)]["n"] == len(expanded)
        for p in (0.5, 0.9):
            assert got[(group,)][f"p{int(p * 100)}"] == pytest.approx(quantile(expanded, p), abs=1e-9)


@pytest.mark.parametrize("days", [0.0, 0.9999, 1.0, 2.5, 2.9999, 3.0, 364.9999])
def test_whole_days_are_completed_days_in_python_and_in_the_database(session, days):
    from casework.models.tallies import sql_whole_days, whole_days

    in_database = session.scalar(sa.select(sql_whole_days(session.get_bind().dialect.name,
                                                          sa.literal(days, sa.Float))))
    assert in_database == whole_days(days) == int(days)


def test_only_whole_calendar_years_let_the_tallies_answer():
    from datetime import date

    from casework.monitoring.scope import Period, Scope

    root = Scope(1, "/1/", "Tỉnh", root=True)
    assert Period(date(2025, 1, 1), date(2026, 12, 31)).years() == range(2025, 2027)
    assert Period(date(2026, 1, 1), date(2026, 12, 30)).years() is None
    assert Period(date(2026, 1, 2), date(2026, 12, 31)).years() is None
    assert root.reads_tallies(Period.year(2026)) and not root.reads_tallies(Period(date(2026, 1, 1), date(2026, 6, 30)))
    top = Scope(2, "/1/2/", "Xã", top=True)
    assert top.reads_tallies(Period.year(2026)) and not top.reads_tallies(Period.year(2026), below_top=True)
    assert not Scope(3, "/1/2/3/", "Chi bộ").reads_tallies(Period.year(2026))
    # The year before a leap year is a whole year too (not 365 days back from 1 January).
    assert Period.year(2025).previous() == Period.year(2024)
