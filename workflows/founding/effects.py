"""The founding workflow's effects (workflows/founding/v1.yaml): what its steps derive beyond their fields, and
what the founding decision does to the organisation (``workflows.founding.organisation``)."""

from __future__ import annotations

from typing import Any

from casework.engine.context import StepContext
from casework.engine.effects import effect
from workflows.founding.guards import transferred_people
from workflows.founding.organisation import found


@effect("count_owner_meeting")
def count_owner_meeting(ctx: StepContext, changes: dict[str, Any]) -> None:
    """The meetings held and the owner's latest position: the agreement needs at least one meeting."""
    facts = changes.setdefault("facts", {})
    facts["owner_meetings"] = int(ctx.case.facts.get("owner_meetings", 0)) + 1
    facts["owner_position"] = ctx.data["owner_position"]


@effect("note_transferred_members")
def note_transferred_members(ctx: StepContext, changes: dict[str, Any]) -> None:
    """Who moved their party activity to the enterprise, from which cell, by which transfer: the proposal names
    the interim secretary among them and the decision moves their register rows."""
    changes.setdefault("facts", {})["transferred_members"] = transferred_people(ctx)


@effect("found_organisation")
def found_organisation(ctx: StepContext, changes: dict[str, Any]) -> None:
    """The organisation comes into being in the decision's transaction; the history keeps what was done."""
    changes.setdefault("facts", {}).update(found(ctx))
