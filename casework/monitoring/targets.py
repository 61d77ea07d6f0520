"""Targets per unit and year (chỉ tiêu): entering them, importing an allocation table, measuring progress.

What a target sets are the measures the workflows' packages declare (``WorkflowFigures.target_measures``) and
count (``WorkflowFigures.measures``); the allocation table has a column for each. A target may span several
years (Đồng Nai's communes aim for 1-2 members over 2026-2030); a unit that reaches its target before the span
ends counts as done from that year on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.models import Target, Unit, utcnow
from casework.monitoring.figures import TargetMeasure, known, registered, target_measures
from casework.monitoring.scope import Scope

SPAN_COLUMNS = ("unit_code", "year_from", "year_to")


def measures() -> list[TargetMeasure]:
    """The measures a target sets: those of the workflows read so far (``known`` reads the app's)."""
    known()
    return target_measures()


def measure_names() -> list[str]:
    return [m.name for m in measures()]


def columns() -> tuple[str, ...]:
    """The allocation table's columns: the unit's code, the span, then one per measure."""
    return (*SPAN_COLUMNS, *measure_names())


class ImportRefused(ValueError):
    """The allocation table has bad lines; nothing was imported. ``errors`` are (line, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(f"line {n}: {m}" for n, m in errors))
        self.errors = errors


# A plan's years, and a ceiling far above any unit's yearly target that keeps numbers in an INTEGER column.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_TARGET = 1_000_000


def whole_number(raw: Any) -> int:
    """A count or a year as typed in a form or a table cell: ASCII digits only (not "²", "1e3" or "-1"), or
    a spreadsheet's integral number; ValueError otherwise."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw if raw is not None else "").strip() or "0"
    if isinstance(raw, bool) or len(text) > 9 or not text.isascii() or not text.isdigit():
        raise ValueError("not a whole number")
    return int(text)


def target_problem(year_from: int, year_to: int, values: dict[str, int]) -> str | None:
    """What is wrong with a target, or None: the one rule for the form and the imported table."""
    if not FIRST_YEAR <= year_from <= year_to <= LAST_YEAR:
        return f"year_from and year_to must be years {FIRST_YEAR}-{LAST_YEAR}, year_from not after year_to"
    declared = measures()
    if any(not 0 <= values.get(m.name, 0) <= MAX_TARGET for m in declared):
        return f"targets must be whole numbers from 0 to {MAX_TARGET:,}"
    for m in declared:
        if m.among is not None and values.get(m.name, 0) > values.get(m.among, 0):
            return f"{m.name} are counted among {m.among} and cannot exceed them"
    return None


def set_target(session: Session, *, scope: Scope, unit_id: int, year_from: int, year_to: int,
               values: dict[str, int]) -> Target:
    """Create or replace one unit's target for a span; only units inside the organizer's scope."""
    unit = session.get(Unit, unit_id)
    if unit is None or not scope.contains(unit):
        raise LookupError(f"no unit {unit_id} in scope")
    problem = target_problem(year_from, year_to, values)
    if problem is not None:
        raise ValueError(problem)
    target = _upsert(session, unit, year_from, year_to, values)
    session.commit()
    return target


def _upsert(session: Session, unit: Unit, year_from: int, year_to: int, values: dict[str, int]) -> Target:
    target = session.scalar(sa.select(Target).where(Target.unit_id == unit.id, Target.year_from == year_from,
                                                    Target.year_to == year_to))
    if target is None:
        target = Target(unit_id=unit.id, year_from=year_from, year_to=year_to)
        session.add(target)
    target.amounts = {**(target.amounts or {}), **{name: int(values.get(name) or 0) for name in measure_names()}}
    target.updated_at = utcnow()
    return target


# --------------------------------------------------------------------------------------------------
# Import


def read_table(filename: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX allocation table, keyed by the header row."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _read_xlsx(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h or "").strip() for h in rows[0]]
    return [{h: ("" if v is None else v) for h, v in zip(header, row, strict=False)} for row in rows[1:]]


def import_targets(session: Session, *, scope: Scope, filename: str, content: bytes) -> int:
    """Import every line or none: each bad line is reported with its line number (the header is line 1)."""
    rows = read_table(filename, content)
    codes = {str(r.get("unit_code", "")).strip() for r in rows}
    units = {u.code: u for u in session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    errors, parsed = [], []
    for line, row in enumerate(rows, start=2):
        problem, values = _parse_line(row, units, scope)
        if problem:
            errors.append((line, problem))
        else:
            parsed.append(values)
    if not rows:
        errors.append((1, "the table has no lines"))
    if errors:
        raise ImportRefused(errors)
    for unit, year_from, year_to, values in parsed:
        _upsert(session, unit, year_from, year_to, values)
    session.commit()
    return len(parsed)


def _parse_line(row: dict, units: dict[str, Unit], scope: Scope):
    wanted = columns()
    missing = [c for c in wanted if c not in row]
    if missing:
        return f"missing column(s) {', '.join(missing)}", None
    unit = units.get(str(row["unit_code"]).strip())
    if unit is None or not scope.contains(unit):
        return f"unknown unit code {row['unit_code']!r}", None
    try:
        numbers = {c: whole_number(row[c]) for c in wanted[1:]}
    except ValueError:
        return "years and targets must be whole numbers", None
    values = {m: numbers[m] for m in wanted[len(SPAN_COLUMNS):]}
    problem = target_problem(numbers["year_from"], numbers["year_to"], values)
    if problem is not None:
        return problem, None
    return None, (unit, numbers["year_from"], numbers["year_to"], values)


# --------------------------------------------------------------------------------------------------
# Progress


@dataclass
class Progress:
    target: Target
    unit_name: str
    achieved: dict[str, int]
    done_in: int | None  # the first year by which every measure was met

    @property
    def done(self) -> bool:
        return self.done_in is not None

    def ratio(self, measure: str) -> float:
        wanted = self.target.value(measure)
        return 1.0 if wanted == 0 else min(1.0, self.achieved[measure] / wanted)


def targets_for(session: Session, scope: Scope, year: int) -> list[Target]:
    """Targets of the scope's units whose span includes the year."""
    return list(session.scalars(
        sa.select(Target).join(Unit, Unit.id == Target.unit_id)
        .where(Unit.within(scope.path), Target.year_from <= year, Target.year_to >= year)
        .order_by(Unit.path)))


def target_progress(session: Session, *, scope: Scope, year: int, today: date) -> list[Progress]:
    """Every target whose span includes the year, with what was achieved from the span's start to the year's
    end (or today), and the year in which it was met if it was."""
    targets = targets_for(session, scope, year)
    if not targets:
        return []
    first = min(t.year_from for t in targets)
    last = min(year, today.year)
    achieved = achieved_by_unit(session, scope=scope, year_from=first, year_to=last,
                                units={t.unit_id for t in targets})
    names = dict(session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_([t.unit_id for t in targets]))).all())
    return [_progress(t, names[t.unit_id], {m: achieved.get(m, {}).get(t.unit_id, {}) for m in measure_names()},
                      last) for t in targets]


def achieved_by_unit(session: Session, *, scope: Scope, year_from: int, year_to: int,
                     units: set[int]) -> dict[str, dict[int, dict[int, int]]]:
    """``{measure: {unit: {year: n}}}``: every measure the workflows' packages count (``WorkflowFigures.measures``:
    admission's admissions and business owners, founding's new party organisations); a measure no package counts
    is achieved nowhere."""
    known()  # the packages' figures are registered once their workflows are read
    out: dict[str, dict[int, dict[int, int]]] = {}
    for package in registered():
        if package.measures is not None:
            out.update(package.measures(session, scope=scope, year_from=year_from, year_to=year_to, units=units))
    return out


def _progress(target: Target, name: str, achieved: dict[str, dict[int, int]], last: int) -> Progress:
    running = dict.fromkeys(achieved, 0)
    done_in = None
    for year in range(target.year_from, min(last, target.year_to) + 1):
        for measure in achieved:
            running[measure] += achieved[measure].get(year, 0)
        if done_in is None and achieved and all(running[m] >= target.value(m) for m in achieved):
            done_in = year
    return Progress(target, name, running, done_in)
