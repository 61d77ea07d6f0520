"""Exports: each dashboard table as CSV or XLSX, and the event history as an XES event log or CSV.

The event history is streamed (rows read in batches, text yielded piece by piece) so a national export does
not sit in memory; every export filters cases through the organizer's scope like the dashboard does.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.localtime import as_utc
from casework.models import Case, Event, Unit
from casework.monitoring import figures as registry
from casework.monitoring import queries, targets
from casework.monitoring.calendar import ensure_calendar
from casework.monitoring.figures import Workflows, known
from casework.monitoring.scope import Period, Scope, children
from casework.spreadsheets import CsvWriter, xlsx_row

Table = tuple[list[str], list[list[Any]]]


# --------------------------------------------------------------------------------------------------
# Dashboard tables


@dataclass(frozen=True)
class Report:
    """What the dashboard is asked for: whose figures, which year, as of which day; and the workflows' definitions
    (the app's engine's by default)."""

    session: Session
    scope: Scope
    period: Period
    today: date
    workflows: Workflows = field(default_factory=known)

    @property
    def year(self) -> int:
        return self.period.start.year


# Each generic dashboard figure (for the cases of every workflow): the query that computes it.
GENERIC: dict[str, Callable[[Report], Any]] = {
    "pipeline": lambda r: queries.pipeline(r.session, scope=r.scope, period=r.period, workflows=r.workflows),
    "step_durations": lambda r: queries.step_durations(r.session, scope=r.scope, period=r.period,
                                                       workflows=r.workflows),
    "overdue": lambda r: queries.overdue_heatmap(r.session, scope=r.scope, today=r.today, workflows=r.workflows),
    "slow_committees": lambda r: queries.slow_committees(r.session, scope=r.scope, period=r.period, today=r.today,
                                                         workflows=r.workflows),
    "stuck_cases": lambda r: queries.stuck_cases(r.session, scope=r.scope, today=r.today, workflows=r.workflows),
    "targets": lambda r: targets.target_progress(r.session, scope=r.scope, year=r.year, today=r.today),
}


class _Figures(Mapping):
    """Every dashboard figure: the generic ones, then those the workflows' packages register
    (``casework.monitoring.figures``), as they stand when read."""

    def _all(self) -> dict[str, Callable[[Report], Any]]:
        return {**GENERIC, **{name: figure.compute for package in registry.registered()
                              for name, figure in package.figures.items()}}

    def __getitem__(self, name: str) -> Callable[[Report], Any]:
        return self._all()[name]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


FIGURES: Mapping[str, Callable[[Report], Any]] = _Figures()


def dashboard_figures(report: Report, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The named figures (all by default), each query run once, in turn on the report's session: a page asks
    only for the few its tab shows, so no request needs a pool of threads and connections of its own."""
    ensure_calendar(report.session, max(report.today, report.period.end))  # the one write, done first
    every = dict(FIGURES)
    return {name: every[name](report) for name in (every if names is None else names)}


def dashboard_tables(report: Report, figures: dict[str, Any] | None = None) -> dict[str, Table]:
    """The figures as tables (header, rows): the one source for pages and downloads. Only the figures given
    (all of them, computed here, by default)."""
    figures = dashboard_figures(report) if figures is None else figures
    names = {k: u.name for k, u in children(report.session, report.scope).items()}
    tables = {**TABLES, **{name: figure.table for package in registry.registered()
                           for name, figure in package.figures.items()}}
    return {name: tables[name](result, names) for name, result in figures.items()}


def _pipeline_table(data, names) -> Table:
    states = data["states"]
    rows = [[names.get(key, key), *[counts.get(s, 0) for s in states], sum(counts.values())]
            for key, counts in sorted(data["by_unit"].items(), key=lambda kv: names.get(kv[0], kv[0]))]
    rows.append([TOTAL, *[data["by_state"][s] for s in states], data["total"]])
    return ["unit", *states, "total"], rows


# The label of a table's total row, in the downloads as on the page (where it reads in the page language).
TOTAL = "total"


def _durations_table(durations, _names) -> Table:
    rows = []
    for state, figures in durations.items():
        now, before = figures["now"] or {}, figures["before"] or {}
        rows.append([state, now.get("n", 0), _round(now.get("p50")), _round(now.get("p90")),
                     before.get("n", 0), _round(before.get("p50")), _round(before.get("p90")),
                     _round(figures["change_p50"])])
    return ["state", "stays", "median_days", "p90_days", "previous_stays", "previous_median_days",
            "previous_p90_days", "median_change_days"], rows


def _overdue_table(heat, _names) -> Table:
    rows = [[heat["unit_names"].get(u, u), *[heat["cells"].get((s, u), 0) for s in heat["states"]]]
            for u in heat["units"]]
    return ["unit", *heat["states"]], rows


def _committees_table(committees, _names) -> Table:
    rows = [[r["name"], r["part_of"], r["replies"], _round(r["p50"]), _round(r["p90"]), r["open"], r["overdue"],
             r["oldest"]] for r in committees]
    return ["committee", "part_of", "replies", "median_working_days", "p90_working_days", "awaiting", "overdue",
            "oldest_wait_working_days"], rows


def _stuck_table(stuck, _names) -> Table:
    rows = [[r["case_id"], r["url"], r["title"], r["cell"], r["state"], r["since"], r["days"],
             r["overdue"]] for r in stuck]
    return ["case_id", "url", registry.title_column(), "cell", "state", "since", "days", "overdue"], rows


def _targets_table(progress, _names) -> Table:
    """Per target: its unit and span, then for each measure the packages declare its target and what was achieved
    (columns ``<measure>_target``, ``<measure>``), and the year it was met."""
    names = targets.measure_names()
    rows = []
    for p in progress:
        t = p.target
        rows.append([p.unit_name, t.year_from, t.year_to,
                     *(value for m in names for value in (t.value(m), p.achieved.get(m, 0))), p.done_in])
    return ["unit", "year_from", "year_to", *(c for m in names for c in (f"{m}_target", m)), "done_in"], rows


TABLES = {"pipeline": _pipeline_table, "step_durations": _durations_table, "overdue": _overdue_table,
          "slow_committees": _committees_table, "stuck_cases": _stuck_table, "targets": _targets_table}


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def table_csv(table: Table) -> str:
    header, rows = table
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def table_xlsx(name: str, table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    header, rows = table
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# Event history

EVENT_COLUMNS = ["case_id", "seq", "activity", "timestamp", "from_state", "state", "actor_role", "actor_unit_id",
                 "actor_unit"]
BATCH = 5000


def _event_rows(session: Session, scope: Scope, period: Period | None) -> Iterator[sa.Row]:
    """Events of the scope's cases in case and seq order, fetched in batches (server-side on PostgreSQL)."""
    unit = aliased(Unit)
    stmt = (sa.select(Event.case_id, Event.seq, Event.trigger, Event.occurred_at, Event.from_state, Event.to_state,
                      Event.actor_role, Event.actor_unit_id, unit.name.label("unit_name"), Case.workflow)
            .join(Case, Case.id == Event.case_id).outerjoin(unit, unit.id == Event.actor_unit_id)
            .where(scope.case_filter()).order_by(Event.case_id, Event.seq))
    if period is not None:
        stmt = stmt.where(queries._within(Event.occurred_at, period))
    yield from session.execute(stmt.execution_options(yield_per=BATCH, stream_results=True))


def events_csv(session: Session, *, scope: Scope, period: Period | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(EVENT_COLUMNS)
    for n, row in enumerate(_event_rows(session, scope, period)):
        writer.writerow([row.case_id, row.seq, row.trigger, as_utc(row.occurred_at).isoformat(), row.from_state or "",
                         row.to_state, row.actor_role or "", row.actor_unit_id or "", row.unit_name or ""])
        if n % 1000 == 999:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace"><string key="concept:name" value=""/></global>
  <global scope="event"><string key="concept:name" value=""/>
    <date key="time:timestamp" value="1970-01-01T00:00:00+00:00"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="casework {workflows}"/>
"""


def events_xes(session: Session, *, scope: Scope, period: Period | None = None,
               workflows: Workflows | None = None) -> Iterator[str]:
    """The history as an XES log named after the workflows defined: a trace per case (with its workflow, so a
    tool can split the log by workflow); an event per step with
    activity (trigger), timestamp, resource (role @ unit), role, group (unit) and the state the step led to."""
    names = " ".join(sorted({wf.name for wf in (workflows or known()).definitions}))
    yield XES_HEAD.format(workflows=escape(names, {'"': "&quot;"}))
    current, parts = None, []
    for row in _event_rows(session, scope, period):
        if row.case_id != current:
            if current is not None:
                parts.append("  </trace>\n")
            parts.append(f'  <trace>\n    <string key="concept:name" value="{row.case_id}"/>\n'
                         f'    <string key="workflow" value={quoteattr(row.workflow)}/>\n')
            current = row.case_id
        parts.append(_xes_event(row))
        if len(parts) > 2000:
            yield "".join(parts)
            parts = []
    if current is not None:
        parts.append("  </trace>\n")
    parts.append("</log>\n")
    yield "".join(parts)


def _xes_event(row) -> str:
    resource = f"{row.actor_role or ''}@{row.unit_name or row.actor_unit_id or ''}"
    attrs = [("string", "concept:name", row.trigger), ("date", "time:timestamp", as_utc(row.occurred_at).isoformat()),
             ("string", "org:resource", resource), ("string", "org:role", row.actor_role or ""),
             ("string", "org:group", row.unit_name or ""), ("string", "state", row.to_state),
             ("string", "from_state", row.from_state or ""), ("int", "seq", row.seq)]
    inner = "".join(f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>" for kind, key, value in attrs)
    return f"    <event>{inner}</event>\n"
