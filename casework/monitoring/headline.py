"""The few numbers that answer "are we on track?" at the top of the dashboard, and the cases behind each.

- ``admissions``: what the targets count as admissions (the measure ``admissions`` a package declares and counts)
  in the year for the scope's unit, against the scope unit's own target;
- ``overdue``: open cases with a task past its due date today;
- ``waiting``: open cases waiting on another organisation's reply (the task kinds the definitions declare under
  ``monitoring.replies``);
- ``forecast``: this year's admissions so far plus those the forecast expects from the open cases still on a
  main line (``casework.monitoring.forecast``).

Each count is one cheap grouped query, run in turn on the request's session; each list (``cases_behind``)
names the cases, newest problem first, within the scope like every figure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.localtime import local_date
from casework.models import Case, Event, Task, Unit
from casework.monitoring import forecast as forecasting
from casework.monitoring import targets
from casework.monitoring.figures import Workflows, registered
from casework.monitoring.queries import _within
from casework.monitoring.scope import Period, Scope

# The lists behind the numbers, in the order the page shows the numbers.
LISTS = ("admissions", "overdue", "waiting", "forecast")
LIST_LIMIT = 200
ADMISSIONS = "admissions"  # the targets' measure the overview's first number and the forecast are about


@dataclass(frozen=True)
class Headline:
    year: int
    admissions: int  # admitted in the year
    target: Any  # the scope unit's Target spanning the year, or None
    target_achieved: int  # admissions over the target's whole span (its years may be several)
    overdue: int
    waiting: int
    forecast: float | None  # None: no workflow declares a main line to forecast along

    @property
    def target_amount(self) -> int | None:
        """The admissions the target sets (None: no target)."""
        return None if self.target is None else self.target.value(ADMISSIONS)

    @property
    def target_share(self) -> float | None:
        if not self.target_amount:
            return None
        return self.target_achieved / self.target_amount


def headline(session: Session, *, scope: Scope, period: Period, today: date, workflows: Workflows) -> Headline:
    year = period.start.year
    target = next((t for t in targets.targets_for(session, scope, year) if t.unit_id == scope.unit_id), None)
    first = target.year_from if target is not None else year
    achieved = targets.achieved_by_unit(session, scope=scope, year_from=first, year_to=year, units={scope.unit_id})
    by_year = achieved.get(ADMISSIONS, {}).get(scope.unit_id, {})
    admissions = by_year.get(year, 0)
    return Headline(year=year, admissions=admissions, target=target, target_achieved=sum(by_year.values()),
                    overdue=session.scalar(sa.select(sa.func.count()).select_from(_overdue(scope, today).subquery())),
                    waiting=session.scalar(sa.select(sa.func.count()).select_from(
                        _waiting(scope, workflows).subquery())),
                    forecast=_forecast(session, scope, year, today, workflows, admissions))


def _overdue(scope: Scope, today: date) -> sa.Select:
    """Open cases with an open task past its due date: (case id, the earliest due date)."""
    return (sa.select(Task.case_id, sa.func.min(Task.due_date).label("due"))
            .join(Case, Case.id == Task.case_id)
            .where(Task.status == "open", Task.due_date < today, Case.closed_on.is_(None), scope.case_filter())
            .group_by(Task.case_id))


def _waiting(scope: Scope, workflows: Workflows) -> sa.Select:
    """Open cases waiting on another organisation's reply: (case id, the unit asked, since when)."""
    kinds = sorted(workflows.reply_kinds)
    return (sa.select(Task.case_id, sa.func.min(Task.unit_id).label("unit_id"),
                      sa.func.min(Task.created_at).label("since"))
            .join(Case, Case.id == Task.case_id)
            .where(Task.status == "open", Task.kind.in_(kinds), Case.closed_on.is_(None), scope.case_filter())
            .group_by(Task.case_id))


def _lines(workflows: Workflows) -> list[forecasting.Line]:
    """The main lines whose end the admissions measure counts (``WorkflowFigures.main_line_measure``): another
    workflow's main line (founding a party organisation) is another target's business."""
    names = sorted({wf.name for wf in workflows.definitions} & {p.workflow for p in registered()
                                                                 if p.main_line_measure == ADMISSIONS})
    return [line for line in (forecasting.Line.of(name, workflows) for name in names) if line.states]


def _forecast(session: Session, scope: Scope, year: int, today: date, workflows: Workflows,
              admissions: int) -> float | None:
    lines = _lines(workflows)
    if not lines:
        return None
    more = sum(f.expected_more for line in lines
               for f in forecasting.forecast(session, scope=scope, year=year, today=today, line=line,
                                             reached=Counter(), targets={}))
    return round(admissions + more, 1)


# --------------------------------------------------------------------------------------------------
# The cases behind each number


def cases_behind(session: Session, which: str, *, scope: Scope, period: Period, today: date,
                 workflows: Workflows) -> tuple[list[dict[str, Any]], int]:
    """(the first ``LIST_LIMIT`` rows, how many there are) of the cases behind one headline number."""
    if which == ADMISSIONS:
        stmt = _admissions(scope, period, workflows)
    elif which == "overdue":
        stmt = _overdue(scope, today)
    elif which == "waiting":
        stmt = _waiting(scope, workflows)
    elif which == "forecast":
        stmt = _on_main_line(scope, workflows)
    else:
        raise LookupError(which)
    found = stmt.subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(found))
    return _rows(session, found, today), total


def _admissions(scope: Scope, period: Period, workflows: Workflows) -> sa.Select:
    """Cases that entered their main line's last state in the period (what the admissions measure counts)."""
    ends = [sa.and_(Case.workflow == line.workflow, Event.to_state == line.states[-1]) for line in _lines(workflows)]
    return (sa.select(Event.case_id, sa.func.max(Event.occurred_at).label("since"))
            .join(Case, Case.id == Event.case_id)
            .where(sa.or_(*ends) if ends else sa.false(),
                   sa.or_(Event.from_state.is_(None), Event.from_state != Event.to_state),
                   _within(Event.occurred_at, period), scope.case_filter())
            .group_by(Event.case_id))


def _on_main_line(scope: Scope, workflows: Workflows) -> sa.Select:
    """Open cases still before their main line's end: those the forecast counts on."""
    before = [sa.and_(Case.workflow == line.workflow, Case.state.in_(line.before_end)) for line in _lines(workflows)]
    return (sa.select(Case.id.label("case_id"), Case.state_entered_at.label("since"))
            .where(Case.closed_on.is_(None), sa.or_(*before) if before else sa.false(), scope.case_filter()))


def _rows(session: Session, found: sa.Subquery, today: date) -> list[dict[str, Any]]:
    """The listed cases with what a person recognises them by: title, state, cell, and the date that matters."""
    cell = aliased(Unit)
    extra = [c for c in found.c if c.name != "case_id"]
    order = found.c.due if "due" in found.c else found.c.since
    asked = aliased(Unit)
    stmt = (sa.select(Case.id, Case.title, Case.state, Case.workflow, cell.name.label("cell"), *extra)
            .join(found, found.c.case_id == Case.id).join(cell, cell.id == Case.owning_cell_id)
            .order_by(order, Case.id).limit(LIST_LIMIT))
    if "unit_id" in found.c:
        stmt = stmt.add_columns(asked.name.label("asked")).outerjoin(asked, asked.id == found.c.unit_id)
    out = []
    for row in session.execute(stmt):
        values = row._asdict()
        since = values.get("since")
        day = values.get("due") or (local_date(since) if since is not None else None)
        out.append({"case_id": row.id, "url": f"/cases/{row.id}", "title": row.title, "state": row.state,
                    "cell": row.cell, "asked": values.get("asked"), "date": day,
                    "days": (today - day).days if day is not None else None})
    return out
