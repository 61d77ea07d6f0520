"""Tallies: counts kept beside the history, in the transaction that changes it (by
``casework.monitoring.upkeep``; these are only the tables and what their keys mean), so the national dashboard
reads a few thousand rows instead of scanning millions. Each has a definition as a grouped query over the history
(``casework.monitoring.summaries``), which rebuilds it and checks it agrees.

- ``StayTally``: stays per top unit, state, next state, year, whole days and workflow (durations, conversion
  rates);
- ``PipelineTally``: cases of every workflow per top unit, state, source, the subject's ownership and flag (both
  given by the workflow's package: admission's workplace ownership and business owners) and the years they
  opened and closed (the pipeline);
- ``ReferralTally``: referrals per referring organisation and year (the year of the date each definition
  declares as ``monitoring.referred_on``);
- ``ReplyTally``: replies (the task kinds each definition declares under ``monitoring.replies``: admission's
  background checks) per top unit, replying unit, year and working days taken.

A workflow's own tallies live in its package (admission's: ``workflows/admission/models.py``), registered with
``casework.monitoring.figures``.

A top unit is the owning cell's ancestor just below a root of the tree: a province in a national tree, a
commune in a provincial one.
"""

from __future__ import annotations

import math
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.localtime import LOCAL_TZ, local_date
from casework.models.base import Base


class StayTally(Base):
    """How many stays in ``state`` that ended in ``year`` (Vietnamese calendar) moved on to ``next_state`` after
    ``days`` whole days, per top unit (the owning cell's ancestor just below a root of the tree).

    A histogram of ``state_visits``: the national dashboard reads a few thousand of these rows instead of
    pairing millions of stays, and a median from it is exact because durations are counted in whole days.
    Kept in the same transaction as the visit it counts; ``casework.monitoring.summaries`` rebuilds it from the
    visits and checks the two agree.
    """

    __tablename__ = "stay_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "top_unit_id", "state", "next_state", "days", "workflow",
                                          name="uq_stay_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    next_state: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    days: Mapped[int]
    workflow: Mapped[str] = mapped_column(sa.String(40))  # the case's: a forecast reads its own workflow's stays
    n: Mapped[int]


class PipelineTally(Base):
    """Cases per top unit and the unit below it (``sub_unit_id``: a province's communes, so a province's own
    dashboard can break its pipeline down too), current state, source, the subject's ownership ('' unknown) and
    flag (``business_owner``; both from the workflow's package, '' and false without one) and the years the
    case opened and closed (``OPEN_YEAR`` while open), and its workflow: the pipeline of any span of whole years,
    of every workflow or one."""

    __tablename__ = "pipeline_tallies"
    __table_args__ = (sa.UniqueConstraint("top_unit_id", "sub_unit_id", "state", "source", "ownership",
                                          "business_owner", "opened_year", "closed_year", "workflow",
                                          name="uq_pipeline_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    sub_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(20))
    ownership: Mapped[str] = mapped_column(sa.String(32))
    business_owner: Mapped[bool]
    opened_year: Mapped[int]
    closed_year: Mapped[int]
    workflow: Mapped[str] = mapped_column(sa.String(40))  # the case's: two workflows may name a state alike
    n: Mapped[int]


class ReferralTally(Base):
    """Referrals per referring organisation (0: none) and year of the referral date."""

    __tablename__ = "referral_tallies"
    __table_args__ = (sa.UniqueConstraint("referring_org_id", "year", name="uq_referral_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referring_org_id: Mapped[int]
    year: Mapped[int]
    n: Mapped[int]


class ReplyTally(Base):
    """Replies per top unit (of the case), replying unit (``committee_unit_id``), year of the reply and working
    days from the request to the reply: the slowest committees of a whole tree."""

    __tablename__ = "reply_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "top_unit_id", "committee_unit_id", "working_days",
                                          name="uq_reply_tallies_key"),
                      # A year's histograms in committee order, read from the index alone (PostgreSQL): the
                      # quantiles' running counts then need no sort.
                      sa.Index("ix_reply_tallies_committee", "year", "committee_unit_id", "working_days",
                               postgresql_include=["n", "top_unit_id"]))

    id: Mapped[int] = mapped_column(primary_key=True)
    top_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    committee_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    year: Mapped[int]
    working_days: Mapped[int]
    n: Mapped[int]


OPEN_YEAR = 9999
PIPELINE_KEY = ("top_unit_id", "sub_unit_id", "state", "source", "ownership", "business_owner", "opened_year",
                "closed_year", "workflow")
REFERRAL_KEY = ("referring_org_id", "year")


def local_year(moment: datetime) -> int:
    return local_date(moment).year


def whole_days(days: float) -> int:
    """Completed days of a stay: what the tallies count and every duration figure is computed from."""
    return math.floor(days)


def sql_local_day(dialect: str, column):
    """``local_year``'s day in SQL: the Vietnamese calendar day of a UTC timestamp column."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(LOCAL_TZ.key, column), sa.Date)
    return sa.func.date(column, "+7 hours")  # SQLite knows no zones; Vietnam keeps UTC+7 all year


def sql_local_year(dialect: str, column):
    return sa.cast(sa.extract("year", sql_local_day(dialect, column)), sa.Integer)


def sql_whole_days(dialect: str, column):
    """``whole_days`` in SQL."""
    return sql_floor(dialect, column)


def sql_floor(dialect: str, expression):
    """The integer floor of a non-negative number (PostgreSQL's cast rounds, so floor first; SQLite's cast
    truncates, which for non-negative numbers is the floor)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(expression), sa.Integer)
    return sa.cast(expression, sa.Integer)


def top_unit_id(path: str) -> int:
    """The unit just below the root on a materialised path ('/1/7/30/' → 7); a root's own id for a root."""
    parts = [int(p) for p in path.strip("/").split("/")]
    return parts[1] if len(parts) > 1 else parts[0]


def sub_unit_id(path: str) -> int:
    """The unit just below the top unit ('/1/7/30/44/' → 30), or the deepest unit of a shorter path."""
    parts = [int(p) for p in path.strip("/").split("/")]
    return parts[min(2, len(parts) - 1)]
