"""Effects: what a step does to the case beyond recording its fields (derived dates, stages, counters).

Each effect adds to the step's ``changes``; the event stores them, so replaying the history never has to
re-run an effect (whose rules may have changed since).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casework.engine.context import StepContext


@dataclass(frozen=True)
class Effect:
    name: str
    fn: Callable[[StepContext, dict[str, Any]], None]
    produces_dates: tuple[str, ...] = ()


EFFECTS: dict[str, Effect] = {}


def effect(name: str, *, produces_dates: tuple[str, ...] = ()):
    def register(fn):
        EFFECTS[name] = Effect(name, fn, produces_dates)
        return fn

    return register
