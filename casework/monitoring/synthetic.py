"""A synthetic province (or country) for demonstrations and for measuring the dashboard and the pages at scale.

This module builds the organisation (provinces, communes, enterprises with their cells and unions, residential
cells, official members, and an account for every role at every unit, see ``Accounts``) and writes everything in
bulk (PostgreSQL COPY, executemany elsewhere), because a million cases through the engine one step at a time
would take days. The cases themselves come from each workflow package's ``simulation`` (its scenario: which step
follows, when, with which values), and every step is turned into rows by
``casework.monitoring.simulation.StepWriter``, which runs the engine's own code for the destination, the recorded
dates and facts, the effects, the tasks and their due dates: nothing here names a workflow's states or steps.

**Batches.** The cases are written in batches (``BATCH_CASES``), each committed with a row saying it is written
(``GenerationBatch``). A batch depends only on the run's plan (``GenerationRun``: seed, day, first ids) and its
own number: its random numbers come from its own seed, and its rows take their ids from a block of their own
(``BlockIds``: ``IDS_PER_CASE`` ids per case of the batch, in each table). So batches can be simulated by several
processes at once, in any order, and a run that was stopped continues with the batches not yet written and ends
with the same rows as a run that was never stopped. Ids inside a block are consecutive; between blocks there are
gaps (cases and a scenario's one-per-case subjects have none).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import operator
import os
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from casework.engine import LOCAL_TZ, Engine
from casework.engine.packages import PACKAGES
from casework.models import (
    Base,
    Case,
    Document,
    Event,
    GenerationBatch,
    GenerationRun,
    PartyMember,
    Role,
    RoleAssignment,
    StateVisit,
    Target,
    Task,
    Unit,
    User,
)
from casework.models.base import utcnow
from casework.monitoring import summaries
from casework.monitoring.at_once import on_connections
from casework.monitoring.simulation import StepWriter, WorkingDays

CASES_PER_PROVINCE = 50_000
COMMUNES_PER_PROVINCE = 25
YEARS_OF_HISTORY = 6
BATCH_CASES = 10_000
DEFAULT_PASSWORD = "casework"

# The most ids a batch may take per case in each table, on average over the batch (a case takes about 13 events,
# 12 tasks, 9 state visits and 2 documents). A scenario's own tables say theirs (``ids_per_case``); others get
# ``OTHER_IDS_PER_CASE``. A batch that needs more stops with a message rather than overlap the next block.
IDS_PER_CASE = {"cases": 1, "events": 48, "tasks": 48, "state_visits": 32, "documents": 4}
OTHER_IDS_PER_CASE = 4


class UnfinishedRun(RuntimeError):
    """Another run with other arguments is not finished: continue it first (or use another database)."""


# --------------------------------------------------------------------------------------------------
# Identity allocation: ids are chosen here so related rows can be written without round trips


class Ids:
    """The next id of each table: from ``first`` when given there, else read once from the database (the highest
    id plus one) when the table is first used."""

    def __init__(self, conn: sa.Connection | None, first: dict[str, int] | None = None):
        self.conn = conn
        self.next: dict[str, int] = dict(first or {})

    def take(self, table: str) -> int:
        value = self.next.get(table)
        if value is None:
            value = first_free_id(self.conn, table)
        self.next[table] = value + 1
        return value


def first_free_id(conn: sa.Connection, table: str) -> int:
    column = Base.metadata.tables[table].c.id
    return (conn.scalar(sa.select(sa.func.max(column))) or 0) + 1


class BlockIds:
    """The ids of one batch: in each table, the batch's own block, ``per_case[table] * size`` ids from the run's
    first id for that table, so they do not depend on what other batches took."""

    def __init__(self, first: dict[str, int], per_case: dict[str, int], batch: int, size: int):
        self.start = {t: first[t] + batch * size * n for t, n in per_case.items()}
        self.end = {t: self.start[t] + size * n for t, n in per_case.items()}
        self.next = dict(self.start)

    def take(self, table: str) -> int:
        value = self.next[table]
        if value >= self.end[table]:
            raise RuntimeError(f"a batch took more than its block of {table} ids "
                               f"({self.end[table] - self.start[table]}): raise IDS_PER_CASE[{table!r}]")
        self.next[table] = value + 1
        return value


@dataclass
class Buffer:
    """Rows waiting to be written, per table, as dicts in column order."""

    # A list per table made when its first row comes (``setdefault`` would make one for every row).
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def size(self) -> int:
        return sum(len(r) for r in self.rows.values())


# --------------------------------------------------------------------------------------------------
# The organisation


@dataclass
class Commune:
    unit: dict
    cells: list[dict]  # workplace cells owning cases: {cell, enterprise, unions, grassroots, pace}
    residential: list[dict]  # {cell, area, pace}
    pace: float


@dataclass
class World:
    """The organisation a scenario's cases happen in: the communes (each an authority with its own organizing
    department) and the official members of each owning cell, by cell id."""

    root: dict
    communes: list[Commune]
    members: dict[int, list[int]]
    # What each scenario's ``organise`` added to the organisation for its cases, by workflow.
    extra: dict[str, Any] = field(default_factory=dict)

    def communes_by_province(self) -> dict[int, list[Commune]]:
        """The communes under each province (its unit id), in the tree's order: where yearly targets are set."""
        provinces: dict[int, list[Commune]] = {}
        for commune in self.communes:
            provinces.setdefault(commune.unit["parent_id"], []).append(commune)
        return provinces


class Accounts:
    """A person for every role at every unit that has one, named ``<role>-<place>`` so a tester can tell whom to
    sign in as without looking: the place is the unit's position in the tree (province.commune…, below), the tree's
    root has ``admin`` and ``organizer``. Every account has the one password given (hashed once: a salted hash per
    account would cost a second per thousand accounts). Runs after a database's first add ``-run<N>``."""

    def __init__(self, ids, buf: Buffer, password_hash: str, suffix: str):
        self.ids, self.buf, self.password_hash, self.suffix = ids, buf, password_hash, suffix

    def give(self, role: Role, place: str | None, unit: dict) -> None:
        username = f"{role.value}-{place}{self.suffix}" if place else f"{role.value}{self.suffix}"
        user_id = self.ids.take("users")
        self.buf.add("users", {"id": user_id, "username": username, "full_name": f"{unit['name']} ({role.value})",
                               "email": None, "password_hash": self.password_hash, "locale": "vi", "active": True,
                               "created_at": unit["created_at"], "session_epoch": 0})
        self.buf.add("role_assignments", {"id": self.ids.take("role_assignments"), "user_id": user_id,
                                          "unit_id": unit["id"], "role": role.value})


def _unit(ids, buf: Buffer, parent: dict | None, kind: str, name: str, **extra) -> dict:
    unit_id = ids.take("units")
    path = f"{parent['path'] if parent else '/'}{unit_id}/"
    row = {"id": unit_id, "parent_id": parent["id"] if parent else None, "kind": kind, "name": name,
           "code": f"G{unit_id:07d}", "path": path, "cell_type": None, "ownership": None, "industrial_zone": False,
           "has_party_org": False, "assigned_cell_id": None, "admits_members": False,
           "organizing_department": False, "created_at": datetime(2019, 1, 1, tzinfo=UTC)}
    row.update(extra)
    buf.add("units", row)
    return row


def build_tree(ids, buf: Buffer, rng: random.Random, provinces: int, accounts: Accounts, *, plays=(),
               today: date | None = None, cases: int = 0) -> World:
    """Country → provinces → communes (the authorities) → industrial-zone committees, enterprises with and
    without a party organisation, their unions, residential cells and areas; and their accounts. Then what each
    scenario with an ``organise(world, ids, buf, rng, accounts, today, cases)`` adds for its cases (enterprises,
    members, the units its cases create, planned from the run's day and size, so that the organisation written
    once holds what its cases did), kept in ``world.extra``."""
    root = _unit(ids, buf, None, "province", "Toàn quốc (dữ liệu mô phỏng)", organizing_department=True) \
        if provinces > 1 else None
    communes = []
    for p in range(provinces):
        province = _unit(ids, buf, root, "province", f"Tỉnh mô phỏng {p + 1}", organizing_department=True)
        if root is not None:
            accounts.give(Role.ORGANIZER, f"{p + 1}", province)
        for c in range(COMMUNES_PER_PROVINCE):
            communes.append(_commune(ids, buf, rng, province, p, c, accounts))
    top = root or province
    accounts.give(Role.ADMIN, None, top)
    accounts.give(Role.ORGANIZER, None, top)
    world = World(top, communes, members_and_people(ids, buf, rng, communes))
    for play in plays:
        if hasattr(play, "organise"):
            world.extra[play.workflow] = play.organise(world, ids, buf, random.Random(rng.getrandbits(64)), accounts,
                                                       today, cases)
    return world


def write_targets(ids, buf: Buffer, world: World, plays, rng: random.Random, today: date, cases: int) -> None:
    """The yearly targets (``Target``) of the history's years and the current one: each scenario with a
    ``targets(world, rng, first, today, cases)`` (``first``: the day the history starts) gives
    ``{(unit_id, year): {measure: n}}`` for its own package's measures, and a unit's year is one row holding every
    scenario's measures (a row setting nothing is left out). Written with the organisation, once per run (a resumed
    run does not write them again), dated the first of their year."""
    first = today - timedelta(days=365 * YEARS_OF_HISTORY)
    amounts: dict[tuple[int, int], dict[str, int]] = {}
    for play in plays:
        if hasattr(play, "targets"):
            for key, values in play.targets(world, random.Random(rng.getrandbits(64)), first, today, cases).items():
                amounts.setdefault(key, {}).update(values)
    for (unit_id, year), values in sorted(amounts.items()):
        if not any(values.values()):
            continue
        buf.add("monitoring_targets", {"id": ids.take("monitoring_targets"), "unit_id": unit_id, "year_from": year,
                                       "year_to": year, "amounts": values,
                                       "updated_at": datetime(year, 1, 1, tzinfo=UTC)})


def _commune(ids, buf: Buffer, rng: random.Random, province: dict, p: int, c: int, accounts: Accounts) -> Commune:
    place = f"{p + 1}.{c + 1}"
    commune = _unit(ids, buf, province, "commune_committee", f"Đảng ủy xã/phường {place}",
                    admits_members=True, organizing_department=True)
    accounts.give(Role.AUTHORITY, place, commune)
    accounts.give(Role.ORGANIZER, place, commune)
    residential = []
    for r in range(6):
        cell = _unit(ids, buf, commune, "cell", f"Chi bộ khu dân cư {place}.{r + 1}", cell_type="residential")
        area = _unit(ids, buf, cell, "residential_area", f"Khu dân cư {place}.{r + 1}")
        accounts.give(Role.CELL_SECRETARY, f"{place}.r{r + 1}", cell)
        accounts.give(Role.RESIDENTIAL_COMMITTEE, f"{place}.r{r + 1}", cell)
        residential.append({"cell": cell, "area": area, "pace": rng.choice((1, 1, 1, 1, 1.5, 4))})
    cells = []
    for g in range(2):
        zone = _unit(ids, buf, commune, "grassroots_committee", f"Đảng ủy KCN {place}.{g + 1}")
        accounts.give(Role.GRASSROOTS_COMMITTEE, f"{place}.{g + 1}", zone)
        for e in range(5):
            cells.append(_enterprise(ids, buf, rng, zone, f"{place}.{g + 1}.{e + 1}", zone, None, accounts))
    for e in range(5):
        cells.append(_enterprise(ids, buf, rng, commune, f"{place}.0.{e + 1}", None, None, accounts))
    for e in range(3):  # no party organisation: a residential cell owns their workers' cases
        cells.append(_enterprise(ids, buf, rng, commune, f"{place}.x.{e + 1}", None, residential[e]["cell"],
                                 accounts))
    return Commune(commune, cells, residential, rng.lognormvariate(0, 0.25))


def _enterprise(ids, buf, rng, parent, label, grassroots, assigned, accounts: Accounts) -> dict:
    ownership = "foreign_invested" if rng.random() < 0.3 else "domestic_private"
    cell = assigned or _unit(ids, buf, parent, "cell", f"Chi bộ Công ty {label}", cell_type="workplace")
    enterprise = _unit(ids, buf, parent, "enterprise", f"Công ty {label}", ownership=ownership,
                       industrial_zone=grassroots is not None, has_party_org=assigned is None,
                       assigned_cell_id=cell["id"])
    unions = {"trade_union": _unit(ids, buf, enterprise, "trade_union", f"Công đoàn Công ty {label}"),
              "youth_union": _unit(ids, buf, enterprise, "youth_union", f"Đoàn thanh niên Công ty {label}")}
    if assigned is None:
        accounts.give(Role.CELL_SECRETARY, label, cell)
    accounts.give(Role.UNION_OFFICER, label, unions["trade_union"])
    accounts.give(Role.YOUTH_OFFICER, label, unions["youth_union"])
    return {"cell": cell, "enterprise": enterprise, "unions": unions, "grassroots": grassroots,
            "pace": rng.lognormvariate(0, 0.3)}


def members_and_people(ids, buf: Buffer, rng: random.Random, communes: list[Commune]) -> dict[int, list[int]]:
    """Five official members per owning cell; their ids by cell."""
    members: dict[int, list[int]] = {}
    for commune in communes:
        for entry in commune.cells:
            cell = entry["cell"]
            if cell["id"] in members:
                continue
            members[cell["id"]] = []
            for m in range(5):
                member_id = ids.take("party_members")
                members[cell["id"]].append(member_id)
                buf.add("party_members", {"id": member_id, "cell_id": cell["id"],
                                          "full_name": f"Đảng viên {cell['id']}.{m + 1}",
                                          "birth_date": date(1980, 1, 1), "status": "official",
                                          "member_since": date(2010, 5, 19), "official_since": date(2011, 5, 19),
                                          "excluded_from_votes": False, "user_id": None})
    return members


# --------------------------------------------------------------------------------------------------
# Writing


# The organisation, written once per run; then each batch's tables: a scenario's subject tables (``tables``) go
# before the cases, which the rest hang on.
TREE_TABLES = (Unit, User, RoleAssignment, PartyMember, Target)
CASE_TABLES = (Case, Document, Task, Event, StateVisit)


def _tree_tables(scenarios=()) -> dict[str, sa.Table]:
    """The organisation's tables, and those a scenario's ``organise`` fills besides (``tree_tables``)."""
    tables = [m.__table__ for m in TREE_TABLES] + [t for s in scenarios for t in getattr(s, "tree_tables", ())]
    return {t.name: t for t in tables}


def _case_tables(scenarios) -> dict[str, sa.Table]:
    subjects = [t for s in scenarios for t in getattr(s, "tables", ())]
    return {t.name: t for t in subjects + [m.__table__ for m in CASE_TABLES]}


def flush(conn: sa.Connection, buf: Buffer, tables: dict[str, sa.Table]) -> None:
    """Write everything buffered, parents first (``tables`` in order); COPY on PostgreSQL, executemany
    elsewhere."""
    postgres = conn.dialect.name == "postgresql"
    texts = _Texts()  # one for every table: an answered task's outcome is its event's data, and so on
    for name, table in tables.items():
        rows = buf.rows.pop(name, None)
        if not rows:
            continue
        if postgres:
            _copy(conn, table, rows, texts)
        else:
            _executemany(conn, table, rows)


def _executemany(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """One INSERT for many rows on the driver's cursor, each value turned into what the database keeps by its
    column type's own bind processor (dates, times, JSON, booleans), without SQLAlchemy building the
    parameters row by row (half the time of a large load on SQLite)."""
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        conn.execute(table.insert(), rows)
        return
    columns = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in table.columns]
    names = ", ".join(name for name, _ in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    conn.exec_driver_sql(sql, [tuple(process(row.get(name)) if process else row.get(name) for name, process in columns)
                               for row in rows])


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict], texts: _Texts | None = None) -> None:
    """COPY through psycopg's own (compiled) adapters; only JSON, datetime and date columns are turned into text
    here (``_Texts``). The columns written are those some row has (and those with a server default, as NULL when
    no row has them); each row's values are taken in that order by one ``itemgetter``."""
    given: set[str] = set().union(*rows)
    columns = [c for c in table.columns if c.name in given or c.server_default is not None]
    names = [c.name for c in columns]
    texts = texts or _Texts()
    as_text = [(i, texts.json) for i, c in enumerate(columns) if isinstance(c.type, sa.JSON)] + \
              [(i, texts.time) for i, c in enumerate(columns) if isinstance(c.type, (sa.DateTime, sa.Date))]
    values = operator.itemgetter(*names)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            try:
                line = values(row)
            except KeyError:  # a row without some of the columns: NULL there
                line = [row.get(c) for c in names]
            if as_text:  # the tuple as a list, only where there is text to put in
                line = list(line)
                for i, text in as_text:
                    line[i] = text(line[i])
            write(line)


# One C encoder for every value: json.dumps with options, and JSONEncoder.encode, build a new one each call.
_make_encoder = json.encoder.c_make_encoder or (lambda *args: None)
_c_encode = _make_encoder(None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ":", ",", False,
                          False, True)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if not value:  # most flags and many outcomes are empty: skip the encoder
        return "{}" if isinstance(value, dict) else "[]"
    if _c_encode is not None and isinstance(value, (dict, list)):
        return "".join(_c_encode(value, 0))
    return _encode(value)


_EMPTY_TEXT = {dict: "{}", list: "[]"}
# What ``_json_text`` gives the C encoder (else the Python one).
_C_ENCODED = frozenset({dict, list}) if _c_encode is not None else frozenset()


class _JsonTexts:
    """``_json_text``, once per object: an answered task's outcome is its event's submitted values. The objects
    met are kept alive while their ids are keys, so no other object can take one of those ids."""

    def __init__(self):
        self.texts: dict[int, str | None] = {}
        self.kept: list[Any] = []

    def __call__(self, value: Any) -> str | None:
        if not value:  # no JSON, or empty (most flags and many outcomes): as ``_json_text`` writes them
            return _EMPTY_TEXT.get(type(value)) or _json_text(value)
        key = id(value)
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = "".join(_c_encode(value, 0)) if type(value) in _C_ENCODED else _json_text(value)
            self.kept.append(value)
        return text


class _TimeTexts:
    """A datetime's or a date's text as psycopg writes it (``str``, some 0.9 µs for a datetime), once per object:
    a step's instant is its event's time, the time the tasks it opens were made and those it closes were done, and
    the time its visits end and begin; a due date is one of the calendar's days. Other values are left to
    psycopg. The objects met are kept alive while their ids are keys."""

    def __init__(self):
        self.texts: dict[int, str] = {}
        self.kept: list[Any] = []

    def __call__(self, value: Any) -> Any:
        if type(value) not in _TIMES:  # None, or what psycopg adapts by its own type
            return value
        key = id(value)
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = str(value)
            self.kept.append(value)
        return text


_TIMES = frozenset({datetime, date})


class _Texts:
    """The texts COPY is given for one batch's tables: JSON, and datetimes and dates."""

    def __init__(self):
        self.json = _JsonTexts()
        self.time = _TimeTexts()


def reset_sequences(conn: sa.Connection, tables: dict[str, sa.Table]) -> None:
    """COPY with explicit ids leaves PostgreSQL's sequences behind; move them past the new rows."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables.values():
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"COALESCE((SELECT MAX(id) FROM {table.name}), 1))"))


def scenarios() -> list:
    """The scenario of every workflow package that has one (``WorkflowPackage.simulation``)."""
    return [package.simulation() for package in PACKAGES.values() if package.simulation is not None]


def _fast_load(conn: sa.Connection) -> None:
    """On PostgreSQL, skip per-row foreign-key triggers for this transaction: every id written here was
    allocated here, parents first, so the checks would only cost time (a third of a large load)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))


# --------------------------------------------------------------------------------------------------
# A run: its plan, its batches, its end


@dataclass
class Job:
    """Everything a batch needs, the same in every process that writes one."""

    run_id: int
    seed: int
    cases: int
    batch_size: int
    today: date
    plan: dict[str, Any]
    engine: Engine
    plays: list

    @property
    def batches(self) -> int:
        return -(-self.cases // self.batch_size)

    def size_of(self, batch: int) -> int:
        return min(self.batch_size, self.cases - batch * self.batch_size)

    def world(self) -> World:
        """The run's organisation, built again from its seed and first ids (nothing is written)."""
        ids, buf = Ids(None, self.plan["tree_ids"]), Buffer()
        return build_tree(ids, buf, random.Random(f"{self.seed}:tree"), self.plan["provinces"],
                          Accounts(ids, buf, "", ""), plays=self.plays, today=self.today, cases=self.cases)

    def per_case(self) -> dict[str, int]:
        out = {}
        for play in self.plays:
            out.update(getattr(play, "ids_per_case", {}))
        out.update(IDS_PER_CASE)
        return {name: out.get(name, OTHER_IDS_PER_CASE) for name in _case_tables(self.plays)}


class Shares:
    """Which scenario writes the run's n-th case. A scenario whose cases the organisation planned (``planned(world)``:
    how many, e.g. a few a year per province) takes that many, spread evenly over the run's numbers, and writes
    its k-th with ``write_planned``; the others take the rest in turn (``write_case``). It depends only on n, so
    every batch agrees."""

    def __init__(self, plays: list, world: World, cases: int):
        self.cases = cases
        self.shared = [p for p in plays if not hasattr(p, "planned")]
        if not self.shared:
            raise RuntimeError("every scenario plans its own cases: one must take the run's other cases")
        self.planned, total = [], 0
        for play in plays:
            if hasattr(play, "planned"):
                n = min(play.planned(world), cases - total)
                self.planned.append((play, total, n))
                total += n
        self.total = total

    def of(self, n: int) -> tuple[Any, int | None]:
        """(the scenario, its planned case's number, or None for a shared one)."""
        k = n * self.total // self.cases
        if self.total and (n + 1) * self.total // self.cases > k:
            for play, first, count in self.planned:
                if first <= k < first + count:
                    return play, k - first
        return self.shared[n % len(self.shared)], None


class Batches:
    """Writes a job's batches: simulated into a buffer, written, and marked written, in one transaction."""

    def __init__(self, job: Job):
        self.job = job
        self.world = job.world()
        now = datetime.combine(job.today, time(17), LOCAL_TZ).astimezone(UTC)
        self.now = now
        self.calendar = WorkingDays(job.today - timedelta(days=366 * (YEARS_OF_HISTORY + 1)),
                                    job.today + timedelta(days=800))
        self.tables = _case_tables(job.plays)
        self.per_case = job.per_case()
        self.shares = Shares(job.plays, self.world, job.cases)

    def write(self, conn: sa.Connection, batch: int) -> int:
        job = self.job
        size = job.size_of(batch)
        ids = BlockIds(job.plan["case_ids"], self.per_case, batch, job.batch_size)
        buf = Buffer()
        writer = StepWriter(ids, buf.add, job.engine, self.calendar)
        rng = random.Random(f"{job.seed}:batch:{batch}")
        first = job.today - timedelta(days=365 * YEARS_OF_HISTORY)
        span = (job.today - first).days
        for n in range(batch * job.batch_size, batch * job.batch_size + size):
            opened = first + timedelta(days=rng.randint(0, span))
            play, slot = self.shares.of(n)
            if slot is None:
                play.write_case(writer, self.world, rng, opened, self.now)
            else:
                play.write_planned(writer, self.world, slot, self.now)
        _fast_load(conn)
        flush(conn, buf, self.tables)
        conn.execute(sa.insert(GenerationBatch.__table__).values(run_id=job.run_id, batch=batch,
                                                                 written_at=utcnow()))
        return size


class Store:
    """Where a run writes: an engine (each batch commits on its own, and several processes may write at once)
    or one connection (everything in its transaction, which the caller ends)."""

    def __init__(self, bind: sa.Engine | sa.Connection):
        self.bind = bind
        self.committing = isinstance(bind, sa.Engine)

    @property
    def dialect(self) -> str:
        return self.bind.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        if self.committing:
            with self.bind.begin() as conn:
                yield conn
        else:
            yield self.bind


def generate(bind: sa.Engine | sa.Connection, *, cases: int, engine: Engine, seed: int = 1, today: date | None = None,
             batch_size: int = BATCH_CASES, workers: int = 1, password: str = DEFAULT_PASSWORD,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fill the database with ``cases`` simulated cases over a tree sized for them, shared among the workflows
    whose packages have a scenario, and an account for every role at every unit; returns what was made.

    Given an engine, each batch commits on its own and a run that was stopped is continued by the same call (the
    same seed and number of cases); ``workers`` processes simulate and write batches at once. Given a
    connection, everything happens in its transaction. ``progress(n)`` hears the cases written so far."""
    plays = scenarios()
    if not plays:
        raise RuntimeError("no workflow package has a simulation")
    store = Store(bind)
    job = _start(store, plays, engine, cases=cases, seed=seed, today=today or date.today(), batch_size=batch_size,
                 password=password)
    with store.transaction() as conn:
        done = set(conn.scalars(sa.select(GenerationBatch.batch).where(GenerationBatch.run_id == job.run_id)))
    todo = [b for b in range(job.batches) if b not in done]
    written = sum(job.size_of(b) for b in done)
    if progress and written:
        progress(written)
    for size in _write_batches(store, job, todo, workers):
        written += size
        if progress:
            progress(written)
    _finish(store, job)
    return {"root_unit_id": job.plan["root_unit_id"], "communes": job.plan["communes"],
            "provinces": job.plan["provinces"], "cases": cases, "accounts": job.plan["accounts"],
            "run": job.run_id, "resumed": bool(done)}


def _start(store: Store, plays: list, engine: Engine, *, cases: int, seed: int, today: date, batch_size: int,
           password: str) -> Job:
    """The run to write: the unfinished one with these arguments, else a new one with its organisation written."""
    with store.transaction() as conn:
        run = conn.execute(sa.select(GenerationRun.__table__).where(GenerationRun.finished_at.is_(None))
                           .order_by(GenerationRun.id)).first()
        if run is not None:
            if (run.seed, run.cases) != (seed, cases):
                raise UnfinishedRun(f"run {run.id} (--cases {run.cases} --seed {run.seed}) is not finished: run it "
                                    f"again with those arguments to finish it before starting another")
            return Job(run.id, run.seed, run.cases, run.batch_size, run.today, run.plan, engine, plays)
        earlier = conn.scalar(sa.select(sa.func.count()).select_from(GenerationRun))
        provinces = max(1, round(cases / CASES_PER_PROVINCE))
        tree_ids = {t: first_free_id(conn, t) for t in _tree_tables(plays)}
        buf = Buffer()
        ids = Ids(None, tree_ids)
        accounts = Accounts(ids, buf, generate_password_hash(password), f"-run{earlier + 1}" if earlier else "")
        world = build_tree(ids, buf, random.Random(f"{seed}:tree"), provinces, accounts, plays=plays, today=today,
                           cases=cases)
        write_targets(ids, buf, world, plays, random.Random(f"{seed}:targets"), today, cases)
        plan = {"provinces": provinces, "communes": len(world.communes), "root_unit_id": world.root["id"],
                "accounts": len(buf.rows["users"]), "tree_ids": tree_ids,
                "case_ids": {t: first_free_id(conn, t) for t in _case_tables(plays)}}
        _fast_load(conn)
        flush(conn, buf, _tree_tables(plays))
        plan["set_aside"] = _set_indexes_aside(conn, plays, cases) if store.committing else []
        run_id = conn.execute(sa.insert(GenerationRun.__table__).values(
            seed=seed, cases=cases, batch_size=batch_size, today=today, plan=plan, started_at=utcnow())
            .returning(GenerationRun.id)).scalar_one()
        return Job(run_id, seed, cases, batch_size, today, plan, engine, plays)


def _write_batches(store: Store, job: Job, todo: list[int], workers: int) -> Iterator[int]:
    """Write the batches to do, here or in ``workers`` processes (an engine's store only): the sizes written, as
    each batch commits."""
    if workers <= 1 or not store.committing or len(todo) <= 1:
        batches = Batches(job)
        for batch in todo:
            with store.transaction() as conn, _no_cycle_collection():
                size = batches.write(conn, batch)
            yield size
        return
    global _JOB
    _JOB = (job, store.bind)
    context = multiprocessing.get_context("fork")  # the children share the loaded definitions and the plan
    with context.Pool(min(workers, len(todo)), initializer=_worker_start) as pool:
        yield from pool.imap_unordered(_worker_write, todo)


_JOB: tuple[Job, sa.Engine] | None = None
_WORKER: tuple[Batches, sa.Engine] | None = None


def _worker_start() -> None:
    """In a child: the parent's pooled connections are left to the parent (``dispose(close=False)``), and the
    child connects on its own."""
    global _WORKER
    job, parent = _JOB
    parent.dispose(close=False)
    _WORKER = (Batches(job), sa.create_engine(parent.url, poolclass=sa.pool.NullPool))


def _worker_write(batch: int) -> int:
    batches, engine = _WORKER
    with engine.begin() as conn, _no_cycle_collection():
        return batches.write(conn, batch)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A batch makes some 400,000 rows (dicts) and frees them by reference counting; the cyclic garbage collector,
    walking them again and again while they are made, took a sixth of the time. It runs again after the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _finish(store: Store, job: Job) -> None:
    """After the last batch: sequences past the new ids, the indexes set aside built again, the tallies counted
    from the history, and the run marked finished. Doing it again is harmless, so a run stopped here ends too.
    On PostgreSQL with an engine, the filled tables are vacuumed and the indexes built first, then the tallies
    counted, each two at a time (``_maintain``, ``summaries.rebuild_at_once``)."""
    at_once = store.committing and store.dialect == "postgresql"
    if at_once:
        names = list(_case_tables(job.plays))
        with store.bind.connect() as conn:
            size = dict(conn.execute(sa.text("SELECT relname, pg_relation_size(oid) FROM pg_class "
                                             "WHERE relkind = 'r' AND relname = ANY(:names)"), {"names": names}).all())

        def largest_first(table: Callable[[str], str]) -> Callable[[str], int]:
            return lambda statement: -size.get(table(statement), 0)

        on_table = re.compile(r" ON (?:\w+\.)?\"?(\w+)\"? ")
        _maintain(store.bind,
                  sorted((f"VACUUM (ANALYZE) {name}" for name in names), key=largest_first(lambda s: s.split()[-1]))
                  + sorted(job.plan.get("set_aside", []),
                           key=largest_first(lambda s: m.group(1) if (m := on_table.search(s)) else "")))
        summaries.rebuild_at_once(store.bind)
    with store.transaction() as conn:
        reset_sequences(conn, {**_tree_tables(job.plays), **_case_tables(job.plays)})
        for definition in job.plan.get("set_aside", []):
            conn.execute(sa.text(definition))
        if not at_once:
            summaries.rebuild(conn)
        conn.execute(sa.update(GenerationRun.__table__).where(GenerationRun.id == job.run_id)
                     .values(finished_at=utcnow()))


# Memory for each index build: the sort of a large table's keys then fits in memory.
MAINTENANCE_MEMORY = "1GB"


def _maintain(engine: sa.Engine, statements: list[str], connections: int = 2) -> None:
    """Run maintenance statements (VACUUM, then CREATE INDEX) on ``connections`` connections at once, each taking
    the next statement in order when its last one is done; the server does the work, so two connections keep both
    cores busy. Vacuuming before the indexes are built sets the loaded rows' visibility once, so the builds and the
    tallies read pages that need no more writing; the analysis gives the tallies' queries their plans."""

    def connect() -> sa.Connection:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text(f"SET maintenance_work_mem = '{MAINTENANCE_MEMORY}'"))
        conn.execute(sa.text("SET max_parallel_maintenance_workers = 0"))  # the connections are the parallelism
        return conn

    on_connections(connect, statements, lambda conn, statement: conn.execute(sa.text(statement)), connections)


def _set_indexes_aside(conn: sa.Connection, plays: list, cases: int) -> list[str]:
    """On PostgreSQL, when the run writes more cases than the database holds, drop the secondary indexes of the
    tables it fills and return the statements that build them again: building an index once over the loaded rows
    is several times cheaper than keeping it up to date row by row, once the rows outgrow the server's memory.
    The statements are kept in the run's plan, so a run stopped before its end still gets its indexes back."""
    if conn.dialect.name != "postgresql" or cases <= conn.scalar(sa.select(sa.func.count()).select_from(Case)):
        return []
    names = list(_case_tables(plays))
    found = conn.execute(sa.text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(:names) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
        "ORDER BY i.tablename, i.indexname"), {"names": names}).all()
    for name, _ in found:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            .replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1) for _, definition in found]


def workers_available() -> int:
    """The processes a run may use by default: one per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
