"""Importing a few hundred cases in one go: the statements sent grow by a small constant per row (the rows'
units, their subjects and open cases are read for the whole file, the writes sent a hundred cases at a time),
whatever the states the rows are in."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case
from tests.cli.test_import_cases import a_good_file, run, write_csv
from workflows.admission.models import Candidate

# What one more row costs: its visit written (the step listeners write one row per step) and, for a case
# entering admission, its count; its subject and open case are read with the others' (the package's
# read_ahead). SQLite adds one INSERT per row of each new object (the ORM batches them on PostgreSQL alone).
PER_ROW = 2
PER_ROW_UNBATCHED = PER_ROW + 5


def rows_of(org, n: int, first: int = 0) -> list[dict[str, str]]:
    """``n`` rows going round the states of the good file, each a different person."""
    base = a_good_file(org)
    return [{**base[i % len(base)], "national_id": f"0010985{first + i:05d}"} for i in range(n)]


def statements(app, path, *args) -> int:
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.engines[None] if hasattr(db, "engines") else db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        result = run(app, path, *args)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert result.exit_code == 0, result.output
    return len(sent)


@pytest.mark.parametrize("args", [("--dry-run",), ("--by", "admin")], ids=["dry-run", "import"])
def test_the_statements_grow_by_a_small_constant_per_row(app, org, tmp_path, args):
    n = 12
    small = statements(app, write_csv(tmp_path / "small.csv", rows_of(org, n)), *args)
    large = statements(app, write_csv(tmp_path / "large.csv", rows_of(org, 2 * n, first=1000)), *args)
    batched = db.session.get_bind().dialect.name == "postgresql"
    assert large - small <= (PER_ROW if batched else PER_ROW_UNBATCHED) * n, (small, large)
    imported = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    assert imported == (0 if args == ("--dry-run",) else 3 * n)


def test_more_than_a_hundred_cases_are_written_in_batches(app, org, tmp_path):
    """Past a hundred cases (one flush each hundred) every case is imported with its tasks, and the tallies
    agree with the history."""
    rows = rows_of(org, 205)
    result = run(app, write_csv(tmp_path / "many.csv", rows), "--by", "admin")
    assert result.exit_code == 0, result.output
    assert "imported 205 case(s)" in result.output
    cases = db.session.scalars(sa.select(Case)).all()
    assert len(cases) == 205 and all(case.tasks for case in cases)
    check = app.test_cli_runner().invoke(args=["monitoring", "check"])
    assert "The tallies agree with the history." in check.output, check.output


def test_a_known_person_is_found_among_those_read_ahead(app, org, tmp_path):
    """A person already on record (an earlier, closed case) is the imported case's subject, with the row's
    details; the package's read-ahead is gone once the import is over, refused or not."""
    known = Candidate(national_id="001098000777", full_name="Tên Cũ", birth_date=date(1998, 4, 12), gender="male",
                      residence_unit_id=org.area.id, workplace_unit_id=org.enterprise.id)
    db.session.add(known)
    db.session.commit()
    rows = rows_of(org, 3)
    rows[1]["national_id"] = "001098000777"
    assert run(app, write_csv(tmp_path / "k.csv", rows), "--dry-run").exit_code == 0
    assert not any("read_ahead" in str(key) for key in db.session().info)
    result = run(app, write_csv(tmp_path / "k.csv", rows), "--by", "admin")
    assert result.exit_code == 0, result.output
    case = db.session.scalar(sa.select(Case).where(Case.subject_key == "001098000777"))
    assert case.subject_id == known.id and case.candidate.full_name == "Trần Văn Bình"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Candidate)) == 3
    assert not any("read_ahead" in str(key) for key in db.session().info)
    result = run(app, write_csv(tmp_path / "k.csv", rows), "--by", "admin")  # open cases now: refused
    assert result.exit_code == 1 and "open_case_exists" not in result.output and "already has" in result.output
    assert not any("read_ahead" in str(key) for key in db.session().info)
