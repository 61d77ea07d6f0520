"""Medians and percentiles: computed in the database from histograms (both databases, one query), with the
definition they follow written out in Python (``quantile``: linear interpolation between the two nearest
values, as PostgreSQL's ``percentile_cont``), which the tests compare them with.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.models.tallies import sql_floor

QUANTILES = (0.5, 0.9)


def quantile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram_quantiles(session: Session, histogram: sa.Subquery, keys: list[str], value: str = "value",
                        count: str = "n") -> dict[tuple, dict[str, Any]]:
    """``{key tuple: {"n", "p50", "p90"}}`` from a histogram (rows of keys, a value and how many times it
    occurs), computed in the database: a running count per group finds the values at the two ranks around
    each quantile, then ``quantile`` interpolates between them the same way. For thousands of groups this
    returns one row each instead of every (group, value) pair."""
    groups = [histogram.c[k] for k in keys]
    v, c = histogram.c[value], histogram.c[count]
    running = sa.select(*groups, v.label("v"),
                        sa.func.sum(c).over(partition_by=groups, order_by=v).label("upto"),
                        sa.func.sum(c).over(partition_by=groups).label("total")).subquery()
    # The ranks around each quantile, computed once per row (in floating point, as ``quantile`` does).
    ranks = []
    for p in QUANTILES:
        below = sql_floor(session.get_bind().dialect.name,
                          sa.literal(p, sa.Float) * (sa.cast(running.c.total, sa.Float) - 1))
        ranks += [below.label(f"below{p}"),
                  sa.case((below + 1 < running.c.total, below + 1), else_=below).label(f"above{p}")]
    ranked = sa.select(running, *ranks).subquery()
    columns = [ranked.c[k] for k in keys]
    picks = [sa.func.min(ranked.c.v).filter(ranked.c.upto > ranked.c[f"{side}{p}"])
             for p in QUANTILES for side in ("below", "above")]
    stmt = sa.select(*columns, sa.func.max(ranked.c.total).label("n"), *picks).group_by(*columns)
    out = {}
    for row in session.execute(stmt):
        key, total, ranks = tuple(row[: len(keys)]), int(row[len(keys)]), row[len(keys) + 1:]
        figures = {"n": total}
        for i, p in enumerate(QUANTILES):
            low, high = float(ranks[2 * i]), float(ranks[2 * i + 1])
            position = p * (total - 1)
            figures[f"p{int(p * 100)}"] = low + (high - low) * (position - int(position))
        out[key] = figures
    return out


def tune_for_reports(session: Session) -> None:
    """On PostgreSQL, for this transaction: room to sort a year of stays in memory rather than on disk, and
    no JIT compilation (it costs more than it saves on these short aggregate queries)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        session.execute(sa.text("SET LOCAL jit = off"))


def report_query(fn):
    """Decorator for a monitoring query taking the session first: tunes the transaction it runs in."""
    @functools.wraps(fn)
    def run(session, *args, **kwargs):
        tune_for_reports(session)
        return fn(session, *args, **kwargs)

    return run
