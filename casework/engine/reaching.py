"""Which key dates a case has when it stands in a state, read from the definition's graph alone.

A case imported in the middle of its procedure (``casework.engine.importing``) brings the dates of the steps it
took before; which of them it must have, which it may have and in which order they come follow from the
definition, so a new workflow needs no table of its own:

- a date is *required* in a state when a step that records it lies on every path from the start to that state
  (take those steps out of the graph and the state can no longer be reached);
- a date is *possible* in a state when some step recording it can come before the state is left (a step
  recording it lies on some path to the state, or is taken in the state itself);
- date A comes *no later than* date B when A is required in every state a step recording B is taken from: every
  case had A before it recorded B.

A step records a date when one of its fields is projected onto it (``sets:``, ``field_sets:``) or one of its
effects produces it (``produces_dates``); a task's answer is kept on the task, not the case, and records none.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from casework.engine.effects import EFFECTS

if TYPE_CHECKING:
    from casework.engine.definition import TransitionDef, WorkflowDef

START = None  # the node before the first state: the start step leaves it


def recorded_dates(wf: WorkflowDef, tdef: TransitionDef) -> frozenset[str]:
    """The key dates a step records on the case."""
    names = {tdef.target_of(f) for f in tdef.fields if not (tdef.task_kind and f.name not in tdef.field_sets)}
    for name in tdef.effects:
        names.update(EFFECTS[name].produces_dates if name in EFFECTS else ())
    return frozenset(names & set(wf.dates))


def _reachable(edges: list[tuple[str | None, str, TransitionDef]], skip: frozenset[int]) -> set[str | None]:
    """The nodes reachable from the start, not using the steps whose ids are in ``skip``."""
    nexts: dict[str | None, list[str]] = defaultdict(list)
    for source, dest, tdef in edges:
        if id(tdef) not in skip:
            nexts[source].append(dest)
    seen: set[str | None] = {START}
    queue = deque([START])
    while queue:
        for dest in nexts[queue.popleft()]:
            if dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen


def _onward(edges, state: str) -> set[str]:
    """The states reachable from ``state`` (itself included)."""
    nexts: dict[str | None, list[str]] = defaultdict(list)
    for source, dest, _ in edges:
        nexts[source].append(dest)
    seen, queue = {state}, deque([state])
    while queue:
        for dest in nexts[queue.popleft()]:
            if dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen


@dataclass(frozen=True)
class DatesByState:
    """For every state of one definition: the key dates a case in it must have and may have, and the order
    of the dates (pairs ``(earlier, later)``: the earlier may not fall after the later)."""

    required: dict[str, tuple[str, ...]]
    possible: dict[str, tuple[str, ...]]
    order: tuple[tuple[str, str], ...]

    def earlier_than(self, name: str) -> list[str]:
        """The dates that may not fall after ``name``."""
        return [a for a, b in self.order if b == name]


def dates_by_state(wf: WorkflowDef) -> DatesByState:
    """Work the required and possible dates and their order out of the definition's steps."""
    edges = [(source, dest.state, t) for t in wf.transitions for source in t.sources for dest in t.destinations]
    setters: dict[str, list[TransitionDef]] = defaultdict(list)
    for t in wf.transitions:
        for name in recorded_dates(wf, t):
            setters[name].append(t)
    everywhere = _reachable(edges, frozenset())
    onward = {state: _onward(edges, state) for state in wf.states}
    required: dict[str, list[str]] = {state: [] for state in wf.states}
    possible: dict[str, list[str]] = {state: [] for state in wf.states}
    for name in wf.dates:  # in the definition's order, which is how people read them
        without = _reachable(edges, frozenset(id(t) for t in setters[name]))
        for state in wf.states:
            if state in everywhere and state not in without:
                required[state].append(name)
        for state in _where_possible(setters[name], everywhere, onward):
            possible[state].append(name)
    order = []
    for later in wf.dates:
        sources = [s for t in setters[later] for s in t.sources]
        if not sources or START in sources:
            continue  # recorded at the start: nothing comes before it
        for earlier in wf.dates:
            if earlier != later and all(earlier in required[s] for s in sources):
                order.append((earlier, later))
    return DatesByState({s: tuple(v) for s, v in required.items()}, {s: tuple(v) for s, v in possible.items()},
                        tuple(order))


def _where_possible(setters: list[TransitionDef], everywhere: set, onward: dict[str, set[str]]) -> set[str]:
    """The states a case may stand in after one of these steps: onward from where they lead (or from where a
    step that stays is taken)."""
    states: set[str] = set()
    for t in setters:
        for source in t.sources:
            if source is not START and source not in everywhere:
                continue
            if t.destinations:
                for dest in t.destinations:
                    states |= onward[dest.state]
            elif source is not START:
                states |= onward[source]
    return states
