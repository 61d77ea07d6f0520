"""What a guard, an effect or a routing rule sees of the step being taken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from casework.engine.calendar import add_working_days
from casework.engine.fields import case_date

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import TransitionDef, WorkflowDef
    from casework.engine.rules import Rules
    from casework.models import Case, Task, User


@dataclass
class StepContext:
    """One attempt at one step. In ``preview`` mode (listing what a person may do) nothing was submitted
    yet, so guards that need submitted values are skipped and dates default to today."""

    session: Session
    workflow: WorkflowDef
    transition: TransitionDef
    case: Case
    user: User | None
    rules: Rules
    today: date
    data: dict[str, Any] = field(default_factory=dict)
    task: Task | None = None
    preview: bool = False
    # The engine taking the step (set by ``take_step``): an effect that moves other cases in the same
    # transaction (a founding decision transferring admission cases) takes their steps through it.
    engine: Any = None
    # The absent person the user stands in for in this step (a delegation in force): the event names both.
    acting_for: User | None = None
    # The n-th working day after a date: the engine's calendar, or the generator's precomputed copy of it (the
    # same answers without walking the holidays for every step).
    add_working_days: Callable[[date, int], date] = add_working_days

    def date_of(self, field_name: str | None) -> date:
        """The submitted date in ``field_name``, or today when none is named or submitted."""
        if field_name and isinstance(self.data.get(field_name), date):
            return self.data[field_name]
        return self.today

    def case_date(self, name: str) -> date | None:
        return case_date(self.case, name)

    def fact(self, name: str, default: Any = None) -> Any:
        """The latest recorded value: what is being submitted now, else what the case holds."""
        if name in self.data:
            return self.data[name]
        return self.case.facts.get(name, default)
