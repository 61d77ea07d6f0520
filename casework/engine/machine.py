"""One ``transitions`` state machine per workflow definition, shared by every case.

Cases are not attached to the machine: each step hands it a throw-away ``_Cursor`` holding the case's
state, so the machine decides the legal move and the destination (first matching condition) without a
machine per case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transitions import Machine

from casework.engine.routing import CONDITIONS

if TYPE_CHECKING:
    from casework.engine.context import StepContext
    from casework.engine.definition import TransitionDef, WorkflowDef


class _Cursor:
    """The minimal model ``transitions`` needs: a ``state`` attribute it reads and sets."""

    def __init__(self, state: str):
        self.state = state


def _is_variant(tdef: TransitionDef):
    # One trigger can have variants (per stage); the step says which one it is taking.
    return lambda event: event.kwargs["ctx"].transition is tdef


def _condition(name: str):
    check = CONDITIONS[name]
    return lambda event: check(event.kwargs["ctx"].session, event.kwargs["ctx"].case)


def build_machine(wf: WorkflowDef) -> Machine:
    machine = Machine(model=None, states=list(wf.states), initial=wf.initial, auto_transitions=False,
                      send_event=True, ignore_invalid_triggers=False)
    for tdef in wf.transitions:
        sources = [s for s in tdef.sources if s is not None]
        if not sources:
            continue  # the start transition creates the case; there is no state to leave
        if not tdef.destinations:
            machine.add_transition(tdef.trigger, sources, None, conditions=[_is_variant(tdef)])
            continue
        for dest in tdef.destinations:
            conditions = [_is_variant(tdef)]
            if dest.when:
                conditions.append(_condition(dest.when))
            machine.add_transition(tdef.trigger, sources, dest.state, conditions=conditions)
    return machine


def destination(wf: WorkflowDef, ctx: StepContext) -> str:
    """Run the trigger on a cursor at the case's state; the state it ends in is the destination. A transition
    with one destination and no condition, taken from one of its sources, goes there without the machine."""
    tdef = ctx.transition
    if len(tdef.destinations) == 1 and not tdef.destinations[0].when and ctx.case.state in tdef.sources:
        return tdef.destinations[0].state
    cursor = _Cursor(ctx.case.state)
    if not wf.machine.events[ctx.transition.trigger].trigger(cursor, ctx=ctx):
        raise RuntimeError(f"{ctx.transition.trigger} did not fire from {ctx.case.state}")
    return cursor.state
