"""Bringing in the cases a province already has in progress, kept in spreadsheets: one row per case.

A row gives what the workflow's start step records (the subject — for admission the candidate — and the
referral), the unit owning the case (its code), the state the case stands in now (its name, or its label in
Vietnamese or English) and the key dates it has so far. The columns come from the definition
(``import_columns``), so each workflow, and each version, has its own template.

Every row is checked against the definition before anything is written: the state must be an open state; the
dates a case in that state must have (``casework.engine.reaching``) must be there, none it cannot have yet, and
in order; units must exist (and lie within the importing administrator's units); the start step's fields and
guards must accept the row; no subject twice in the file or with an open case already. Every problem is named by
line and column, in Vietnamese and English. One problem and nothing is imported; a dry run does everything,
tasks included, and rolls it back, so its report says exactly what the import would create.

Each imported case opens with one event, the engine's reserved trigger ``imported``, whose ``changes`` carry
its version, state, stage, key dates and the start step's facts (``casework.engine.projection`` replays them as
it replays a ``migrate`` event) and whose ``data`` carries the source row (file, line, values as typed). The
tasks of its state are created as entering that state creates them (``casework.engine.tasks.create_tasks``),
due from its dates, and the step listeners (monitoring's visits and tallies) are told as for any step; from
then on the case moves like any other.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from casework.engine import hooks
from casework.engine.context import StepContext
from casework.engine.effects import EFFECTS, Effect
from casework.engine.errors import Invalid, PermissionDenied
from casework.engine.fields import FieldContext, parse_fields, to_json
from casework.engine.packages import package_of
from casework.engine.projection import apply_changes
from casework.engine.reaching import DatesByState, dates_by_state
from casework.engine.reasons import Reason, format_date_vi
from casework.engine.routing import authority_of, grassroots_of
from casework.engine.step import Step, check_guards, recorded_changes
from casework.engine.tasks import create_tasks
from casework.engine.validation import IMPORT_TRIGGER
from casework.localtime import day_start
from casework.models import Case, Event, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine
    from casework.engine.definition import FieldDef, TransitionDef, WorkflowDef
    from casework.models import User

IMPORT_LABEL = {"vi": "Nhập hồ sơ đang thực hiện từ bảng tính",
                "en": "Imported from a spreadsheet of cases in progress"}
ADMIN_ROLE = "admin"
WRITTEN_AT_ONCE = 100  # cases per flush
STATE, STAGE, OWNER = "state", "stage", "owning_cell"
_TRUE, _FALSE = {"true", "1", "yes", "x", "có", "co"}, {"false", "0", "no", "không", "khong"}
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------------------------------
# The columns


@dataclass(frozen=True)
class Column:
    """One column of the import file. ``kind``: the state, its stage, the owning unit's code, a field of the
    start step (``field``), or a key date recorded later in the procedure."""

    name: str
    label: dict[str, str]
    kind: str
    required: bool = False
    field: FieldDef | None = None


def import_columns(wf: WorkflowDef) -> list[Column]:
    """The columns of this version's import file, in the template's order."""
    columns = [Column(STATE, {"vi": "Trạng thái hiện tại (tên hoặc nhãn)", "en": "Current state (name or label)"},
                      "state", True)]
    if any(s.stages for s in wf.states.values() if not s.terminal):
        columns.append(Column(STAGE, {"vi": "Bước trong trạng thái (bỏ trống: bước đầu)",
                                      "en": "Stage within the state (blank: the first)"}, "stage"))
    columns.append(Column(OWNER, {"vi": "Mã đơn vị quản lý hồ sơ (chi bộ)", "en": "Code of the unit owning the case "
                                  "(cell)"}, "owner", True))
    start = wf.start_transition
    taken = {c.name for c in columns}
    for fdef in start.fields:
        if fdef.name not in taken:
            columns.append(Column(fdef.name, fdef.label, "field", fdef.required, fdef))
    taken |= {f.name for f in start.fields} | {start.target_of(f) for f in start.fields}
    columns += [Column(name, d.label, "date") for name, d in wf.dates.items() if name not in taken]
    return columns


def example_row(wf: WorkflowDef) -> dict[str, str]:
    """The template's example: the package's (``WorkflowPackage.import_example``), else one value of each
    column's type; only this version's columns."""
    given = package_of(wf.name).import_example or {}
    row = {}
    for column in import_columns(wf):
        if column.name in given:
            row[column.name] = given[column.name]
        elif column.kind == "state":
            row[column.name] = wf.initial
        elif column.kind == "owner" or (column.field is not None and column.field.type == "unit"):
            row[column.name] = "CODE"
        elif column.field is not None and column.required:
            row[column.name] = _example_value(column.field)
        else:
            row[column.name] = ""
    return row


def _example_value(fdef: FieldDef) -> str:
    if fdef.type == "date":
        return "2026-01-05"
    if fdef.type == "choice":
        return fdef.choices[0]
    if fdef.type == "boolean":
        return "false"
    if fdef.type == "integer":
        return str(fdef.min or 0)
    return fdef.label.get("vi", fdef.name)


# --------------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Problem:
    """Why one line (or the file, line 1) cannot be imported; ``column`` names the column at fault."""

    line: int
    column: str
    code: str
    vi: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "code": self.code, "vi": self.vi, "en": self.en}


@dataclass
class PlannedCase:
    """One row, checked: the case it opens (or opened), in which state, with which dates and tasks."""

    line: int
    title: str
    state: str
    stage: str | None
    owner: str  # the owning unit's code
    dates: dict[str, date]
    values: dict[str, Any] = field(repr=False)  # the start step's fields, parsed
    raw: dict[str, str] = field(repr=False)
    case: Case = field(repr=False)
    entered_on: date | None = None  # the day it entered its state, when a date of the row says so
    case_id: int | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "case_id": self.case_id, "title": self.title, "state": self.state,
                "stage": self.stage, "owning_cell": self.owner,
                "dates": {k: v.isoformat() for k, v in self.dates.items()}, "tasks": self.tasks}


@dataclass
class ImportReport:
    file: str
    workflow: str
    version: int
    dry_run: bool
    cases: list[PlannedCase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.dry_run and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "workflow": self.workflow, "version": self.version, "dry_run": self.dry_run,
                "imported": self.imported, "cases": [c.as_dict() for c in self.cases],
                "problems": [p.as_dict() for p in self.problems]}


# --------------------------------------------------------------------------------------------------
# Importing


def import_cases(*, session: Session, engine: Engine, rows: list[dict[str, Any]], filename: str, workflow: str,
                 version: int | None = None, user: User | None = None, dry_run: bool = True) -> ImportReport:
    """Check every row (``rows`` as ``casework.spreadsheets.read_rows`` gives them), then import them all in one
    transaction, or nothing. A real import needs ``user``, an administrator: the history names them, and each
    case's owning unit must lie within the units they administer (a dry run with ``user`` checks that too).
    ``version``: the version the cases follow (default: the one new cases start on today)."""
    wf = engine.workflow(workflow, version)
    if not dry_run and user is None:
        raise PermissionDenied("an administrator must be named", [Reason(
            "actor_required", "Cần chỉ định quản trị viên thực hiện việc nhập.",
            "Name the administrator who imports the cases.")])
    units = _admin_units(session, user) if user is not None else None
    report = ImportReport(filename, wf.name, wf.version, dry_run)
    checker = _RowChecker(session, engine, wf, units, user)
    report.problems = checker.header(rows)
    if not report.problems:
        checker.read_units(rows)
        read = [checker.read(row) for row in rows]
        read_ahead = package_of(wf.name).read_ahead
        with read_ahead(session, [r.values for r in read if r]) if read_ahead else contextlib.nullcontext():
            for row in read:
                planned = checker.check(row) if row else None
                if planned is not None:
                    report.cases.append(planned)
        report.cases = checker.open_elsewhere(report.cases)
        report.problems = sorted(checker.problems, key=lambda p: p.line)
    if report.problems:
        session.rollback()  # a candidate found by its key may have taken a refused row's details
        report.cases = []  # a refused file creates nothing
        return report
    try:
        actor = (user, units)
        # A hundred cases with their events and tasks are written by one flush, in batched statements (the
        # notices of their tasks in one statement, which SQLite bounds at 500 rows); the step listeners are told
        # afterwards, case by case, as for any step (they flush first, which then has nothing left).
        for batch in _chunks(report.cases, WRITTEN_AT_ONCE):
            with session.no_autoflush:
                steps = [_write(session, engine, wf, planned, filename, actor) for planned in batch]
            session.flush()
            for step in steps:
                hooks.step_taken(session, step)
        session.flush()
    except IntegrityError:
        session.rollback()
        report.problems = [Problem(0, "", "concurrent_import", "Một hồ sơ của cùng đối tượng vừa được mở trong lúc "
                                   "nhập; không nhập gì cả, hãy thử lại.", "A case for one of these subjects was "
                                   "opened meanwhile; nothing was imported, try again.")]
        return report
    for planned in report.cases:
        planned.case_id = planned.case.id
        planned.tasks = [_task_json(session, t) for t in planned.case.tasks]
    if dry_run:
        session.rollback()
        for planned in report.cases:
            planned.case_id = None
    else:
        session.commit()
    return report


def _admin_units(session: Session, user: User) -> list[Unit]:
    units = [session.get(Unit, r.unit_id) for r in user.roles if r.role == ADMIN_ROLE]
    if not units:
        raise PermissionDenied("administrators only", [Reason(
            "admin_only", "Chỉ quản trị viên mới được nhập hồ sơ đang thực hiện.",
            "Only an administrator may import cases in progress.", {"role": ADMIN_ROLE})])
    return units


def _task_json(session: Session, task) -> dict[str, Any]:
    unit = session.get(Unit, task.unit_id)
    return {"kind": task.kind, "role": task.role, "unit": unit.name if unit else None,
            "due_date": task.due_date.isoformat() if task.due_date else None}


def _write(session: Session, engine: Engine, wf: WorkflowDef, planned: PlannedCase, filename: str,
           actor: tuple[User | None, list[Unit] | None]) -> Step:
    """The case opened in its state: the ``imported`` event, the projection and the state's entry tasks, in the
    caller's transaction; the step to tell the step listeners once it is written."""
    user, units = actor
    case, now, today = planned.case, engine.now(), engine.today()
    start = wf.start_transition
    changes: dict[str, Any] = {"workflow_version": wf.version, "state": planned.state, "state_seq": 1,
                               "stage": planned.stage}
    changes.update(recorded_changes(start, planned.values, wf.dates, skip=package_of(wf.name).subject_fields))
    changes["dates"] = {**changes.get("dates", {}), **{n: d.isoformat() for n, d in planned.dates.items()}}
    if planned.entered_on is not None:  # the time in its state counts from the row's date, not from the import
        changes["state_entered_at"] = min(day_start(planned.entered_on), now).isoformat()
    cell = session.get(Unit, case.owning_cell_id)
    inside = [u for u in units or [] if cell.is_within(u)]
    event = Event(case=case, seq=1, trigger=IMPORT_TRIGGER, from_state=None, to_state=planned.state,
                  actor_id=user.id if user else None, actor_role=ADMIN_ROLE if user else None,
                  actor_unit_id=max(inside, key=lambda u: len(u.path)).id if inside else None, occurred_at=now,
                  data={"label": IMPORT_LABEL, "source": {"file": filename, "line": planned.line,
                                                          "values": planned.raw},
                        "fields": to_json(planned.values)},
                  changes=changes, flags=[])
    case.last_event_seq = 1
    session.add(case)
    session.add(event)
    apply_changes(case, changes, now)
    case.updated_at = now
    create_tasks(session, case, wf.states[planned.state].tasks_on_entry(planned.stage), today=today,
                 rules=engine.rules, now=now)
    return Step(event, case, None)


# --------------------------------------------------------------------------------------------------
# Checking the rows


def _cell_text(value: Any) -> str:
    """A cell as typed: spreadsheet dates as ISO dates, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_date(text: str) -> date | None:
    """A date written as YYYY-MM-DD or dd/mm/yyyy (also with dots or dashes); None when it is not a real date."""
    try:
        if _ISO.fullmatch(text):
            return date.fromisoformat(text)
        match = _DMY.fullmatch(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


@dataclass
class _ReadRow:
    line: int
    raw: dict[str, str]
    state: str
    stage: str | None
    owner: Unit
    values: dict[str, Any]
    dates: dict[str, date]


class _CaseSoFar:
    """The case as an effect reads it at the step that produced a date: the row's key dates (``read`` notes
    which), the rest from the case being opened."""

    def __init__(self, case: Case, dates: dict[str, date], read: list[str]):
        self._case, self._dates, self._read = case, dates, read

    def date(self, name: str) -> date | None:
        self._read.append(name)
        return self._dates.get(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


class _Reading(dict):
    """A step's submitted values that note which key dates an effect reads."""

    def __init__(self, data: dict[str, date], tdef: TransitionDef, read: list[str]):
        super().__init__(data)
        self._tdef, self._read = tdef, read

    def __getitem__(self, key: str) -> Any:
        fdef = next((f for f in self._tdef.fields if f.name == key), None)
        self._read.append(self._tdef.target_of(fdef) if fdef is not None else key)
        return super().__getitem__(key)


def _chunks(values: list, size: int = 500) -> list[list]:
    """Values for ``IN (...)``, a few hundred at a time (a database bounds a statement's parameters)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def _label(labels: dict[str, str], name: str) -> tuple[str, str]:
    return labels.get("vi", name), labels.get("en", name)


class _RowChecker:
    """Checks rows one by one, collecting every problem; remembers the subjects already seen in the file."""

    def __init__(self, session: Session, engine: Engine, wf: WorkflowDef, units: list[Unit] | None,
                 user: User | None):
        self.session, self.engine, self.wf, self.units, self.user = session, engine, wf, units, user
        self.today = engine.today()
        self.columns = {c.name: c for c in import_columns(wf)}
        self.dates: DatesByState = dates_by_state(wf)
        start = wf.start_transition
        self.start_dates = {start.target_of(f): f.name for f in start.fields if start.target_of(f) in wf.dates}
        self.not_future = {t.target_of(f) for t in wf.transitions for f in t.fields if f.type == "date"
                           and f.not_future}
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}  # subject key -> line
        self._units: dict[str, Unit | None] = {}
        self._held: list[Unit] = []
        self._entering: dict[str, set[str]] = {}  # state -> the dates the steps into it record
        self._cells: dict[int, tuple[Unit | None, Unit | None]] = {}  # cell id -> (grassroots, authority)
        self._keys: dict[str, tuple[int, str]] = {}  # subject key -> (line, column)

    def problem(self, line: int, column: str, code: str, vi: str, en: str) -> None:
        self.problems.append(Problem(line, column, code, vi, en))

    def header(self, rows: list[dict[str, Any]]) -> list[Problem]:
        """The file's own problems (line 1): no rows, columns that are not the template's, missing columns."""
        problems: list[Problem] = []
        if not rows:
            return [Problem(1, "", "no_rows", "Tệp không có dòng hồ sơ nào (dòng 1 là tiêu đề cột).",
                            "The file has no case rows (line 1 holds the column names).")]
        present = {name for name in rows[0] if name != "_line"}
        for name in sorted(present - set(self.columns)):
            problems.append(Problem(1, name, "unknown_column", f"Cột “{name}” không có trong mẫu của quy trình này.",
                                    f"The column “{name}” is not one of this workflow's template."))
        for column in self.columns.values():
            if column.required and column.name not in present:
                problems.append(Problem(1, column.name, "missing_column", f"Thiếu cột “{column.name}”.",
                                        f"The column “{column.name}” is missing."))
        return problems

    # ---- one row

    def read(self, row: dict[str, Any]) -> _ReadRow | None:
        """The row's cells read (state, owner, the start step's fields, the dates); None, with the problems,
        when any cannot be."""
        line = row["_line"]
        before = len(self.problems)
        raw = {name: _cell_text(value) for name, value in row.items() if name != "_line"}
        state, stage = self._state(line, raw)
        owner = self._owner(line, raw.get(OWNER, ""))
        values = self._start_fields(line, raw)
        dates = self._dates(line, raw, values, state)
        if len(self.problems) > before:
            return None
        return _ReadRow(line, raw, state, stage, owner, values, dates)

    def check(self, row: _ReadRow) -> PlannedCase | None:
        """The case a read row opens, checked as the start step checks a referral (within the package's
        ``read_ahead`` for the file, when it has one)."""
        line, raw, state, stage, owner, values, dates = (row.line, row.raw, row.state, row.stage, row.owner,
                                                         row.values, row.dates)
        case = self._open(line, values)
        if case is None:
            return None
        dates = self._derived(line, case, values, state, dates)
        if dates is None:
            return None
        self._place(case, owner, self._referred_on(dates, values))
        if not self._unique(line, case, values) or not self._guards(line, case, values):
            return None
        return PlannedCase(line, case.title, state, stage, owner.code, dates, values, raw, case,
                           self._entered_on(state, dates, values))

    def _entered_on(self, state: str, dates: dict[str, date], values: dict[str, Any]) -> date | None:
        """The latest of the dates the steps into ``state`` record from their fields, as far as the row gives
        them (and not after today)."""
        if state not in self._entering:
            self._entering[state] = {t.target_of(f) for t in self.wf.transitions
                                     if state in {d.state for d in t.destinations} and state not in t.sources
                                     for f in t.fields if f.type == "date"} & set(self.wf.dates)
        known = dict(dates)
        known.update({name: values[f] for name, f in self.start_dates.items() if isinstance(values.get(f), date)})
        given = [known[name] for name in self._entering[state] if name in known and known[name] <= self.today]
        return max(given, default=None)

    def _state(self, line: int, raw: dict[str, str]) -> tuple[str | None, str | None]:
        text = raw.get(STATE, "")
        wf = self.wf
        if not text:
            self.problem(line, STATE, "required", "Trạng thái: bắt buộc.", "State: is required.")
            return None, None
        wanted = text.casefold()
        state = next((s for s in wf.states.values() if wanted in (s.name.casefold(), s.label["vi"].casefold(),
                                                                  s.label["en"].casefold())), None)
        if state is None:
            names = ", ".join(s.name for s in wf.states.values() if not s.terminal)
            self.problem(line, STATE, "unknown_state", f"Quy trình không có trạng thái “{text}” (có: {names}).",
                         f"The workflow has no state “{text}” (it has: {names}).")
            return None, None
        if state.terminal:
            self.problem(line, STATE, "closed_state", f"“{state.label['vi']}” là trạng thái kết thúc: chỉ nhập hồ sơ "
                         "đang thực hiện.", f"“{state.label['en']}” is a closing state: only cases in progress are "
                         "imported.")
            return None, None
        return state.name, self._stage(line, state, raw.get(STAGE, ""))

    def _stage(self, line: int, state, text: str) -> str | None:
        if not state.stages:
            if text:
                self.problem(line, STAGE, "no_stages", f"Trạng thái “{state.label['vi']}” không chia bước; bỏ trống "
                             "cột này.", f"The state “{state.label['en']}” has no stages; leave this column blank.")
            return None
        if not text:
            return state.stages[0]
        if text not in state.stages:
            listed = ", ".join(state.stages)
            self.problem(line, STAGE, "unknown_stage", f"Trạng thái “{state.label['vi']}” không có bước “{text}” "
                         f"(có: {listed}).", f"The state “{state.label['en']}” has no stage “{text}” (it has: "
                         f"{listed}).")
            return None
        return text

    def read_units(self, rows: list[dict[str, Any]]) -> None:
        """Every unit the file names by code, with the units above them and the cells assigned to them, read in a
        few queries for the whole file and held for its length (routing then finds them in the session)."""
        names = [OWNER, *(f.name for f in self.wf.start_transition.fields if f.type == "unit")]
        codes = sorted({_cell_text(row.get(name)) for row in rows for name in names} - {""})
        found: list[Unit] = []
        for chunk in _chunks(codes):
            found += self.session.scalars(sa.select(Unit).where(Unit.code.in_(chunk))).all()
        self._units.update(dict.fromkeys(codes))
        self._units.update({u.code: u for u in found})
        held = {u.id for u in found}
        wanted = found
        while wanted:  # the units above them, and the cells assigned to them (and the units above those)
            ids = sorted({i for u in wanted for i in (*u.ancestor_ids, u.assigned_cell_id) if i is not None} - held)
            wanted = []
            for chunk in _chunks(ids):
                wanted += self.session.scalars(sa.select(Unit).where(Unit.id.in_(chunk))).all()
            held.update(ids)
            found += wanted
        self._held = found  # the session's identity map holds objects only while something refers to them

    def unit(self, code: str) -> Unit | None:
        if code not in self._units:
            self._units[code] = self.session.scalar(sa.select(Unit).where(Unit.code == code))
        return self._units[code]

    def _owner(self, line: int, code: str) -> Unit | None:
        if not code:
            self.problem(line, OWNER, "required", "Mã đơn vị quản lý hồ sơ: bắt buộc.",
                         "Owning unit's code: is required.")
            return None
        unit = self.unit(code)
        if unit is None:
            self.problem(line, OWNER, "unknown_unit", f"Không có đơn vị mã “{code}”.", f"There is no unit with the "
                         f"code “{code}”.")
        elif not unit.is_party_unit():
            self.problem(line, OWNER, "not_party_unit", f"{unit.name} không phải tổ chức đảng.",
                         f"{unit.name} is not a party organisation.")
        elif self.units is not None and not any(unit.is_within(u) for u in self.units):
            self.problem(line, OWNER, "outside_your_units", f"{unit.name} không thuộc các đơn vị bạn quản trị.",
                         f"{unit.name} is not within the units you administer.")
        else:
            return unit
        return None

    def _start_fields(self, line: int, raw: dict[str, str]) -> dict[str, Any]:
        """The start step's fields, typed as a spreadsheet types them (unit codes, dd/mm/yyyy, labels), parsed by
        the engine's own field parsers."""
        start = self.wf.start_transition
        data: dict[str, Any] = {}
        refused: set[str] = set()
        for fdef in start.fields:
            text = raw.get(fdef.name, "")
            if not text:
                continue
            value = self._typed(line, fdef, text)
            if value is None:
                refused.add(fdef.name)
            else:
                data[fdef.name] = value
        values, reasons = parse_fields(start.fields, data, FieldContext(self.session, None, self.today))
        for reason in reasons:
            column = reason.params.get("field", "")
            if column not in refused:
                self.problem(line, column, reason.code, reason.vi, reason.en)
        return values

    def _typed(self, line: int, fdef: FieldDef, text: str) -> Any:
        """What the field parser takes for this cell; None (with a problem) when the cell cannot be read."""
        vi, en = _label(fdef.label, fdef.name)
        if fdef.type == "unit":
            unit = self.unit(text)
            if unit is None:
                self.problem(line, fdef.name, "unknown_unit", f"{vi}: không có đơn vị mã “{text}”.",
                             f"{en}: there is no unit with the code “{text}”.")
                return None
            return unit.id
        if fdef.type == "date":
            value = read_date(text)
            if value is None:
                self.problem(line, fdef.name, "bad_date", f"{vi}: “{text}” không phải ngày (dd/mm/yyyy).",
                             f"{en}: “{text}” is not a date (dd/mm/yyyy or YYYY-MM-DD).")
                return None
            return value.isoformat()
        if fdef.type == "choice":
            wanted = text.casefold()
            for choice in fdef.choices:
                labels = self.wf.choice_labels.get(choice, {})
                if wanted in {choice.casefold(), *(v.casefold() for v in labels.values())}:
                    return choice
            return text
        if fdef.type == "boolean":
            wanted = text.casefold()
            return "true" if wanted in _TRUE else "false" if wanted in _FALSE else text
        if fdef.type == "member_ids":
            return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
        return text

    def _dates(self, line: int, raw: dict[str, str], values: dict[str, Any], state: str | None) -> dict[str, date]:
        """The key dates the row gives beyond the start step's: readable, not in the future where their step
        forbids it, those the state requires present, none the state cannot have yet, and in order."""
        dates: dict[str, date] = {}
        for name in self.wf.dates:
            column = self.columns.get(name)
            if column is None or column.kind != "date" or not raw.get(name):
                continue
            vi, en = _label(self.wf.dates[name].label, name)
            value = read_date(raw[name])
            if value is None:
                self.problem(line, name, "bad_date", f"{vi}: “{raw[name]}” không phải ngày (dd/mm/yyyy).",
                             f"{en}: “{raw[name]}” is not a date (dd/mm/yyyy or YYYY-MM-DD).")
            elif name in self.not_future and value > self.today:
                self.problem(line, name, "date_in_future", f"{vi}: không được sau ngày hôm nay.",
                             f"{en}: cannot be in the future.")
            else:
                dates[name] = value
        if state is None:
            return dates
        self._dates_for_state(line, state, dates, given={name for name in self.wf.dates if raw.get(name)})
        known = dict(dates)
        known.update({name: values[f] for name, f in self.start_dates.items() if isinstance(values.get(f), date)})
        self._dates_in_order(line, known)
        return dates

    def _dates_for_state(self, line: int, state: str, dates: dict[str, date], given: set[str]) -> None:
        """``given``: the dates whose cells are filled in (an unreadable one was reported already). A date an
        effect works out from the others (``_derived``) need not be given when those others are."""
        label = self.wf.states[state].label
        for name in self.dates.required[state]:
            # The start step's own fields say whether they are needed.
            if name not in given and name not in self.start_dates and not self._derivable(state, name, dates):
                vi, en = _label(self.wf.dates[name].label, name)
                self.problem(line, name, "date_required", f"{vi}: bắt buộc với hồ sơ ở trạng thái “{label['vi']}”.",
                             f"{en}: required for a case in “{label['en']}”.")
        for name in dates:
            if name not in self.dates.possible[state]:
                vi, en = _label(self.wf.dates[name].label, name)
                self.problem(line, name, "date_not_reached", f"{vi}: hồ sơ ở trạng thái “{label['vi']}” chưa thể có "
                             "ngày này.", f"{en}: a case in “{label['en']}” cannot have this date yet.")

    # ---- the dates effects produce

    def _producing_steps(self, state: str) -> list[tuple[TransitionDef, list[Effect]]]:
        """The steps a case in ``state`` may have taken whose effects produce key dates it may have, with those
        effects, in the definition's order."""
        possible = set(self.dates.possible[state])
        steps = []
        for tdef in self.wf.transitions:
            effects = [EFFECTS[name] for name in tdef.effects
                       if name in EFFECTS and set(EFFECTS[name].produces_dates) & possible]
            if effects:
                steps.append((tdef, effects))
        return steps

    def _derivable(self, state: str, name: str, dates: dict[str, date]) -> bool:
        """Whether an effect produces ``name`` and the row gives every date its step records from its fields
        (whether the effect works it out from them is known once the case is open: ``_derived``)."""
        for tdef, effects in self._producing_steps(state):
            if any(name in e.produces_dates for e in effects):
                inputs = {tdef.target_of(f) for f in tdef.fields if f.type == "date" and f.required}
                if inputs and all(i in dates or i in self.start_dates for i in inputs):
                    return True
        return False

    def _derived(self, line: int, case: Case, values: dict[str, Any], state: str,
                 dates: dict[str, date]) -> dict[str, date] | None:
        """The key dates the definition's effects work out from those the row gives (admission's end of
        probation from the ceremony, by the package's rule), computed by the effects themselves as the step
        taking them would: added when the row leaves them blank, compared when it types them (None, with a
        problem, when they differ). An effect whose result depends on the day it runs (a default of today) or
        that needs more than the row gives works nothing out."""
        known = dict(dates)
        known.update({name: values[f] for name, f in self.start_dates.items() if isinstance(values.get(f), date)})
        derived: dict[str, date] = {}
        refused = False
        for tdef, effects in self._producing_steps(state):
            data = {f.name: known[tdef.target_of(f)] for f in tdef.fields
                    if f.type == "date" and tdef.target_of(f) in known}
            if not data:
                continue  # the row gives none of this step's dates: the case has not taken it
            for effect in effects:
                result = self._run_effect(tdef, effect, case, data, known)
                if result is None:
                    continue
                produced, read = result
                for name, value in produced.items():
                    if name not in self.dates.possible[state]:
                        continue
                    if name not in dates:
                        derived[name] = known[name] = value
                    elif dates[name] != value:
                        refused = True
                        self._inconsistent(line, name, dates[name], value, read)
        if refused:
            return None
        missing = [name for name in self.dates.required[state]
                   if name not in known and name not in self.start_dates]
        for name in missing:  # ``_dates_for_state`` expected an effect to work it out; none could
            vi, en = _label(self.wf.dates[name].label, name)
            label = self.wf.states[state].label
            self.problem(line, name, "date_required", f"{vi}: bắt buộc với hồ sơ ở trạng thái “{label['vi']}”.",
                         f"{en}: required for a case in “{label['en']}”.")
        if missing:
            return None
        before = len(self.problems)
        self._dates_in_order(line, known, only=set(derived))
        return None if len(self.problems) > before else {**dates, **derived}

    def _run_effect(self, tdef: TransitionDef, effect: Effect, case: Case, data: dict[str, date],
                    known: dict[str, date]) -> tuple[dict[str, date], list[str]] | None:
        """The dates ``effect`` produces for this case at ``tdef`` (with the dates that step's fields record, as
        ``step_changes`` gives them to it), and the key dates it read; None when it cannot work them out."""
        results = []
        for today in (self.today, self.today - timedelta(days=400)):
            read: list[str] = []
            ctx = StepContext(session=self.session, workflow=self.wf, transition=tdef,
                              case=_CaseSoFar(case, known, read), user=self.user, rules=self.engine.rules,
                              today=today, data=_Reading(data, tdef, read))
            changes = recorded_changes(tdef, dict(data), self.wf.dates)
            try:
                effect.fn(ctx, changes)
            except (KeyError, AttributeError, TypeError, ValueError):
                return None
            produced = {}
            for name in effect.produces_dates:
                value = changes.get("dates", {}).get(name)
                if value is not None:
                    produced[name] = value if isinstance(value, date) else date.fromisoformat(value)
            results.append((produced, list(dict.fromkeys(read))))
        if results[0][0] != results[1][0] or not results[0][0]:
            return None  # it takes the day it runs on, or produces nothing from these dates
        return results[0]

    def _inconsistent(self, line: int, name: str, given: date, computed: date, read: list[str]) -> None:
        vi, en = _label(self.wf.dates[name].label, name)
        sources = [_label(self.wf.dates[r].label, r) for r in read if r in self.wf.dates and r != name]
        from_vi = ", ".join(s[0] for s in sources) or "các ngày đã nhập"
        from_en = ", ".join(s[1] for s in sources) or "the dates given"
        self.problem(line, name, "date_inconsistent", f"{vi} ({format_date_vi(given)}) không khớp với ngày tính theo "
                     f"quy định từ {from_vi}: {format_date_vi(computed)}. Để trống cột này để hệ thống tự tính.",
                     f"{en} ({given.isoformat()}) does not match the date the rules give from {from_en}: "
                     f"{computed.isoformat()}. Leave the column blank to have it worked out.")

    def _dates_in_order(self, line: int, dates: dict[str, date], only: set[str] | None = None) -> None:
        """``only``: check only the pairs with one of these dates (those worked out, the rest checked already)."""
        for earlier, later in self.dates.order:
            if only is not None and earlier not in only and later not in only:
                continue
            if earlier in dates and later in dates and dates[earlier] > dates[later]:
                vi, en = _label(self.wf.dates[later].label, later)
                e_vi, e_en = _label(self.wf.dates[earlier].label, earlier)
                self.problem(line, self.start_dates.get(later, later), "dates_out_of_order",
                             f"{vi} ({format_date_vi(dates[later])}) không được trước {e_vi} "
                             f"({format_date_vi(dates[earlier])}).", f"{en} ({dates[later].isoformat()}) cannot "
                             f"precede {e_en} ({dates[earlier].isoformat()}).")

    def _open(self, line: int, values: dict[str, Any]) -> Case | None:
        """The case and its subject as the workflow's package opens them (not yet in the session)."""
        try:
            return package_of(self.wf.name).open_case(self.session, self.wf, values, self.today, self.engine.now())
        except Invalid as refused:
            for reason in refused.reasons:
                self.problem(line, self._column_of(reason), reason.code, reason.vi, reason.en)
            return None

    def _referred_on(self, dates: dict[str, date], values: dict[str, Any]) -> date | None:
        """The day the case was opened in fact: its referral date (``monitoring.referred_on``), if the row has it."""
        name = self.wf.monitoring.referred_on
        if name is None:
            return None
        start_value = values.get(self.start_dates.get(name, ""))
        return dates.get(name) or (start_value if isinstance(start_value, date) else None)

    def _place(self, case: Case, owner: Unit, opened_on: date | None) -> None:
        """The spreadsheet says who owns the case now; the committee above and the authority follow from it, and
        the case counts as opened on its referral, not on the day of the import."""
        if owner.id not in self._cells:
            self._cells[owner.id] = grassroots_of(self.session, owner), authority_of(self.session, owner)
        grassroots, authority = self._cells[owner.id]
        case.owning_cell_id = owner.id
        case.grassroots_unit_id = grassroots.id if grassroots else None
        case.authority_unit_id = authority.id if authority else None
        case.opened_on = opened_on or case.opened_on

    def _unique(self, line: int, case: Case, values: dict[str, Any]) -> bool:
        key = case.subject_key
        column = next((name for name, value in values.items() if value == key), "")
        if key in self.seen:
            self.problem(line, column, "duplicate_in_file", f"Trùng với dòng {self.seen[key]} ({key}).",
                         f"The same as line {self.seen[key]} ({key}).")
            return False
        self.seen[key] = line
        self._keys[key] = (line, column)
        return True

    def open_elsewhere(self, planned: list[PlannedCase]) -> list[PlannedCase]:
        """The subjects of the file that already have a case in progress, in one query per few hundred rows;
        the rows still importable."""
        keys = sorted(self._keys)
        # The start step's guards may have said so already (admission's does): once is enough.
        refused = {p.line for p in self.problems if p.code == "open_case_exists"}
        for chunk in _chunks(keys):
            query = sa.select(Case.subject_key, Case.id).where(Case.workflow == self.wf.name,
                                                                Case.subject_key.in_(chunk))
            for key, other in self.session.execute(query.order_by(Case.id)):
                line, column = self._keys[key]
                if line in refused:
                    continue
                refused.add(line)
                self.problem(line, column, "open_case_exists", f"{key} đã có hồ sơ đang thực hiện (hồ sơ số "
                             f"{other}).", f"{key} already has a case in progress (case {other}).")
        return [p for p in planned if p.line not in refused]

    def _guards(self, line: int, case: Case, values: dict[str, Any]) -> bool:
        """The start step's guards, as for a referral."""
        ctx = StepContext(session=self.session, workflow=self.wf, transition=self.wf.start_transition, case=case,
                          user=self.user, rules=self.engine.rules, today=self.today, data=values)
        reasons = check_guards(ctx)
        for reason in reasons:
            self.problem(line, self._column_of(reason), reason.code, reason.vi, reason.en)
        return not reasons

    def _column_of(self, reason: Reason) -> str:
        """The column a reason is about: its field, else the first of its parameters that names a column."""
        if reason.params.get("field") in self.columns:
            return reason.params["field"]
        return next((name for name in reason.params if name in self.columns), "")
