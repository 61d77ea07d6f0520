"""Medians and percentiles, in the database where it can compute them, with the same definition in Python.

PostgreSQL's ``percentile_cont`` interpolates linearly between the two nearest values; ``quantile`` does
exactly the same so SQLite (which has no percentile) and the tests agree with PostgreSQL to the digit.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
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


def quantile_of_counts(counts: Mapping[float, int], p: float) -> float | None:
    """``quantile`` over values given with how many times each occurs (a histogram), without expanding it."""
    total = sum(counts.values())
    if not total:
        return None
    position = p * (total - 1)
    low = int(position)
    ordered = sorted(counts.items())
    below, above = _value_at(ordered, low), _value_at(ordered, min(low + 1, total - 1))
    return below + (above - below) * (position - low)


def _value_at(ordered: list[tuple[float, int]], rank: int) -> float:
    seen = 0
    for value, n in ordered:
        seen += n
        if rank < seen:
            return value
    raise IndexError(rank)


def summarise_counts(counts: Mapping[float, int]) -> dict[str, Any]:
    return {"n": sum(counts.values()), "p50": quantile_of_counts(counts, 0.5), "p90": quantile_of_counts(counts, 0.9)}


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


def grouped_quantiles(session: Session, keys: list, value, where: Iterable, select_from) -> dict[tuple, dict[str, Any]]:
    """``{key tuple: {"n", "p50", "p90"}}`` of ``value`` grouped by ``keys``."""
    if session.get_bind().dialect.name == "postgresql":
        return _in_postgres(session, keys, value, where, select_from)
    return _in_python(session, keys, value, where, select_from)


def _in_postgres(session, keys, value, where, select_from) -> dict[tuple, dict[str, Any]]:
    columns = [sa.func.count().label("n")] + [
        sa.func.percentile_cont(p).within_group(value).label(f"p{int(p * 100)}") for p in QUANTILES]
    stmt = sa.select(*keys, *columns).select_from(select_from).where(*where).group_by(*keys)
    out = {}
    for row in session.execute(stmt):
        out[tuple(row[: len(keys)])] = {"n": row.n, "p50": row.p50, "p90": row.p90}
    return out


def _in_python(session, keys, value, where, select_from) -> dict[tuple, dict[str, Any]]:
    """Without percentile_cont (SQLite): fetch the values and interpolate here, the same way. Ranking them
    with a window function in SQLite was measured slower than sorting them in Python."""
    stmt = sa.select(*keys, value).select_from(select_from).where(*where)
    values: dict[tuple, list[float]] = defaultdict(list)
    for row in session.execute(stmt):
        values[tuple(row[:-1])].append(float(row[-1]))
    return {key: summarise(vals) for key, vals in values.items()}


def summarise(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": quantile(values, 0.5), "p90": quantile(values, 0.9)}
