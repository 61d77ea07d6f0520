"""Monitoring's write side: the state visits and tallies (``casework.models.tallies``) kept in step with the
history, in the transaction that writes it, so the dashboard never reads figures the history contradicts.

Two ways in, each for a reason:

- a step (``casework.engine.hooks.on_step_taken``): a step is the only writer of state-changing events and of
  units' replies, so visits, stays and replies are counted from the step itself;
- session flushes (SQLAlchemy listeners), only for the tallies keyed by what a case *is* (pipeline, referrals):
  those keys change without a step too (an enterprise's ownership or a subject's columns corrected on the admin
  page, a cell moved), so they are compared before and after every flush that touches them, whoever made it.

What a workflow's package adds (its subject's columns in the pipeline key, its own tallies and their listeners:
admission's admissions) comes through ``casework.monitoring.figures``; ``install()`` installs the packages'
listeners with its own, once per process (the app factory, and the tests' conftest, call it). Anything
that writes the history without steps (the generator ``casework.monitoring.synthetic``, migrations) fills the
tables from the history instead (``casework.monitoring.summaries.rebuild``); ``casework monitoring check``
proves the two agree.
"""

from __future__ import annotations

import functools
from collections import Counter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, aliased

from casework.engine import hooks
from casework.engine.calendar import working_days_between
from casework.engine.projection import entered_at
from casework.engine.races import locked_in_transaction
from casework.engine.rows import flush, session_behind
from casework.localtime import local_date
from casework.models import Base, Case, StateVisit, Unit
from casework.models.monitoring import visit_days
from casework.models.tallies import (
    OPEN_YEAR,
    PIPELINE_KEY,
    REFERRAL_KEY,
    PipelineTally,
    ReferralTally,
    ReplyTally,
    StayTally,
    local_year,
    sub_unit_id,
    top_unit_id,
    whole_days,
)
from casework.monitoring.figures import (
    SUBJECT_COLUMNS,
    Workflows,
    known,
    on_register,
    registered,
    subject_select,
)

if TYPE_CHECKING:
    from casework.engine.step import Step

LISTENER_NAME = "monitoring_upkeep"
_CELL_PATHS = "casework_cell_paths"
_BEFORE = "casework_case_keys"
_DEFERRED = "casework_deferred_pipeline"


# The workflows whose definitions the listeners read (their replies and referral dates): every engine's given
# to ``install`` in this process (the tests make several), else the configured folder's.
_WORKFLOWS: dict[frozenset, Workflows] = {}


def install(engine=None) -> None:
    """Keep visits and tallies from now on in this process, with the workflows' packages' own (``engine``'s
    definitions, or the configured folder's); calling it again changes nothing."""
    read = known(engine)  # reading them registers the packages
    _WORKFLOWS[frozenset((wf.name, wf.version, wf.file) for wf in read.definitions)] = read
    _reply_kinds.cache_clear()
    _referred_on.cache_clear()
    hooks.on_step_taken(LISTENER_NAME)(keep_up_with_step)
    for name, fn in _flush_listeners():
        if not sa_event.contains(Session, name, fn):
            sa_event.listen(Session, name, fn)
    for package in registered():
        if package.install is not None:
            package.install()


def uninstall() -> None:
    """Stop keeping them (a test proving who keeps them)."""
    hooks.remove_listener(LISTENER_NAME)
    for name, fn in _flush_listeners():
        if sa_event.contains(Session, name, fn):
            sa_event.remove(Session, name, fn)
    for package in registered():
        if package.uninstall is not None:
            package.uninstall()


def _flush_listeners() -> tuple:
    """What ``install`` adds to every session's flushes (the functions are defined below)."""
    return (("before_flush", _keys_before), ("after_flush", _move_counts))


def _read() -> list[Workflows]:
    if not _WORKFLOWS:
        read = known()
        _WORKFLOWS[frozenset((wf.name, wf.version, wf.file) for wf in read.definitions)] = read
    return list(_WORKFLOWS.values())


@functools.cache
def _reply_kinds() -> frozenset[str]:
    return frozenset().union(*(w.reply_kinds for w in _read()))


@functools.cache
def _referred_on() -> dict[str, str]:
    """``{workflow: the key date declared as monitoring.referred_on}``."""
    return {name: date_name for w in _read() for name, date_name in w.referred_on}


# --------------------------------------------------------------------------------------------------
# A step: the stay it ends and the one it starts, a unit's reply


def keep_up_with_step(session: Session, step: Step) -> None:
    """Count what the step did, in its transaction. Flushes first: the rows written here refer to the event's
    case (new, for a referral) and read the subject as the database holds it now."""
    replied = step.task is not None and step.task.kind in _reply_kinds()
    if not step.changes_state and not replied:
        return
    conn = session.connection()
    # PostgreSQL: the flush leaves the case's pipeline move to the visit's statement, which writes both.
    together = _visit_at_once(conn, step)
    if together:
        session.info[_DEFERRED] = {"case_id": step.case.id, "moves": None}
    try:
        flush(session)  # the unit of work's flush, or the same UPDATEs sent without it
    finally:
        deferred = session.info.pop(_DEFERRED, None)
    # The flush read the case's keys, its cell's path among them, unless only the case's own columns moved
    # under its row lock on PostgreSQL (the statements below then read the path themselves).
    paths = cell_paths(session)
    if together:
        _move_visit_at_once(conn, step, deferred["moves"] if deferred else None)
    elif step.changes_state:
        record_visit(conn, step, paths)
    if replied:
        count_reply(conn, step.case, step.task, paths)


def record_visit(conn: sa.Connection, step: Step, paths: dict[int, str]) -> None:
    """A state-changing event closes the case's open visit and opens the next, from when the case entered its
    state (an import's event says when, as ``casework.monitoring.visits`` reads it); the stay it ended is counted."""
    event, case = step.event, step.case
    if _visit_at_once(conn, step):
        _move_visit_at_once(conn, step, None)
    else:
        left = close_visit(conn, step) if step.left_entered_seq is not None else None  # a new case has none open
        if left is not None:
            state, days = left
            count_stays(conn, Counter({(case.owning_cell_id, state, event.to_state, local_year(event.occurred_at),
                                        whole_days(days), case.workflow): 1}), paths)
        conn.execute(_open_visit_insert(), {"case_id": case.id, "owning_cell_id": case.owning_cell_id,
                                            "state": event.to_state, "entered_seq": event.seq,
                                            "entered_at": entered_at(event.changes or {}, event.occurred_at)})


# PostgreSQL: a cell's top unit and the unit below it, from its path, as ``top_unit_id`` and ``sub_unit_id`` work
# them out in Python ('/1/7/30/44/' → 7 and 30; '/1/' → 1 and 1).
_PG_CELL = """cell AS (
    SELECT CAST(CASE WHEN split_part(u.path, '/', 3) = '' THEN split_part(u.path, '/', 2)
                     ELSE split_part(u.path, '/', 3) END AS integer) AS top,
           CAST(COALESCE(NULLIF(split_part(u.path, '/', 4), ''), NULLIF(split_part(u.path, '/', 3), ''),
                         split_part(u.path, '/', 2)) AS integer) AS sub
    FROM units u WHERE u.id = :cell_id
)"""

# PostgreSQL: a case's pipeline count moved from one key to another (``moves`` rows of own parts and ``n``, in
# key order), its cell's and subject's parts of the key (the subject's from its package's select, ``{subject}``)
# read by the statement itself: it runs under the case's row lock, after whoever changed them committed, as the
# reading before a flush would.
_PG_PIPELINE = """INSERT INTO pipeline_tallies (top_unit_id, sub_unit_id, state, source, ownership, business_owner,
                             opened_year, closed_year, workflow, n)
SELECT cell.top, cell.sub, m.state, m.source, COALESCE(s.ownership, ''), COALESCE(s.business_owner, false),
       m.opened_year, m.closed_year, cases.workflow, m.n
FROM cell, cases LEFT JOIN {subject} s ON s.workflow = cases.workflow AND s.subject_id = cases.subject_id,
     (VALUES {rows}) AS m(i, state, source, opened_year, closed_year, n)
WHERE cases.id = :case_id
ORDER BY m.i
ON CONFLICT (top_unit_id, sub_unit_id, state, source, ownership, business_owner, opened_year, closed_year, workflow)
DO UPDATE SET n = pipeline_tallies.n + excluded.n"""


def _pg_subject() -> str:
    """The registered subjects' select in PostgreSQL's SQL, or an empty one."""
    subject = subject_select()
    if subject is None:
        return ("(SELECT CAST(NULL AS varchar) AS workflow, CAST(NULL AS integer) AS subject_id, "
                "CAST(NULL AS varchar) AS ownership, CAST(NULL AS boolean) AS business_owner WHERE false)")
    from sqlalchemy.dialects import postgresql

    assert {"workflow", *SUBJECT_COLUMNS} <= set(subject.c.keys())
    sql = subject.element.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return f"({sql})"


def _pg_rows(moves: int) -> str:
    return ", ".join(f"({i}, CAST(:state_{i} AS varchar), CAST(:source_{i} AS varchar), "
                     f"CAST(:opened_year_{i} AS integer), CAST(:closed_year_{i} AS integer), CAST(:n_{i} AS integer))"
                     for i in range(moves))


@functools.cache
def pipeline_move(moves: int) -> sa.TextClause:
    """PostgreSQL: the pipeline move of one case alone (parameters ``move_params``)."""
    return sa.text(f"WITH {_PG_CELL}\n{_PG_PIPELINE.format(rows=_pg_rows(moves), subject=_pg_subject())}")


@functools.cache
def move_visit(moves: int = 0) -> sa.TextClause:
    """PostgreSQL: close the visit, open the next, count the stay and (``moves`` > 0) move the case's pipeline
    count, in one statement. Data-modifying CTEs see the same snapshot, so the UPDATE never meets the visit the
    INSERT adds; the stay is counted from the closed row, by its cell's top unit worked out from the path."""
    pipeline = f",\nmoved AS (\n{_PG_PIPELINE.format(rows=_pg_rows(moves), subject=_pg_subject())}\n)" if moves else ""
    return sa.text(f"""WITH {_PG_CELL}, closed AS (
    UPDATE state_visits SET left_seq = :seq, left_at = :at, next_state = :next_state, days = :days
    WHERE case_id = :case_id AND entered_seq = :left_entered_seq AND left_at IS NULL
    RETURNING state
), opened AS (
    INSERT INTO state_visits (case_id, owning_cell_id, state, entered_seq, entered_at)
    VALUES (:case_id, :cell_id, :next_state, :seq, :at)
){pipeline}
INSERT INTO stay_tallies (year, top_unit_id, state, next_state, days, workflow, n)
SELECT :year, cell.top, closed.state, :next_state, :whole_days, c.workflow, 1 FROM closed, cell, cases c
WHERE c.id = :case_id
ON CONFLICT (year, top_unit_id, state, next_state, days, workflow) DO UPDATE SET n = stay_tallies.n + excluded.n
RETURNING 1""")


@on_register
def _forget_statements() -> None:
    """A package registered (its subject's select in the statements): build them again."""
    pipeline_move.cache_clear()
    move_visit.cache_clear()


def move_params(moves: list[tuple]) -> dict[str, Any]:
    """The parameters of ``moves``: (state, source, opened year, closed year, n) each."""
    names = ("state", "source", "opened_year", "closed_year", "n")
    return {f"{name}_{i}": value for i, move in enumerate(moves) for name, value in zip(names, move, strict=True)}


def _visit_at_once(conn: sa.Connection, step: Step) -> bool:
    """Whether the step's visit moves in one statement: on PostgreSQL, for a case leaving a state."""
    return conn.dialect.name == "postgresql" and step.changes_state and step.left_entered_seq is not None


def _move_visit_at_once(conn: sa.Connection, step: Step, moves: tuple[int, list[tuple]] | None) -> None:
    """The step's visit moved in one statement with the stay it ended and (``moves``: the cell and the rows a
    flush left to it) the case's pipeline count. When no visit matched, the next visit is open all the same:
    only the closing is left to ``close_visit``, which never meets a visit entered by this event."""
    event, case = step.event, step.case
    days = visit_days(step.left_entered_at, event.occurred_at)
    rows = moves[1] if moves else []
    counted = conn.execute(move_visit(len(rows)), {
        "seq": event.seq, "at": event.occurred_at, "next_state": event.to_state, "days": days, "case_id": case.id,
        "left_entered_seq": step.left_entered_seq, "cell_id": moves[0] if moves else case.owning_cell_id,
        "year": local_year(event.occurred_at), "whole_days": whole_days(days), **move_params(rows),
    }).first()
    if counted is None:
        left = close_visit(conn, step, skip_update=True)
        if left is not None:
            count_stays(conn, Counter({(case.owning_cell_id, left[0], event.to_state, local_year(event.occurred_at),
                                        whole_days(left[1]), case.workflow): 1}))


@functools.cache
def _close_visit_update() -> sa.Update:
    """Built once: building the UPDATE each step cost more than the database took to run it."""
    table = StateVisit.__table__
    return table.update().where(table.c.case_id == sa.bindparam("b_case_id"),
                                table.c.entered_seq == sa.bindparam("b_entered_seq"), table.c.left_at.is_(None))


@functools.cache
def _open_visit_insert() -> sa.Insert:
    return StateVisit.__table__.insert()


def close_visit(conn: sa.Connection, step: Step, *, skip_update: bool = False) -> tuple[str, float] | None:
    """Close the visit the step leaves; its state and days, or None when the case had no open visit.

    The open visit is the one its state's entering event opened (``entered_seq`` = the case's ``state_seq``,
    ``entered_at`` = its ``state_entered_at``, both as they were before the step): one UPDATE, no read. Only
    when that matches no row (no step should leave it so) is the open visit looked for by ``left_at``."""
    event, table = step.event, StateVisit.__table__
    if step.left_entered_seq is not None and not skip_update:
        days = visit_days(step.left_entered_at, event.occurred_at)
        closed = conn.execute(_close_visit_update(), {
            "b_case_id": step.case.id, "b_entered_seq": step.left_entered_seq, "left_seq": event.seq,
            "left_at": event.occurred_at, "next_state": event.to_state, "days": days})
        if closed.rowcount == 1:
            return event.from_state, days
    open_visit = conn.execute(sa.select(table.c.id, table.c.state, table.c.entered_at).where(
        table.c.case_id == step.case.id, table.c.left_at.is_(None), table.c.entered_seq != event.seq)).first()
    if open_visit is None:
        return None
    days = visit_days(open_visit.entered_at, event.occurred_at)
    conn.execute(table.update().where(table.c.id == open_visit.id).values(
        left_seq=event.seq, left_at=event.occurred_at, next_state=event.to_state, days=days))
    return open_visit.state, days


def count_reply(conn: sa.Connection, case: Case, task, paths: dict[int, str]) -> None:
    """A residential committee's reply, by the working days it took."""
    path = paths.get(case.owning_cell_id) or conn.scalar(sa.select(Unit.path).where(Unit.id == case.owning_cell_id))
    days = working_days_between(local_date(task.created_at), local_date(task.completed_at))
    add(conn, ReplyTally.__table__, {"year": local_year(task.completed_at), "top_unit_id": top_unit_id(path),
                                     "committee_unit_id": task.unit_id, "working_days": days}, 1)


def count_stays(conn: sa.Connection, stays: Counter, known_paths: dict[int, str] | None = None) -> None:
    """Stays by (cell, state, next state, year, days, workflow), counted per top unit; cells' paths not known are
    read."""
    if not stays:
        return
    units, paths = Unit.__table__, dict(known_paths or {})
    missing = {cell for cell, *_ in stays} - set(paths)
    if missing:
        paths.update(conn.execute(sa.select(units.c.id, units.c.path).where(units.c.id.in_(missing))).all())
    tallies: Counter = Counter()
    for (cell, state, next_state, year, days, workflow), n in stays.items():
        tallies[(year, top_unit_id(paths[cell]), state, next_state, days, workflow)] += n
    for (year, top, state, next_state, days, workflow), n in sorted(tallies.items()):
        add(conn, StayTally.__table__, {"year": year, "top_unit_id": top, "state": state,
                                        "next_state": next_state, "days": days, "workflow": workflow}, n)


def add(conn: sa.Connection, table: sa.Table, key: dict, n: int) -> None:
    """Add ``n`` to the tally row with this key, creating it if needed, in one atomic statement (two web
    processes counting into the same row wait for each other instead of losing a count). Keys are added in
    sorted order so two flushes never take the same rows in opposite order."""
    add_many(conn, table, [{**key, "n": n}])


def add_many(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """``add`` for several keys (each row a key and its ``n``, keys distinct, in sorted order) in one statement:
    a step moves a case's pipeline count from one key to another."""
    if rows:
        conn.execute(_upsert(conn.dialect.name, table.name), rows)


@functools.cache
def _upsert(dialect: str, table_name: str) -> sa.Insert:
    """The statement ``add`` runs, built once per table: building it took longer than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Base.metadata.tables[table_name]
    (key,) = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=[c.name for c in key.columns],
                                      set_={"n": table.c.n + stmt.excluded.n})


# --------------------------------------------------------------------------------------------------
# Tallies keyed by what a case is now: each flush reads the keys of the cases it touches before and after,
# and moves their counts. The keys come from one query, so whatever changes a key (a step, a closed case, a
# corrected register, an enterprise's ownership, a cell moved) moves the count.


def case_keys(conn: sa.Connection, case_ids: set[int], *, lock: bool = False,
              locked: set[int] | frozenset = frozenset()) -> dict[int, Any]:
    """``{case id: row}`` with what the keys are made of (``keys_of``), as the database holds them now.

    With ``lock`` (the reading before a flush) the cases' rows are locked first, for the rest of the
    transaction (PostgreSQL), and the keys read afterwards by a statement of their own. A concurrent change
    to the same keys, say a step on a case while its enterprise's ownership is corrected, then waits and
    reads what the other left, instead of both moving a count from the same old key. (Read in the locking
    statement itself, the enterprise would still show the value from before the wait.) Cases in ``locked``
    are held by this transaction already (a step's ``lock_case``): the other writer waits for us anyway."""
    if not case_ids:
        return {}
    to_lock = case_ids - locked
    if lock and to_lock and conn.dialect.name != "sqlite":  # SQLite has one writer at a time, no row locks
        conn.execute(_lock_query(), {"ids": list(to_lock)})
    return {row.id: row for row in conn.execute(_keys_query(), {"ids": list(case_ids)})}


def keys_of(row: Any) -> tuple[tuple, tuple | None]:
    """(pipeline key, referral key) of a case's row."""
    return pipeline_key(row), referral_key(row)


def _keys_query() -> sa.Select:
    return _keys_select(subject_select(), tuple(sorted(_referred_on().items())))


@functools.cache
def _keys_select(subject: sa.Subquery | None, referred: tuple[tuple[str, str], ...]) -> sa.Select:
    """Built once (per registered subjects and referral dates): constructing an ORM select costs milliseconds,
    and every step runs this twice. The subject's columns come from its workflow's package (outer: a case of a
    workflow without one has '' and false), the referral date from its definition."""
    cell = aliased(Unit)
    ownership, flag = ((subject.c.ownership, subject.c.business_owner) if subject is not None
                       else (sa.null(), sa.false()))
    referral = referred_on_of(dict(referred))
    stmt = (sa.select(Case.id, Case.owning_cell_id, cell.path, Case.state, Case.source, ownership.label("ownership"),
                      flag.label("business_owner"), Case.opened_on, Case.closed_on, Case.referring_org_id,
                      (referral if referral is not None else sa.null()).label("referred_on"), Case.workflow)
            .join(cell, cell.id == Case.owning_cell_id))
    if subject is not None:
        stmt = stmt.outerjoin(subject, sa.and_(subject.c.workflow == Case.workflow,
                                               subject.c.subject_id == Case.subject_id))
    return stmt.where(Case.id.in_(sa.bindparam("ids", expanding=True)))


def referred_on_of(dates: dict[str, str]) -> sa.ColumnElement | None:
    from casework.models.cases import case_date

    whens = [(Case.workflow == name, case_date(date_name)) for name, date_name in sorted(dates.items())]
    return sa.case(*whens) if whens else None


@functools.cache
def _lock_query() -> sa.Select:
    return sa.select(Case.id).where(Case.id.in_(sa.bindparam("ids", expanding=True))).with_for_update()


def pipeline_key(row: Any) -> tuple:
    return (top_unit_id(row.path), sub_unit_id(row.path), row.state, row.source, row.ownership or "",
            bool(row.business_owner), row.opened_on.year, row.closed_on.year if row.closed_on else OPEN_YEAR,
            row.workflow)


def referral_key(row: Any) -> tuple | None:
    return (row.referring_org_id or 0, _as_date(row.referred_on).year) if row.referred_on else None


def _as_date(value):
    """A referral date as read (a date; the ISO text a CASE over SQLite's JSON may give)."""
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


# What the keys are made of, per model: a flush that changes none of these leaves every key as it was.
# (A workflow's subject model and its attributes: its package's ``SubjectKeys``.)
KEY_ATTRIBUTES = {
    Case: ("state", "source", "opened_on", "closed_on", "owning_cell_id", "subject_id", "referring_org_id",
           "dates"),
    Unit: ("ownership", "path"),
}


# The case's own columns among them: a flush changing only these (a step) leaves the joined parts as they were.
OWN_KEY_ATTRIBUTES = ("state", "source", "opened_on", "closed_on", "referring_org_id", "dates")


def _moved(state: Any, name: str) -> bool:
    """Whether the flush changes this attribute: one set since it was loaded (the only ones with a value before)
    and set to another value."""
    return name in state.committed_state and state.attrs[name].history.has_changes()


def _changed(session: Session, model: type, names: tuple[str, ...] | None = None) -> list:
    """Saved ``model`` objects whose key attributes this flush changes (most flushes change none)."""
    names = names or KEY_ATTRIBUTES[model]
    return [obj for obj in session.dirty if isinstance(obj, model) and obj.id is not None
            and any(_moved(sa.inspect(obj), name) for name in names)]


def _own_changes(case: Case) -> dict[str, Any] | None:
    """The new values of the case's own key columns this flush writes, or None when it also moves the case to
    another cell or subject (then the keys are read again after the flush)."""
    state = sa.inspect(case)
    if any(_moved(state, name) for name in ("owning_cell_id", "subject_id")):
        return None
    changes = {name: state.attrs[name].value for name in OWN_KEY_ATTRIBUTES if _moved(state, name)}
    if "dates" in changes:  # of the key dates, the referral key reads the referral date
        del changes["dates"]
        name = _referred_on().get(case.workflow)
        changes["referred_on"] = case.date(name) if name else None
    return changes


def _touched_cases(session: Session) -> tuple[set[int], dict[int, dict[str, Any]]]:
    """Saved cases whose keys this flush may change: the cases themselves, and the cases of subjects (their
    package's ``SubjectKeys``), enterprises (``units_subjects``) and cells being changed; and, of those, the ones
    only their own columns move (with the new values), whose keys after the flush need no second reading."""
    cases = _changed(session, Case)
    own = {case.id: changes for case in cases if (changes := _own_changes(case)) is not None}
    ids = {case.id for case in cases}
    packages = [p for p in registered() if p.subject_keys is not None or p.units_subjects is not None]
    subjects = {p.workflow: [obj.id for obj in _changed(session, p.subject_keys.model, p.subject_keys.attributes)]
                for p in packages if p.subject_keys is not None}
    units = [u.id for u in _changed(session, Unit)]
    if units or any(subjects.values()):
        touching = [Case.owning_cell_id.in_(units)]
        for package in packages:
            changed = subjects.get(package.workflow)
            ids_of_units = package.units_subjects(units) if package.units_subjects is not None else None
            of_subjects = [*([Case.subject_id.in_(changed)] if changed else []),
                           *([Case.subject_id.in_(ids_of_units)] if ids_of_units is not None else [])]
            if of_subjects:
                touching.append(sa.and_(Case.workflow == package.workflow, sa.or_(*of_subjects)))
        others = set(session.connection().scalars(sa.select(Case.id).where(sa.or_(*touching))))
        ids |= others
        own = {case_id: changes for case_id, changes in own.items() if case_id not in others}
    return ids, own


def cell_paths(session: Session) -> dict[int, str]:
    """The cells' paths the flushes of this transaction read with the keys (a path read in an earlier
    transaction may have changed since)."""
    session = session_behind(session)
    transaction = session.get_transaction()
    kept = session.info.get(_CELL_PATHS)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_CELL_PATHS] = (transaction, {})
    return kept[1]


# The case's own parts of its pipeline key.
_PIPELINE_OWN = ("state", "source", "opened_on", "closed_on")


def _pipeline_moves(case: Case) -> list[tuple] | None:
    """A case whose own parts of the pipeline key are all this flush changes among its key attributes: its
    count's move, (state, source, opened year, closed year, n) rows in key order (none when the key stays), the
    other parts being the same before and after. None when a value before the flush is not known."""
    attrs = sa.inspect(case).attrs
    before, after = [], []
    for name in _PIPELINE_OWN:
        history = attrs[name].history
        if history.added and not history.deleted:
            return None  # changed without having been loaded
        after.append(attrs[name].value)
        before.append(history.deleted[0] if history.deleted else attrs[name].value)
    old, new = _own_key(*before), _own_key(*after)
    return [] if old == new else sorted([(*old, -1), (*new, 1)])


def _own_pipeline_only(case: Case, changes: dict[str, Any]) -> bool:
    """Whether, of the case's key attributes, the flush changes only its own parts of the pipeline key: a step
    recording another key date rewrites the dates map, but the referral date in it stays as it was."""
    others = set(changes) - set(_PIPELINE_OWN)
    if not others:
        return True
    if others != {"referred_on"}:
        return False
    history = sa.inspect(case).attrs.dates.history
    if not history.deleted:
        return False  # the map before the flush is not known
    name = _referred_on().get(case.workflow)  # the key date the definition declares as monitoring.referred_on
    return name is None or (history.deleted[0] or {}).get(name) == (case.dates or {}).get(name)


def _own_key(state: str, source: str, opened_on, closed_on) -> tuple:
    """In the order of ``PIPELINE_KEY`` (the parts between are the same for both moves)."""
    return state, source, opened_on.year, closed_on.year if closed_on else OPEN_YEAR


def _keys_before(session: Session, flush_context, instances) -> None:
    touched, own = _touched_cases(session)
    conn, locked = session.connection(), locked_in_transaction(session)
    # PostgreSQL, a case under this transaction's row lock whose own columns alone move its keys (a step): its
    # pipeline count is moved by a statement reading the other parts itself, so nothing is read here.
    worked_out: dict[int, tuple[int, list[tuple]]] = {}
    if conn.dialect.name == "postgresql":
        dirty = {obj.id: obj for obj in session.dirty if isinstance(obj, Case)}
        for case_id, changes in own.items():
            if case_id in locked and case_id in dirty and _own_pipeline_only(dirty[case_id], changes):
                moves = _pipeline_moves(dirty[case_id])
                if moves is not None:
                    worked_out[case_id] = (dirty[case_id].owning_cell_id, moves)
    rows = case_keys(conn, touched - set(worked_out), lock=True, locked=locked)
    cell_paths(session).update((row.owning_cell_id, row.path) for row in rows.values())
    session.info[_BEFORE] = (rows, {k: v for k, v in own.items() if k not in worked_out}, worked_out)


def _move_worked_out(session: Session, worked_out: dict[int, tuple[int, list[tuple]]]) -> None:
    """The pipeline moves ``_keys_before`` left to a statement: the step's own, to its visit's statement (see
    ``keep_up_with_step``); any other, one statement each now."""
    deferred = session.info.get(_DEFERRED)
    for case_id, (cell_id, moves) in sorted(worked_out.items()):
        if not moves:
            continue
        if deferred is not None and deferred["case_id"] == case_id and deferred["moves"] is None:
            deferred["moves"] = (cell_id, moves)
            continue
        session.connection().execute(pipeline_move(len(moves)),
                                     {"case_id": case_id, "cell_id": cell_id, **move_params(moves)})


def _after(row: Any, changes: dict[str, Any]) -> SimpleNamespace:
    """A case's row as the flush leaves it, when only its own columns changed: the cell, subject and
    workplace parts cannot have moved (anyone changing them locks the case first, and waits for us)."""
    return SimpleNamespace(**{**row._asdict(), **changes})


def _move_counts(session: Session, flush_context) -> None:
    rows_before, own, worked_out = session.info.pop(_BEFORE, ({}, {}, {}))
    _move_worked_out(session, worked_out)
    new = {c.id for c in session.new if isinstance(c, Case)}
    if not rows_before and not new:
        return
    conn = session.connection()
    rows_after = {case_id: _after(rows_before[case_id], changes) for case_id, changes in own.items()}
    reread = case_keys(conn, (set(rows_before) | new) - set(rows_after))
    cell_paths(session).update((row.owning_cell_id, row.path) for row in reread.values())
    rows_after.update(reread)
    before = {case_id: keys_of(row) for case_id, row in rows_before.items()}
    after = {case_id: keys_of(row) for case_id, row in rows_after.items()}
    pipeline, referrals = Counter(), Counter()
    for case_id in set(before) | new:
        old_keys, new_keys = before.get(case_id, (None, None)), after.get(case_id, (None, None))
        for counter, old, now in ((pipeline, old_keys[0], new_keys[0]), (referrals, old_keys[1], new_keys[1])):
            if old != now:
                if old is not None:
                    counter[old] -= 1
                if now is not None:
                    counter[now] += 1
    for table, names, counter in ((PipelineTally.__table__, PIPELINE_KEY, pipeline),
                                  (ReferralTally.__table__, REFERRAL_KEY, referrals)):
        add_many(conn, table, [{**dict(zip(names, key, strict=True)), "n": n}
                               for key, n in sorted(counter.items()) if n])
