"""The founding workflow's own monitoring, plugged into the generic figures through ``casework.monitoring.figures``:

- the pipeline's subject columns: a founding case's subject is the enterprise itself, so its ownership (domestic
  private, foreign-invested) splits the generic pipeline, and changing it moves the case;
- the ``new_party_orgs`` target measure: organisations founded by ``decide_founding``, each counted once in its
  decision's year for the enterprise's committees (every ancestor), plus the flat register's rows, which are
  organisations founded before the system (imported), an enterprise founded through the system not counted twice;
- its figures, each on its own tab: the founding pipeline per committee with the year's forecast, and how long
  owner engagement and member transfers take;
- its page recording the organisations founded before the system (``imported``), linked from the overview.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased

from casework.models import Case, StateVisit, Unit, UnitKind, case_date
from casework.models.org import within
from casework.monitoring import figures
from casework.monitoring.queries import ids_in_path
from casework.monitoring.scope import Scope
from casework.monitoring.stats import report_query
from casework.monitoring.targets import targets_for
from workflows.founding.imported import bp as register_pages
from workflows.founding.models import WORKFLOW, PartyOrgFounding

FOUNDED = "founded"
# Open states counted as likely to be founded within the year (the proposal is written, or being decided).
NEAR_THE_END = ("proposal", "authority_review")
OPEN_STATES = ("identified", "engaging_owner", "gathering_members", "proposal", "authority_review")
TIMED_STATES = ("engaging_owner", "gathering_members")


# --------------------------------------------------------------------------------------------------
# The pipeline's subject columns


def subject() -> sa.Select:
    """Per enterprise (the subject of its founding cases): its ownership; no flag of its own."""
    return (sa.select(Unit.id.label("subject_id"), Unit.ownership.label("ownership"),
                      sa.false().label("business_owner"))
            .where(Unit.kind == UnitKind.ENTERPRISE))


def enterprises_among(unit_ids: list[int]) -> sa.Select:
    return sa.select(Unit.id).where(Unit.id.in_(unit_ids), Unit.kind == UnitKind.ENTERPRISE)


# --------------------------------------------------------------------------------------------------
# The new_party_orgs target


def founded_cases(year_from: int, year_to: int) -> sa.Select:
    """Founding cases decided in the years, with the enterprise's path and the decision's year."""
    decided = case_date("decision_date")
    enterprise = aliased(Unit)
    return (sa.select(Case.subject_id, enterprise.path, sa.extract("year", decided).label("year"))
            .join(enterprise, enterprise.id == Case.subject_id)
            .where(Case.workflow == WORKFLOW, Case.state == FOUNDED,
                   decided.between(date(year_from, 1, 1), date(year_to, 12, 31))))


def foundings_by_unit(session: Session, *, scope: Scope, year_from: int, year_to: int) -> dict[int, Counter]:
    """New party organisations by year, counted for every ancestor of the enterprise: those the system founded
    (by the decision's year) and the register's imported ones, an enterprise the system founded counted once."""
    out: dict[int, Counter] = defaultdict(Counter)
    decided = founded_cases(year_from, year_to).subquery()
    for row in session.execute(sa.select(decided).where(within(decided.c.path, scope.path))):
        for unit_id in ids_in_path(row.path):
            out[unit_id][int(row.year)] += 1
    founded_here = sa.select(Case.subject_id).where(Case.workflow == WORKFLOW, Case.state == FOUNDED)
    year = sa.extract("year", PartyOrgFounding.founded_on)
    imported = (sa.select(Unit.path, year.label("year"), sa.func.count().label("n"))
                .join(Unit, Unit.id == PartyOrgFounding.enterprise_id)
                .where(PartyOrgFounding.founded_on.between(date(year_from, 1, 1), date(year_to, 12, 31)),
                       Unit.within(scope.path), PartyOrgFounding.enterprise_id.not_in(founded_here))
                .group_by(Unit.path, year))
    for row in session.execute(imported):
        for unit_id in ids_in_path(row.path):
            out[unit_id][int(row.year)] += row.n
    return out


def measures(session: Session, *, scope: Scope, year_from: int, year_to: int,
             units: Collection[int]) -> dict[str, dict[int, dict[int, int]]]:
    """``{"new_party_orgs": {unit: {year: n}}}``: takes the place of the register's count alone."""
    counted = foundings_by_unit(session, scope=scope, year_from=year_from, year_to=year_to)
    return {"new_party_orgs": {unit: dict(years) for unit, years in counted.items()}}


# --------------------------------------------------------------------------------------------------
# Figures


@report_query
def pipeline(session: Session, *, scope: Scope, year: int) -> list[dict[str, Any]]:
    """Per founding committee in scope: its open cases by state, the organisations founded in the year, its
    target, and the year's forecast (founded, plus the cases whose proposal is written)."""
    committee = aliased(Unit)
    open_rows = session.execute(
        sa.select(Case.owning_cell_id, Case.state, sa.func.count())
        .join(committee, committee.id == Case.owning_cell_id)
        .where(Case.workflow == WORKFLOW, Case.closed_on.is_(None), within(committee.path, scope.path))
        .group_by(Case.owning_cell_id, Case.state)).all()
    founded_rows = session.execute(
        sa.select(Case.owning_cell_id, sa.func.count()).join(committee, committee.id == Case.owning_cell_id)
        .where(Case.workflow == WORKFLOW, Case.state == FOUNDED, within(committee.path, scope.path),
               case_date("decision_date").between(date(year, 1, 1), date(year, 12, 31)))
        .group_by(Case.owning_cell_id)).all()
    by_unit: dict[int, dict[str, int]] = defaultdict(Counter)
    for unit_id, state, n in open_rows:
        by_unit[unit_id][state] += n
    for unit_id, n in founded_rows:
        by_unit[unit_id][FOUNDED] += n
    if not by_unit:
        return []
    targets = {t.unit_id: t.value("new_party_orgs") for t in targets_for(session, scope, year)
               if t.year_from == t.year_to}
    names = dict(session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(list(by_unit)))).all())
    rows = []
    for unit_id, counts in sorted(by_unit.items(), key=lambda kv: names[kv[0]]):
        expected = counts[FOUNDED] + sum(counts[s] for s in NEAR_THE_END)
        rows.append({"unit": names[unit_id], **{s: counts[s] for s in OPEN_STATES}, FOUNDED: counts[FOUNDED],
                     "target": targets.get(unit_id), "expected_by_year_end": expected})
    return rows


def _pipeline_table(rows, _names) -> tuple[list[str], list[list[Any]]]:
    columns = ["unit", *OPEN_STATES, FOUNDED, "target", "expected_by_year_end"]
    return columns, [[row[c] for c in columns] for row in rows]


@report_query
def durations(session: Session, *, scope: Scope, year: int) -> list[dict[str, Any]]:
    """How long owner engagement and member transfers took: the stays ended in the year, in calendar days."""
    committee = aliased(Unit)
    stmt = (sa.select(StateVisit.state, sa.func.count(), sa.func.avg(StateVisit.days), sa.func.max(StateVisit.days))
            .join(Case, Case.id == StateVisit.case_id).join(committee, committee.id == Case.owning_cell_id)
            .where(Case.workflow == WORKFLOW, StateVisit.state.in_(TIMED_STATES), StateVisit.days.is_not(None),
                   StateVisit.left_at >= date(year, 1, 1), StateVisit.left_at < date(year + 1, 1, 1),
                   within(committee.path, scope.path))
            .group_by(StateVisit.state))
    found = {state: (n, avg, longest) for state, n, avg, longest in session.execute(stmt)}
    return [{"state": state, "cases": found.get(state, (0, None, None))[0],
             "mean_days": round(found[state][1], 1) if state in found else None,
             "max_days": round(found[state][2], 1) if state in found else None} for state in TIMED_STATES]


def _durations_table(rows, _names) -> tuple[list[str], list[list[Any]]]:
    columns = ["state", "cases", "mean_days", "max_days"]
    return columns, [[row[c] for c in columns] for row in rows]


def ocel_enterprises(session: Session, subject_ids: list[int]) -> dict[int, Any]:
    """A founding case's subject is the enterprise unit itself: its object in the object-centric log, which an
    admission case's candidate working there is related to."""
    from casework.monitoring.ocel import OcelObject, unit_object_id

    rows = session.scalars(sa.select(Unit).where(Unit.id.in_(subject_ids))) if subject_ids else []
    return {u.id: OcelObject(unit_object_id(u.id), u.kind, {"name": u.name, "code": u.code,
                                                             "ownership": u.ownership or "",
                                                             "industrial_zone": u.industrial_zone,
                                                             "has_party_org": u.has_party_org}) for u in rows}


FIGURES = figures.register(figures.WorkflowFigures(
    workflow=WORKFLOW,
    subject=subject,
    units_subjects=enterprises_among,
    figures={
        "foundings": figures.Figure(lambda r: pipeline(r.session, scope=r.scope, year=r.year), _pipeline_table,
                                    _l("Founding party organisations in enterprises: pipeline and forecast"),
                                    _l("Foundings"), page_order=0),
        "founding_durations": figures.Figure(lambda r: durations(r.session, scope=r.scope, year=r.year),
                                             _durations_table, _l("Time spent engaging owners and gathering members"),
                                             _l("Founding times"), page_order=1),
    },
    measures=measures,
    target_measures=(figures.TargetMeasure("new_party_orgs", _l("New party organisations"),
                                           _l("New party organisations target")),),
    ocel_subjects=ocel_enterprises,
    pages=register_pages,
    links=(("founding_register.index", _l("New party organisations")),),
    labels={"identified": _l("Identified"), "engaging_owner": _l("Engaging the owner"),
            "gathering_members": _l("Gathering the members"), "proposal": _l("Proposal"),
            "authority_review": _l("Authority review"), "founded": _l("Founded"), "target": _l("Target"),
            "expected_by_year_end": _l("Expected by year end"), "cases": _l("Cases"), "mean_days": _l("Mean days"),
            "max_days": _l("Longest (days)")},
))
