"""What the scenarios submit is what a person could submit: every generated step's values pass the engine's own
field parsing (types, required fields, choices, patterns, units and members that exist, documents attached to
the case, dates not in the future nor before the dates they follow), on every version cases start on."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.engine import Engine
from casework.engine.fields import FieldContext, parse_fields, to_json
from casework.models import Case, PartyMember
from casework.monitoring.synthetic import generate
from tests.monitoring.conftest import local_day


def unparsed_steps(session, engine: Engine, cases) -> tuple[list, int]:
    """Each generated step whose values the engine's parsing refuses or changes, and how many were checked."""
    wrong, checked = [], 0
    with session.no_autoflush:
        for case in cases:
            case_wrong, case_checked = _unparsed_case(session, engine, case)
            wrong += case_wrong
            checked += case_checked
    return wrong, checked


def _unparsed_case(session, engine: Engine, case) -> tuple[list, int]:
    """The case's steps parsed (no flush meanwhile: the register is put back as it was, then as it is)."""
    wrong, checked = [], 0
    wf = engine.definition_of(case)
    # A founding decision moved members' register rows since their cells answered: the steps are parsed
    # against the register as it was (each moved member back in the cell the decision moved them from).
    moved = [(session.get(PartyMember, m["member_id"]), m["from_cell"])
             for m in (case.facts or {}).get("moved_members") or []]
    now_in = [(member, member.cell_id) for member, _ in moved]
    for member, cell in moved:
        member.cell_id = cell
    stage = None  # the case's stage when each step was taken
    for event in sorted(case.events, key=lambda e: e.seq):
        tdef = next(t for t in wf.transitions
                    if t.trigger == event.trigger and (t.stage is None or t.stage == stage))
        values, reasons = parse_fields(tdef.fields, dict(event.data),
                                       FieldContext(session, None if event.seq == 1 else case,
                                                    local_day(event.occurred_at)))
        if reasons or to_json(values) != event.data:
            wrong.append((case.id, case.workflow_version, event.trigger, [r.en for r in reasons]))
        checked += 1
        stage = event.changes.get("stage", stage)
    for member, cell in now_in:
        member.cell_id = cell
    return wrong, checked


def test_every_generated_step_parses_as_the_engine_parses_a_submitted_one(gsession, workflows):
    wrong, checked = unparsed_steps(gsession, Engine(workflows), gsession.scalars(sa.select(Case)))
    assert not wrong
    assert checked > 3000


def test_so_do_the_steps_of_every_version_in_effect(session, workflows):
    """Generated up to a later day, cases open on each version in effect over the years generated."""
    engine, today = Engine(workflows), date(2028, 6, 1)
    generate(session.connection(), cases=200, seed=3, today=today, engine=engine)
    cases = list(session.scalars(sa.select(Case)))
    wrong, checked = unparsed_steps(session, engine, cases)
    assert not wrong
    in_effect = {wf.version for wf in engine.workflows["admission"].values()
                 if wf.effective_from is None or wf.effective_from <= today}
    assert {c.workflow_version for c in cases} == in_effect
