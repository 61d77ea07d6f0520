"""A synthetic province (or country) for demonstrations and for measuring the dashboard at scale.

This module builds the organisation (provinces, communes, enterprises with their cells and unions, residential
cells, official members) and writes everything in bulk (PostgreSQL COPY, executemany elsewhere), because a
million cases through the engine one step at a time would take days. The cases themselves come from each
workflow package's ``simulation`` (its scenario: which step follows, when, with which values), and every step
is turned into rows by ``casework.monitoring.simulation.StepWriter``, which runs the engine's own code for the
destination, the recorded dates and facts, the effects, the tasks and their due dates: nothing here names a
workflow's states or steps.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from casework.engine import LOCAL_TZ, Engine
from casework.engine.packages import PACKAGES
from casework.models import (
    Base,
    Case,
    Document,
    Event,
    PartyMember,
    PartyOrgFounding,
    StateVisit,
    Task,
    Unit,
)
from casework.monitoring import summaries
from casework.monitoring.simulation import StepWriter, WorkingDays

CASES_PER_PROVINCE = 50_000
COMMUNES_PER_PROVINCE = 25
YEARS_OF_HISTORY = 6


# --------------------------------------------------------------------------------------------------
# Identity allocation: ids are chosen here so related rows can be written without round trips


class Ids:
    """The next id of each table, read once from the database when the table is first used."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self.next.get(table)
        if value is None:
            column = Base.metadata.tables[table].c.id
            value = (self.conn.scalar(sa.select(sa.func.max(column))) or 0) + 1
        self.next[table] = value + 1
        return value


@dataclass
class Buffer:
    """Rows waiting to be written, per table, as dicts in column order."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

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


def _unit(ids: Ids, buf: Buffer, parent: dict | None, kind: str, name: str, **extra) -> dict:
    unit_id = ids.take("units")
    path = f"{parent['path'] if parent else '/'}{unit_id}/"
    row = {"id": unit_id, "parent_id": parent["id"] if parent else None, "kind": kind, "name": name,
           "code": f"G{unit_id:07d}", "path": path, "cell_type": None, "ownership": None, "industrial_zone": False,
           "has_party_org": False, "assigned_cell_id": None, "admits_members": False,
           "organizing_department": False, "created_at": datetime(2019, 1, 1, tzinfo=UTC)}
    row.update(extra)
    buf.add("units", row)
    return row


def build_tree(ids: Ids, buf: Buffer, rng: random.Random, provinces: int) -> World:
    """Country → provinces → communes (the authorities) → industrial-zone committees, enterprises with and
    without a party organisation, their unions, residential cells and areas."""
    root = _unit(ids, buf, None, "province", "Toàn quốc (dữ liệu mô phỏng)", organizing_department=True) \
        if provinces > 1 else None
    communes = []
    for p in range(provinces):
        province = _unit(ids, buf, root, "province", f"Tỉnh mô phỏng {p + 1}", organizing_department=True)
        for c in range(COMMUNES_PER_PROVINCE):
            communes.append(_commune(ids, buf, rng, province, p, c))
    return World(root or province, communes, members_and_people(ids, buf, rng, communes))


def _commune(ids: Ids, buf: Buffer, rng: random.Random, province: dict, p: int, c: int) -> Commune:
    commune = _unit(ids, buf, province, "commune_committee", f"Đảng ủy xã/phường {p + 1}.{c + 1}",
                    admits_members=True, organizing_department=True)
    residential = []
    for r in range(6):
        cell = _unit(ids, buf, commune, "cell", f"Chi bộ khu dân cư {p + 1}.{c + 1}.{r + 1}", cell_type="residential")
        area = _unit(ids, buf, cell, "residential_area", f"Khu dân cư {p + 1}.{c + 1}.{r + 1}")
        residential.append({"cell": cell, "area": area, "pace": rng.choice((1, 1, 1, 1, 1.5, 4))})
    cells = []
    for g in range(2):
        zone = _unit(ids, buf, commune, "grassroots_committee", f"Đảng ủy KCN {p + 1}.{c + 1}.{g + 1}")
        for e in range(5):
            cells.append(_enterprise(ids, buf, rng, zone, f"{p + 1}.{c + 1}.{g + 1}.{e + 1}", zone, None))
    for e in range(5):
        cells.append(_enterprise(ids, buf, rng, commune, f"{p + 1}.{c + 1}.0.{e + 1}", None, None))
    for e in range(3):  # no party organisation: a residential cell owns their workers' cases
        cells.append(_enterprise(ids, buf, rng, commune, f"{p + 1}.{c + 1}.x.{e + 1}", None,
                                 residential[e]["cell"]))
    return Commune(commune, cells, residential, rng.lognormvariate(0, 0.25))


def _enterprise(ids, buf, rng, parent, label, grassroots, assigned) -> dict:
    ownership = "foreign_invested" if rng.random() < 0.3 else "domestic_private"
    cell = assigned or _unit(ids, buf, parent, "cell", f"Chi bộ Công ty {label}", cell_type="workplace")
    enterprise = _unit(ids, buf, parent, "enterprise", f"Công ty {label}", ownership=ownership,
                       industrial_zone=grassroots is not None, has_party_org=assigned is None,
                       assigned_cell_id=cell["id"])
    unions = {"trade_union": _unit(ids, buf, enterprise, "trade_union", f"Công đoàn Công ty {label}"),
              "youth_union": _unit(ids, buf, enterprise, "youth_union", f"Đoàn thanh niên Công ty {label}")}
    return {"cell": cell, "enterprise": enterprise, "unions": unions, "grassroots": grassroots,
            "pace": rng.lognormvariate(0, 0.3)}


def members_and_people(ids: Ids, buf: Buffer, rng: random.Random, communes: list[Commune]) -> dict[int, list[int]]:
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


# Parents first; a scenario's subject tables (``tables``) go between the organisation and the cases.
BEFORE_CASES = (Unit, PartyMember)
CASE_TABLES = (Case, Document, Task, Event, StateVisit, PartyOrgFounding)


def _tables(scenarios) -> dict[str, sa.Table]:
    subjects = [t for s in scenarios for t in getattr(s, "tables", ())]
    ordered = [m.__table__ for m in BEFORE_CASES] + subjects + [m.__table__ for m in CASE_TABLES]
    return {t.name: t for t in ordered}


def flush(conn: sa.Connection, buf: Buffer, tables: dict[str, sa.Table]) -> None:
    """Write everything buffered, parents first (``tables`` in order); COPY on PostgreSQL, executemany
    elsewhere."""
    postgres = conn.dialect.name == "postgresql"
    for name, table in tables.items():
        rows = buf.rows.pop(name, None)
        if not rows:
            continue
        if postgres:
            _copy(conn, table, rows)
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


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY through psycopg's own (compiled) adapters; only JSON columns are turned into text here."""
    columns = [c.name for c in table.columns]
    as_json = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_json_text(row.get(c)) if c in as_json else row.get(c) for c in columns])


# One encoder for every value: json.dumps with options builds a new one each call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if not value:  # most flags and many outcomes are empty: skip the encoder
        return "{}" if isinstance(value, dict) else "[]"
    return _encode(value)


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


def generate(conn: sa.Connection, *, cases: int, engine: Engine, seed: int = 1, today: date | None = None,
             progress=None) -> dict[str, Any]:
    """Fill the database with ``cases`` simulated cases over a tree sized for them, shared among the workflows
    whose packages have a scenario; returns what was made."""
    rng = random.Random(seed)
    today = today or date.today()
    now = datetime.combine(today, time(17), LOCAL_TZ).astimezone(UTC)
    ids, buf = Ids(conn), Buffer()
    plays = scenarios()
    if not plays:
        raise RuntimeError("no workflow package has a simulation")
    tables = _tables(plays)
    _fast_load(conn)
    provinces = max(1, round(cases / CASES_PER_PROVINCE))
    world = build_tree(ids, buf, rng, provinces)
    _foundings(ids, buf, rng, world.communes, today)
    flush(conn, buf, tables)
    calendar = WorkingDays(today - timedelta(days=366 * (YEARS_OF_HISTORY + 1)), today + timedelta(days=800))
    writer = StepWriter(ids, buf.add, engine, calendar)
    first = today - timedelta(days=365 * YEARS_OF_HISTORY)
    for n in range(cases):
        scenario = plays[n % len(plays)]
        opened = first + timedelta(days=rng.randint(0, (today - first).days))
        scenario.write_case(writer, world, rng, opened, now)
        if buf.size() > 200_000:
            flush(conn, buf, tables)
            if progress:
                progress(n + 1)
    flush(conn, buf, tables)
    reset_sequences(conn, tables)
    summaries.rebuild(conn)
    return {"root_unit_id": world.root["id"], "communes": len(world.communes), "provinces": provinces,
            "cases": cases}


def _fast_load(conn: sa.Connection) -> None:
    """On PostgreSQL, skip per-row foreign-key triggers for this transaction: every id written here was
    allocated here, parents first, so the checks would only cost time (a third of a large load)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))


def _foundings(ids: Ids, buf: Buffer, rng: random.Random, communes: list[Commune], today: date) -> None:
    """Party organisations founded in some enterprises over the years, for the targets."""
    for commune in communes:
        for entry in commune.cells:
            if entry["enterprise"]["has_party_org"] and rng.random() < 0.25:
                founded = today - timedelta(days=rng.randint(0, 365 * YEARS_OF_HISTORY))
                buf.add("party_org_foundings", {
                    "id": ids.take("party_org_foundings"), "enterprise_id": entry["enterprise"]["id"],
                    "founded_on": founded, "ownership": entry["enterprise"]["ownership"],
                    "decision_number": f"{entry['enterprise']['id']}-QĐ/ĐU", "decided_by_id": commune.unit["id"],
                    "notes": "", "created_at": datetime.combine(founded, time(2), UTC)})
