"""What the scenarios submit is what a person could submit: every generated step's values pass the engine's own
field parsing (types, required fields, choices, patterns, units and members that exist, documents attached to
the case, dates not in the future nor before the dates they follow)."""

from __future__ import annotations

from casework.engine import Engine
from casework.engine.fields import FieldContext, parse_fields, to_json
from tests.monitoring.conftest import local_day


def test_every_generated_step_parses_as_the_engine_parses_a_submitted_one(gsession, history, workflows):
    engine = Engine(workflows)
    checked = 0
    for case_id, events in history.events.items():
        case = history.cases[case_id]
        wf = engine.definition_of(case)
        for event in events:
            tdef = next(t for t in wf.transitions if t.trigger == event.trigger and (
                t.stage is None or t.stage == _stage_before(events, event)))
            values, reasons = parse_fields(tdef.fields, dict(event.data),
                                           FieldContext(gsession, None if event.seq == 1 else case,
                                                        local_day(event.occurred_at)))
            assert not reasons, (case_id, event.trigger, [r.en for r in reasons])
            assert to_json(values) == event.data, (case_id, event.trigger)
            checked += 1
    assert checked > 3000


def _stage_before(events, event) -> str | None:
    """The case's stage when the event was taken (the stage its history had reached)."""
    stage = None
    for earlier in events:
        if earlier.seq >= event.seq:
            return stage
        if "stage" in earlier.changes:
            stage = earlier.changes["stage"]
    return stage
