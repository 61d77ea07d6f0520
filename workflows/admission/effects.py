"""The admission workflow's effects: dates and stages a step derives (probation's end, the recognition votes).

Each is registered by name (``casework.engine.effects.effect``) and named by the definitions in this folder.
"""

from __future__ import annotations

from typing import Any

from casework.engine.calendar import add_months
from casework.engine.context import StepContext
from casework.engine.effects import effect
from casework.engine.routing import authority_of, grassroots_of
from casework.engine.tasks import open_tasks
from casework.models import Unit
from workflows.admission.guards import cell_vote_passes, committee_vote_passes


@effect("start_probation", produces_dates=("probation_ends",))
def start_probation(ctx: StepContext, changes: dict[str, Any]) -> None:
    """Probation runs 12 calendar months from the ceremony."""
    ends = add_months(ctx.data["ceremony_date"], ctx.rules.probation_months)
    changes.setdefault("dates", {})["probation_ends"] = ends.isoformat()


@effect("grant_membership", produces_dates=("official_since",))
def grant_membership(ctx: StepContext, changes: dict[str, Any]) -> None:
    """Membership counts from the end of probation, not from the decision date."""
    changes.setdefault("dates", {})["official_since"] = ctx.case.date("probation_ends").isoformat()


@effect("note_membership_start")
def note_membership_start(ctx: StepContext, changes: dict[str, Any]) -> None:
    """Whoever opens the review (the cell or the clock), the history says from when membership will count:
    the end of probation, however long the votes and the decision take afterwards."""
    changes.setdefault("facts", {})["membership_counts_from"] = ctx.case.date("probation_ends").isoformat()


@effect("mark_removal_proposed")
def mark_removal_proposed(ctx: StepContext, changes: dict[str, Any]) -> None:
    changes.setdefault("facts", {})["removal_proposed"] = True


@effect("tally_recognition_vote", produces_dates=("recognition_proposed_on",))
def tally_recognition_vote(ctx: StepContext, changes: dict[str, Any]) -> None:
    """A passed cell vote goes up to the grassroots committee (or straight to the authority); a passed
    grassroots resolution goes to the authority. Failed votes are counted, and after the configured
    number the case goes to the authority all the same, to decide on removal."""
    facts = changes.setdefault("facts", {})
    at_cell = ctx.case.stage == "cell_vote"
    passed, needed = cell_vote_passes(ctx) if at_cell else committee_vote_passes(ctx)
    facts["last_recognition_vote"] = {"stage": ctx.case.stage, "passed": passed, "needed": needed}
    if passed:
        if at_cell:
            # A key date (older histories have it among the facts, where Case.date finds it too).
            changes.setdefault("dates", {})["recognition_proposed_on"] = ctx.data["meeting_date"].isoformat()
        if at_cell and ctx.case.grassroots_unit_id is not None:
            changes["stage"] = "grassroots_vote"
        else:
            changes["stage"] = "authority_decision"
            facts["recognition_passed"] = True
        return
    failed = ctx.case.facts.get("recognition_failed_votes", 0) + 1
    facts["recognition_failed_votes"] = failed
    if failed >= ctx.rules.max_failed_recognition_votes:
        changes["stage"] = "authority_decision"


# --- Version 2 (Quy định 294-QĐ/TW, Hướng dẫn 06-HD/TW, 2025) -----------------------------------------------


@effect("note_verification_completed", produces_dates=("verification_completed_on",))
def note_verification_completed(ctx: StepContext, changes: dict[str, Any]) -> None:
    """The day verification completed (the cell's vote may not precede it): the date given, else today."""
    dates = changes.setdefault("dates", {})
    dates.setdefault("verification_completed_on", ctx.today.isoformat())


@effect("default_decision_received", produces_dates=("decision_received_date",))
def default_decision_received(ctx: StepContext, changes: dict[str, Any]) -> None:
    """The ceremony's 30 working days run from receiving the decision; not given, it was received the day it
    was signed."""
    dates = changes.setdefault("dates", {})
    if "decision_received_date" not in dates and ctx.case.date("decision_date") is not None:
        dates["decision_received_date"] = ctx.case.date("decision_date").isoformat()


@effect("record_party_age_from", produces_dates=("party_age_from",))
def record_party_age_from(ctx: StepContext, changes: dict[str, Any]) -> None:
    """Party age (tuổi đảng) counts from the date on the admission decision."""
    changes.setdefault("dates", {})["party_age_from"] = ctx.data["decision_date"].isoformat()


@effect("note_who_must_decide")
def note_who_must_decide(ctx: StepContext, changes: dict[str, Any]) -> None:
    """After the configured number of failed recognition votes the case goes to the authority (as in version 1);
    version 2 also records who must decide, for the case page and the authority's inbox to say so. Runs after
    ``tally_recognition_vote``, which counted this vote."""
    facts = changes.get("facts", {})
    failed = facts.get("recognition_failed_votes")
    if failed is not None and failed >= ctx.rules.max_failed_recognition_votes:
        facts["must_decide"] = {"role": "authority", "unit_id": ctx.case.authority_unit_id, "failed_votes": failed}


# --- Transfer to another cell ----------------------------------------------------------------------------------


@effect("move_to_cell")
def move_to_cell(ctx: StepContext, changes: dict[str, Any]) -> None:
    """The case's units become the new cell's (its grassroots committee and authority with it), and its open tasks
    routed to the old units follow. Its past tasks stay with the old cell, whose people keep reading what they
    wrote (casework.engine.scope: a unit sees the cases its tasks were routed to)."""
    cell = ctx.session.get(Unit, ctx.data["to_cell"])
    grassroots, authority = grassroots_of(ctx.session, cell), authority_of(ctx.session, cell)
    units = {"owning_cell_id": cell.id, "grassroots_unit_id": grassroots.id if grassroots else None,
             "authority_unit_id": authority.id if authority else None}
    moves = {getattr(ctx.case, column): unit_id for column, unit_id in units.items()
             if getattr(ctx.case, column) is not None and unit_id is not None and getattr(ctx.case, column) != unit_id}
    for task in open_tasks(ctx.case):
        if task.unit_id in moves and task.role in _FOLLOWS_THE_CASE:
            task.unit_id = moves[task.unit_id]
    changes["units"] = units
    history = list(ctx.case.facts.get("transfers") or [])
    history.append({"from_cell": ctx.case.owning_cell_id, "to_cell": cell.id, "on": ctx.today.isoformat()})
    changes.setdefault("facts", {})["transfers"] = history


# The roles whose tasks go with the case's own units (a residential committee's verification stays where it is).
_FOLLOWS_THE_CASE = frozenset({"cell_secretary", "grassroots_committee", "authority"})
