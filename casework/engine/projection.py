"""The case row as a projection of its history: each event's ``changes`` folded in order.

``apply_changes`` is the only code that moves a case's state, stage, key dates and facts, both when a step
is taken and when the history is replayed, so the two cannot disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casework.models import Case, Event


# The case's units a step may move (``changes["units"]``); its referring organisation stays.
ROUTED_UNITS = frozenset({"owning_cell_id", "grassroots_unit_id", "authority_unit_id"})


def entered_at(changes: dict[str, Any], occurred_at: datetime) -> datetime:
    """When a case entered the state an event moves it to: the event's time, or the one its ``changes`` give
    (``state_entered_at``: an imported case entered its state before the system knew of it)."""
    given = changes.get("state_entered_at")
    return datetime.fromisoformat(given) if given else occurred_at


def apply_changes(case: Case, changes: dict[str, Any], occurred_at: datetime) -> None:
    # A referral's version, an import's (casework.engine.importing: its ``imported`` event opens the case in the
    # middle of its procedure with its state, stage and dates) or a migration's (casework.engine.migration).
    if "workflow_version" in changes:
        case.workflow_version = changes["workflow_version"]
    if "state" in changes:
        case.state = changes["state"]
        case.state_seq = changes["state_seq"]
        case.state_entered_at = entered_at(changes, occurred_at)
    if "stage" in changes:
        case.stage = changes["stage"]
    if changes.get("dates"):  # the key dates, name -> ISO date; None takes one back (a migration's rename)
        dates = {**(case.dates or {}), **changes["dates"]}
        case.dates = {name: value for name, value in dates.items() if value is not None}
    if changes.get("facts"):
        case.facts = {**(case.facts or {}), **changes["facts"]}
    if changes.get("unset_facts"):  # a migration's renamed facts leave their old names
        case.facts = {k: v for k, v in (case.facts or {}).items() if k not in changes["unset_facts"]}
    if changes.get("units"):  # the case moved to other units (a transfer to another cell), column -> unit id
        for column in ROUTED_UNITS & set(changes["units"]):
            setattr(case, column, changes["units"][column])
    if changes.get("closed_on"):
        case.closed_on = date.fromisoformat(changes["closed_on"])
        case.subject_key = None


def snapshot(case: Case) -> dict[str, Any]:
    """What the history determines about a case, comparable with a replay."""
    return {
        "workflow_version": case.workflow_version,
        "state": case.state,
        "stage": case.stage,
        "state_seq": case.state_seq,
        "dates": dict(sorted((case.dates or {}).items())),
        "facts": dict(case.facts or {}),
        "closed_on": case.closed_on,
    }


class _Replay:
    """A blank stand-in for a case, filled by replaying events."""

    def __init__(self):
        self.workflow_version = None
        self.state = None
        self.stage = None
        self.state_seq = 0
        self.state_entered_at = None
        self.facts: dict = {}
        self.closed_on = None
        self.subject_key = None
        self.dates: dict = {}


def replay(events: list[Event]) -> dict[str, Any]:
    """Rebuild the projection from nothing but the history."""
    rebuilt = _Replay()
    for event in sorted(events, key=lambda e: e.seq):
        apply_changes(rebuilt, event.changes, event.occurred_at)
    return snapshot(rebuilt)
