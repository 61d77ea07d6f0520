"""Exports: dashboard tables as CSV and XLSX, the history as XES (read back by pm4py) and CSV, all scoped."""

from __future__ import annotations

import csv
import io
import warnings
from collections import defaultdict

import pytest
from openpyxl import load_workbook

from casework.monitoring import exports
from casework.monitoring.scope import Period, Scope
from tests.monitoring.conftest import TODAY, YEAR, communes


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_every_dashboard_table_exports_as_csv_and_xlsx(gsession, province):
    scope = Scope.of(gsession, province["root_unit_id"])
    tables = exports.dashboard_tables(exports.Report(gsession, scope, Period.year(YEAR), TODAY))
    assert set(tables) == {"pipeline", "step_durations", "overdue", "slow_committees", "stuck_cases", "targets",
                           "unions", "forecast", "foundings", "founding_durations"}
    for name, table in tables.items():
        rows = _csv_rows(exports.table_csv(table))
        assert rows[0] == table[0] and len(rows) == len(table[1]) + 1, name
        sheet = load_workbook(io.BytesIO(exports.table_xlsx(name, table))).active
        assert [c.value for c in sheet[1]] == table[0]
        assert sheet.max_row == len(table[1]) + 1


def test_event_csv_holds_exactly_the_scopes_history(gsession, history):
    commune = communes(history)[0]
    text = "".join(exports.events_csv(gsession, scope=Scope.of(gsession, commune.id)))
    rows = _csv_rows(text)[1:]
    expected = [(cid, e.seq, e.trigger) for cid, events in history.events.items()
                if history.under(commune.id, history.cases[cid].owning_cell_id) for e in events]
    assert [(int(r[0]), int(r[1]), r[2]) for r in rows] == sorted(expected)
    assert expected


def test_xes_is_read_by_pm4py_with_the_same_cases_and_activities(gsession, history, province, tmp_path):
    pm4py = _pm4py()
    commune = communes(history)[1]
    path = tmp_path / "log.xes"
    path.write_text("".join(exports.events_xes(gsession, scope=Scope.of(gsession, commune.id))), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = pm4py.read_xes(str(path))
    frame = log.rename(columns={"case:concept:name": "case", "concept:name": "activity"})
    got = defaultdict(list)
    for case, activity, seq in zip(frame["case"], frame["activity"], frame["seq"], strict=True):
        got[int(case)].append((int(seq), activity))
    expected = {cid: [(e.seq, e.trigger) for e in events] for cid, events in history.events.items()
                if history.under(commune.id, history.cases[cid].owning_cell_id)}
    assert {cid: sorted(v) for cid, v in got.items()} == expected
    assert set(frame["org:resource"]) and all("@" in r for r in frame["org:resource"])


def _pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("pm4py")


def test_a_communes_exports_never_hold_another_communes_cases(gsession, history):
    first, second = communes(history)[:2]
    scope = Scope.of(gsession, first.id)
    theirs = {cid for cid, case in history.cases.items() if history.under(second.id, case.owning_cell_id)}
    events = _csv_rows("".join(exports.events_csv(gsession, scope=scope)))[1:]
    xes = "".join(exports.events_xes(gsession, scope=scope))
    assert theirs and not {int(r[0]) for r in events} & theirs
    assert not any(f'<string key="concept:name" value="{cid}"/>' in xes for cid in theirs)
    stuck = exports.dashboard_tables(exports.Report(gsession, scope, Period.year(YEAR), TODAY))["stuck_cases"]
    assert not {row[0] for row in stuck[1]} & theirs
