"""Fields that apply only to some cases (``applies_if:`` on a step's field): an approval needed only past an age
limit, conditions asked only of a business owner. One rule for every face: the pages show only the fields that
apply, and the engine neither records a field that does not apply (no "confirmed: No" in the history for a
question never asked) nor accepts a value for it.

A workflow package registers each condition by name with ``applies_when``; a definition naming an unregistered
one fails at load.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from casework.engine.reasons import Reason

if TYPE_CHECKING:
    from casework.engine.definition import FieldDef, TransitionDef
    from casework.engine.rules import Rules
    from casework.models import Case

# (the case, today, the engine's rules) -> whether the field applies to it now
Applies = Callable[["Case", date, "Rules"], bool]
APPLIES: dict[str, Applies] = {}


def applies_when(name: str) -> Callable[[Applies], Applies]:
    """Register a condition under the name definitions use (``applies_if: <name>``)."""
    def register(fn: Applies) -> Applies:
        APPLIES[name] = fn
        return fn

    return register


def not_applicable(tdef: TransitionDef, case: Case | None, today: date, rules: Rules) -> frozenset[str]:
    """The names of the step's fields that do not apply to this case today (none before a case exists)."""
    if case is None:
        return frozenset()
    return frozenset(f.name for f in tdef.fields if f.applies_if and not APPLIES[f.applies_if](case, today, rules))


def applicable(tdef: TransitionDef, skipped: frozenset[str]) -> tuple[FieldDef, ...]:
    return tuple(f for f in tdef.fields if f.name not in skipped)


def _is_blank(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, (str, list, dict)) and not value)


def drop_inapplicable(tdef: TransitionDef, skipped: frozenset[str], data: dict[str, Any]) -> tuple[dict, list[Reason]]:
    """The submitted data without the fields that do not apply: left blank they are dropped; given a value they
    are refused, naming the field, since what was meant cannot be recorded."""
    kept, reasons = {}, []
    for name, value in data.items():
        if name not in skipped:
            kept[name] = value
        elif not _is_blank(value):
            fdef = tdef.field(name)
            label = fdef.label if fdef else {"vi": name, "en": name}
            reasons.append(Reason("field_not_applicable",
                                  f"“{label.get('vi', name)}” không áp dụng cho hồ sơ này: để trống.",
                                  f"“{label.get('en', name)}” does not apply to this case: leave it out.",
                                  {"field": name}))
    return kept, reasons
