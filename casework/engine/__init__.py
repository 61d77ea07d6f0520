"""The workflow engine: plain Python over a SQLAlchemy session, with no knowledge of Flask.

``Engine`` bundles what every step needs besides the session: the loaded workflow definitions, the rules
(thresholds and periods) and the clock. The web app builds one at start-up; tests build their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.errors import Conflict, DefinitionError, EngineError, Invalid, NotFound, PermissionDenied
from casework.engine.rules import Rules
from casework.localtime import LOCAL_TZ


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Engine:
    workflows: dict[str, WorkflowDef]
    rules: Rules = field(default_factory=Rules)
    clock: Callable[[], datetime] = _utcnow

    @classmethod
    def from_directory(cls, directory: Path | str, rules: Rules | None = None, **kwargs) -> Engine:
        return cls(load_workflows(directory), rules or Rules(), **kwargs)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().astimezone(LOCAL_TZ).date()

    def workflow(self, name: str) -> WorkflowDef:
        try:
            return self.workflows[name]
        except KeyError:
            raise NotFound(f"unknown workflow {name}") from None


__all__ = ["Conflict", "DefinitionError", "Engine", "EngineError", "Invalid", "LOCAL_TZ", "NotFound",
           "PermissionDenied", "Rules"]
