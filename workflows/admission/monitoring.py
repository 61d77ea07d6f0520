"""Admission's own monitoring, plugged into the generic figures through ``casework.monitoring.figures``
(imported by monitoring for every workflow it reads, like the engine imports the package itself):

- the pipeline's subject columns: the ownership of the candidate's workplace and whether the candidate owns a
  business (and which of the candidate's attributes move them);
- the admissions tally (``AdmissionTally``, in ``models``): admissions per cell, referring organisation, year
  and business ownership, kept by a step listener and a flush listener (a candidate's business ownership
  corrected moves their admissions), rebuilt and checked with the generic tallies;
- the targets' admissions and business owners, the trade and youth unions' table and the admissions forecast
  (the generic forecast along admission's main line, declared in its definition).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, aliased

from casework.engine import hooks
from casework.models import Case, Event, ReferralTally, Unit
from casework.models.org import within
from casework.models.tallies import local_year, sql_local_year
from casework.monitoring import figures, upkeep
from casework.monitoring import forecast as forecasting
from casework.monitoring.queries import ids_in_path
from casework.monitoring.scope import Scope, child_key
from casework.monitoring.stats import report_query
from casework.monitoring.targets import targets_for
from workflows.admission.models import WORKFLOW, AdmissionTally, Candidate

# The state whose entry is an admission (the decision taken); the tally counts entries into it.
ADMITTED = "admitted"
LISTENER_NAME = "admission_tallies"


# --------------------------------------------------------------------------------------------------
# The pipeline's subject columns


def subject() -> sa.Select:
    """Per candidate: their workplace's ownership and whether they own a business."""
    workplace = aliased(Unit)
    return (sa.select(Candidate.id.label("subject_id"), workplace.ownership.label("ownership"),
                      Candidate.is_business_owner.label("business_owner"))
            .join(workplace, workplace.id == Candidate.workplace_unit_id))


def candidates_working_in(unit_ids: list[int]) -> sa.Select:
    return sa.select(Candidate.id).where(Candidate.workplace_unit_id.in_(unit_ids))


# --------------------------------------------------------------------------------------------------
# The admissions tally, kept


def count_admission(session: Session, step) -> None:
    """A step into ``admitted`` counts an admission (the generic listener has flushed the step already)."""
    event, case = step.event, step.case
    if case.workflow != WORKFLOW or event.to_state != ADMITTED or event.from_state == ADMITTED:
        return
    conn = session.connection()
    count_admissions(conn, Counter({(local_year(event.occurred_at), case.owning_cell_id, case.referring_org_id or 0,
                                     business_owner_now(conn, case.subject_id)): 1}))


def count_admissions(conn: sa.Connection, admissions: Counter) -> None:
    for (year, cell, org, owner), n in sorted(admissions.items()):
        upkeep.add(conn, AdmissionTally.__table__, {"year": year, "owning_cell_id": cell, "referring_org_id": org,
                                                     "business_owner": owner}, n)


def business_owner_now(conn: sa.Connection, candidate_id: int) -> bool:
    """Read from the database at the flush, not from the session: a correction committed meanwhile by
    someone else is then counted where it belongs."""
    return bool(conn.scalar(sa.select(Candidate.is_business_owner).where(Candidate.id == candidate_id)))


def recount_business_owners(session: Session, counted_now: set[int]) -> None:
    """A candidate whose business ownership was corrected moves their admissions to the matching tally rows
    (admissions counted in this same flush already used the new value)."""
    changed = [c for c in session.dirty if isinstance(c, Candidate)
               and sa.inspect(c).attrs.is_business_owner.history.has_changes()]
    for candidate in changed:
        conn = session.connection()
        year = sql_local_year(conn.dialect.name, Event.occurred_at)
        rows = conn.execute(
            sa.select(year.label("year"), Case.owning_cell_id, Case.referring_org_id, sa.func.count().label("n"))
            .select_from(Event).join(Case, Case.id == Event.case_id)
            .where(Case.workflow == WORKFLOW, Case.subject_id == candidate.id, Event.to_state == ADMITTED,
                   Event.from_state != ADMITTED, Event.id.not_in(counted_now))
            .group_by(year, Case.owning_cell_id, Case.referring_org_id)).all()
        now = bool(candidate.is_business_owner)
        for row in rows:
            key = {"year": int(row.year), "owning_cell_id": row.owning_cell_id,
                   "referring_org_id": row.referring_org_id or 0}
            upkeep.add(conn, AdmissionTally.__table__, {**key, "business_owner": not now}, -row.n)
            upkeep.add(conn, AdmissionTally.__table__, {**key, "business_owner": now}, row.n)


def _recount_business_owners(session: Session, flush_context) -> None:
    """After every flush: admissions of a candidate whose business ownership it corrected move rows. Those
    of events in this same flush are left out: the step counts them afterwards with the new value."""
    entering = {obj.id for obj in session.new if isinstance(obj, Event) and obj.from_state != obj.to_state}
    recount_business_owners(session, entering)


def install() -> None:
    hooks.on_step_taken(LISTENER_NAME)(count_admission)
    if not sa_event.contains(Session, "after_flush", _recount_business_owners):
        sa_event.listen(Session, "after_flush", _recount_business_owners)


def uninstall() -> None:
    hooks.remove_listener(LISTENER_NAME)
    if sa_event.contains(Session, "after_flush", _recount_business_owners):
        sa_event.remove(Session, "after_flush", _recount_business_owners)


def expected_admissions(conn: sa.Connection, _tops: sa.Table) -> sa.Select:
    """What the admissions tally must hold, from the events themselves: every entry into ``admitted``."""
    year = sql_local_year(conn.dialect.name, Event.occurred_at)
    org = sa.func.coalesce(Case.referring_org_id, 0)
    return (sa.select(year.label("year"), Case.owning_cell_id, org.label("referring_org_id"),
                      Candidate.is_business_owner.label("business_owner"), sa.func.count().label("n"))
            .select_from(Event).join(Case, Case.id == Event.case_id)
            .join(Candidate, sa.and_(Candidate.id == Case.subject_id, Case.workflow == WORKFLOW))
            .where(Event.to_state == ADMITTED, sa.or_(Event.from_state.is_(None), Event.from_state != ADMITTED))
            .group_by(year, Case.owning_cell_id, org, Candidate.is_business_owner))


# --------------------------------------------------------------------------------------------------
# Figures: admissions by unit (targets and forecast share it), the unions' table, the forecast


@report_query
def admissions_by_unit(session: Session, *, scope: Scope, year_from: int, year_to: int,
                       units: Collection[int] | None = None) -> dict[int, dict]:
    """Admissions (entering ``admitted``: the decision taken) in the years, counted for every unit of the scope
    above the owning cell (or only for ``units``): ``{unit_id: {year: {"admissions", "business_owners"}}}``.
    Read from the admission tallies grouped by cell and year, then each cell's counts are added to its
    ancestors through its path."""
    wanted = None if units is None else set(units)
    t, cell = AdmissionTally, aliased(Unit)
    stmt = (sa.select(cell.path, t.year, sa.func.sum(t.n).label("n"),
                      sa.func.sum(sa.case((t.business_owner, t.n), else_=0)).label("owners"))
            .join(cell, cell.id == t.owning_cell_id)
            .where(t.year.between(year_from, year_to), within(cell.path, scope.path))
            .group_by(cell.path, t.year))
    out: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: {"admissions": 0, "business_owners": 0}))
    for path, year, n, owners in session.connection().execute(stmt).all():
        for unit_id in ids_in_path(path):
            if wanted is None or unit_id in wanted:
                bucket = out[unit_id][int(year)]
                bucket["admissions"] += int(n)
                bucket["business_owners"] += int(owners or 0)
    return out


def measures(session: Session, *, scope: Scope, year_from: int, year_to: int,
             units: Collection[int]) -> dict[str, dict[int, dict[int, int]]]:
    """The targets' admissions and business owners: ``{measure: {unit: {year: n}}}``."""
    counted = admissions_by_unit(session, scope=scope, year_from=year_from, year_to=year_to, units=units)
    return {measure: {unit: {year: bucket[measure] for year, bucket in years.items()}
                      for unit, years in counted.items()}
            for measure in ("admissions", "business_owners")}


@report_query
def admitted_by_child(session: Session, *, scope: Scope, year: int) -> Counter:
    """Admissions in the year per child of the scope (keyed like ``child_key``), summed in the database."""
    t, cell = AdmissionTally, aliased(Unit)
    child = child_key(session, cell.path, scope).label("child")
    stmt = (sa.select(child, sa.func.sum(t.n)).join(cell, cell.id == t.owning_cell_id)
            .where(t.year == year, within(cell.path, scope.path)).group_by(child))
    return Counter({key: int(n) for key, n in session.execute(stmt)})


def _per_org(tally, year: int) -> sa.Subquery:
    return (sa.select(tally.referring_org_id.label("org"), sa.func.sum(tally.n).label("n"))
            .where(tally.year == year).group_by(tally.referring_org_id).subquery())


@report_query
def union_referrals(session: Session, *, scope: Scope, year: int) -> list[dict[str, Any]]:
    """Each trade union and youth union organisation in the scope: referrals made in the year and members
    admitted in the year (decision dated that year), against the 'at least one a year' target."""
    referred = _per_org(ReferralTally, year)
    admitted = _per_org(AdmissionTally, year)
    stmt = (sa.select(Unit.id, Unit.name, Unit.kind, sa.func.coalesce(referred.c.n, 0),
                      sa.func.coalesce(admitted.c.n, 0))
            .outerjoin(referred, referred.c.org == Unit.id).outerjoin(admitted, admitted.c.org == Unit.id)
            .where(Unit.kind.in_(("trade_union", "youth_union")), Unit.within(scope.path)))
    # Thousands of organisations nationally: plain rows, without the ORM's per-row work.
    out = [{"unit_id": org_id, "name": name, "kind": kind, "referred": int(ref), "admitted": int(adm),
            "met": adm >= 1} for org_id, name, kind, ref, adm in session.connection().execute(stmt).all()]
    out.sort(key=lambda r: (r["met"], r["admitted"], r["referred"], r["name"]))
    return out


def _unions_table(unions, _names) -> tuple[list[str], list[list[Any]]]:
    rows = [[r["name"], r["kind"], r["referred"], r["admitted"], r["met"]] for r in unions]
    return ["organisation", "kind", "referred", "admitted", "met_one_a_year"], rows


@report_query
def forecast(session: Session, *, scope: Scope, year: int, today, workflows=None) -> list[forecasting.UnitForecast]:
    """Will each unit meet this year's admissions target? The generic forecast along admission's main line."""
    targets = {t.unit_id: t.value("admissions") for t in targets_for(session, scope, year)
               if t.year_from == t.year_to}
    return forecasting.forecast(session, scope=scope, year=year, today=today,
                                line=forecasting.Line.of(WORKFLOW, workflows),
                                reached=admitted_by_child(session, scope=scope, year=year), targets=targets)


def _forecast_table(forecasts, _names) -> tuple[list[str], list[list[Any]]]:
    rows = [[f.name, f.reached, f.in_pipeline, f.expected_more, round(f.expected, 1), f.target, f.on_track]
            for f in forecasts]
    return ["unit", "admitted", "in_pipeline", "expected_more", "expected_by_year_end", "target", "on_track"], rows


def ocel_candidates(session: Session, subject_ids: list[int]) -> dict[int, Any]:
    """Each candidate as an object of the object-centric log, related to the enterprise where they work and the
    place they live (no name: the log goes to analysts, the case id leads back to the person)."""
    from casework.monitoring.ocel import OcelObject, unit_object_id

    rows = session.scalars(sa.select(Candidate).where(Candidate.id.in_(subject_ids))) if subject_ids else []
    return {c.id: OcelObject(f"candidate:{c.id}", "candidate", {"business_owner": c.is_business_owner},
                             [(unit_object_id(c.workplace_unit_id), "works at"),
                              (unit_object_id(c.residence_unit_id), "lives in")]) for c in rows}


FIGURES = figures.register(figures.WorkflowFigures(
    workflow=WORKFLOW,
    subject=subject,
    subject_keys=figures.SubjectKeys(Candidate, ("is_business_owner", "workplace_unit_id")),
    units_subjects=candidates_working_in,
    tallies=((AdmissionTally, expected_admissions),),
    install=install,
    uninstall=uninstall,
    figures={  # in the order of the downloads and the benchmark; the page shows the forecast first
        "unions": figures.Figure(lambda r: union_referrals(r.session, scope=r.scope, year=r.year), _unions_table,
                                 _l("Trade unions and youth unions: referrals and admissions"), _l("Unions"),
                                 page_order=1),
        "forecast": figures.Figure(lambda r: forecast(r.session, scope=r.scope, year=r.year, today=r.today,
                                                      workflows=r.workflows), _forecast_table,
                                   _l("Forecast: admissions expected by year end"), _l("Forecast"), page_order=0),
    },
    measures=measures,
    target_measures=(
        figures.TargetMeasure("admissions", _l("Admissions"), _l("Admissions target")),
        figures.TargetMeasure("business_owners", _l("Business owners"), _l("Business owners target"),
                              among="admissions", hint=_l("Counted among the admissions: not more than them."))),
    main_line_measure="admissions",
    ocel_subjects=ocel_candidates,
    labels={"candidate": _l("Candidate"), "organisation": _l("Organisation"), "kind": _l("Kind"),
            "referred": _l("Referred"), "admitted": _l("Admitted"), "met_one_a_year": _l("At least one this year")},
    title_column="candidate",
))
