"""Where an overdue task climbs to: the unit above the one it waits on, and the role that answers there.

- `authority` → `organizer` of the authority's organizing department;
- `organizer` → `organizer` of the next organizing department above (the province's);
- anyone else (`cell_secretary`, `residential_committee`, `grassroots_committee`, officers of mass
  organisations) → the nearest party unit above theirs, in its leading role: a cell's `cell_secretary`, a
  grassroots committee's `grassroots_committee`, a commune/ward committee's `authority` (its standing
  committee), a province's `organizer`.

So a residential committee's late reply reaches its grassroots or commune committee, a cell's late step its
grassroots committee (or the commune committee when the cell reports to it directly), and an authority's
late decision the organizing department that monitors the pipeline. A unit with nothing above it gets
no copy; the escalation is still written to the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.engine.routing import ancestors, organizing_department_of
from casework.models import Unit, UnitKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.models import Task

LEADING_ROLE = {
    UnitKind.CELL: "cell_secretary",
    UnitKind.GRASSROOTS_COMMITTEE: "grassroots_committee",
    UnitKind.COMMUNE_COMMITTEE: "authority",
}


def escalation_target(session: Session, task: Task) -> tuple[str, int] | None:
    """The (role, unit id) that receives the copy of an overdue task, or None at the top of the tree."""
    unit = session.get(Unit, task.unit_id)
    if unit is None:
        return None
    if task.role == "authority":
        department = organizing_department_of(session, unit)
        return ("organizer", department.id) if department else None
    if task.role == "organizer":
        above = next((u for u in ancestors(session, unit) if u.organizing_department), None)
        return ("organizer", above.id) if above else None
    for above in ancestors(session, unit):
        if above.kind == UnitKind.PROVINCE:
            department = organizing_department_of(session, above)
            return ("organizer", department.id) if department else None
        if above.kind in LEADING_ROLE:
            return LEADING_ROLE[above.kind], above.id
    return None
