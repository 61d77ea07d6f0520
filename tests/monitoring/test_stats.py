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
