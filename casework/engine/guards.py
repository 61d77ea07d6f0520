"""Guards: the rules that must hold before a step is taken, one small named function each, registered by name
by the workflow packages (``workflows/<name>/guards.py``) and named by their definitions.

A guard returns ``None`` when it holds, else a ``Reason`` (or several) a person can read in Vietnamese and
English. ``needs`` names the submitted fields a guard reads; while previewing (before anything is
submitted) such guards are skipped, so the list of actions shows only what already blocks a step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from casework.engine.context import StepContext
from casework.engine.reasons import Reason

GuardResult = Reason | list[Reason] | None


@dataclass(frozen=True)
class Guard:
    name: str
    fn: Callable[..., GuardResult]
    needs: tuple[str, ...]
    params: tuple[str, ...]


GUARDS: dict[str, Guard] = {}


def guard(name: str, *, needs: tuple[str, ...] = (), params: tuple[str, ...] = ()):
    def register(fn: Callable[..., GuardResult]) -> Callable[..., GuardResult]:
        GUARDS[name] = Guard(name, fn, needs, params)
        return fn

    return register


def evaluate(ref_name: str, params: dict, ctx: StepContext) -> list[Reason]:
    """Run one guard; in preview mode skip it when a value it needs has not been submitted."""
    entry = GUARDS[ref_name]
    if ctx.preview and any(n not in ctx.data for n in entry.needs):
        return []
    result = entry.fn(ctx, **params)
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


def required_votes(fraction: Fraction, counted: int) -> int:
    """The smallest whole number of votes that is at least ``fraction`` of ``counted`` (exact, no floats)."""
    return math.ceil(fraction * counted)
