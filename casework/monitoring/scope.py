"""The organizer's window on the data: a subtree of the organisation (by materialised path) and a period.

Every monitoring query takes a ``Scope`` and filters cases through their owning cell's path, so a commune's
organizer can never count, list or export a case of another commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.models import Case, Unit


@dataclass(frozen=True)
class Period:
    """A span of calendar days, both ends included."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    def previous(self) -> Period:
        """The span of the same length just before this one, for 'how did it change' (the year before, for a
        calendar year)."""
        if self.years() is not None:
            count = self.end.year - self.start.year + 1
            return Period(date(self.start.year - count, 1, 1), date(self.start.year - 1, 12, 31))
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period(end - length, end)

    def years(self) -> range | None:
        """The calendar years the period is made of, or None when it starts or ends inside a year."""
        if (self.start.month, self.start.day, self.end.month, self.end.day) != (1, 1, 12, 31):
            return None
        return range(self.start.year, self.end.year + 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Scope:
    """A unit and everything below it."""

    unit_id: int
    path: str
    name: str
    # A root of the tree: the tallies, kept per unit just below a root, answer for it.
    root: bool = False
    # The only root: every case is in scope, so queries need no filter at all.
    everything: bool = False
    # A top unit (just below a root): the tallies answer for it too, where no finer breakdown is needed.
    top: bool = False

    @classmethod
    def of(cls, session: Session, unit_id: int) -> Scope:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise LookupError(f"no unit {unit_id}")
        root = unit.parent_id is None
        only_root = root and session.scalar(sa.select(sa.func.count()).where(Unit.parent_id.is_(None))) == 1
        top = not root and unit.parent.parent_id is None
        return cls(unit.id, unit.path, unit.name, root=root, everything=only_root, top=top)

    def contains(self, unit: Unit) -> bool:
        return unit.is_within(self.path)

    def units(self) -> sa.Select:
        """Ids of the units in the subtree (the unit table is small; the prefix filter is cheap)."""
        return sa.select(Unit.id).where(Unit.within(self.path))

    def reads_tallies(self, period: Period | None = None, *, below_top: bool = False) -> bool:
        """Whether the tallies answer for this scope: a root, or a top unit unless the figure breaks it down
        below itself (``below_top``) where that tally has no finer unit; and only over whole years."""
        if period is not None and period.years() is None:
            return False
        return self.root or (self.top and not below_top)

    def tallied(self, top_unit_column) -> sa.ColumnElement[bool]:
        """The tally rows of this scope (a root or a top unit), by their top unit."""
        if self.everything:
            return sa.true()
        return top_unit_column == self.unit_id if self.top else top_unit_column.in_(self.units())

    def case_filter(self) -> sa.ColumnElement[bool]:
        """Cases whose owning cell is in the subtree."""
        if self.everything:
            return sa.true()
        return Case.owning_cell_id.in_(self.units())


def child_key(session: Session, path_column, scope: Scope):
    """The id (as text) of the scope's child that a unit's path passes through, '' for the scope unit itself.

    Computed in SQL from the path so that drill-down tables are one GROUP BY, whatever the tree's size.
    """
    start = len(scope.path) + 1
    rest = sa.func.substr(path_column, start)
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.split_part(rest, "/", 1)
    return sa.func.substr(rest, 1, sa.func.instr(rest, "/") - 1)


def children(session: Session, scope: Scope) -> dict[str, Unit]:
    """The scope's direct children keyed like ``child_key`` (the scope itself under '')."""
    rows = session.scalars(sa.select(Unit).where(Unit.parent_id == scope.unit_id)).all()
    out = {str(u.id): u for u in rows}
    out[""] = session.get(Unit, scope.unit_id)
    return out
