"""The one rule for "a unit within a subtree", in Python (``Unit.is_within``) and in SQL (``Unit.within``)."""

import pytest
import sqlalchemy as sa

from casework.models import Unit
from casework.models.org import path_is_within, within

PATHS = ["/1/", "/1/4/", "/1/4/9/", "/1/40/", "/1/40/7/", "/2/"]


@pytest.fixture
def units(session) -> dict[str, Unit]:
    rows = {p: Unit(kind="cell", name=p, code=f"u{n}", path=p) for n, p in enumerate(PATHS)}
    session.add_all(rows.values())
    session.commit()
    return rows


def _within_sql(session, ancestor) -> set[str]:
    return set(session.scalars(sa.select(Unit.path).where(Unit.within(ancestor))))


@pytest.mark.parametrize(("ancestor", "expected"), [
    ("/1/4/", {"/1/4/", "/1/4/9/"}),          # itself and below, never the sibling /1/40/
    ("/1/40/", {"/1/40/", "/1/40/7/"}),
    ("/1/", {"/1/", "/1/4/", "/1/4/9/", "/1/40/", "/1/40/7/"}),  # a root holds its whole tree
    ("/1/4/9/", {"/1/4/9/"}),
])
def test_python_and_sql_agree_at_the_boundaries(session, units, ancestor, expected):
    assert {p for p, unit in units.items() if unit.is_within(ancestor)} == expected
    assert {p for p, unit in units.items() if unit.is_within(units[ancestor])} == expected
    assert _within_sql(session, ancestor) == expected
    assert _within_sql(session, units[ancestor]) == expected


def test_an_aliased_unit_or_a_copied_path_uses_the_same_rule(session, units):
    cell = sa.orm.aliased(Unit)
    assert set(session.scalars(sa.select(cell.path).where(within(cell.path, "/1/4/")))) == {"/1/4/", "/1/4/9/"}
    assert path_is_within("/1/4/9/", units["/1/4/"]) and not path_is_within("/1/40/", units["/1/4/"])


def test_the_sql_is_an_index_friendly_prefix_match(session):
    sql = str(sa.select(Unit.id).where(Unit.within("/1/4/")).compile(dialect=session.get_bind().dialect))
    assert "units.path LIKE" in sql and "ESCAPE" in sql  # LIKE 'prefix%' on the indexed column, escaped


@pytest.mark.parametrize("bad", ["/1/4", "", "1/4/"])
def test_a_path_that_is_not_a_whole_unit_path_is_refused(bad):
    # "/1/4" would take in /1/40/, and "" everything: refusing is safer than answering wrong.
    with pytest.raises(ValueError):
        path_is_within("/1/4/9/", bad)
    with pytest.raises(ValueError):
        Unit.within(bad)
