"""The workflow engine: plain Python over a SQLAlchemy session, with no knowledge of Flask.

``Engine`` bundles what every step needs besides the session: the loaded workflow definitions (every version
of each), the rules (thresholds and periods) and the clock. The web app builds one at start-up; tests build
their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from casework.engine.definition import Catalog, WorkflowDef, current_version, load_workflows
from casework.engine.errors import Conflict, DefinitionError, EngineError, Invalid, NotFound, PermissionDenied
from casework.engine.reasons import Reason
from casework.engine.rules import Rules
from casework.localtime import LOCAL_TZ


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Engine:
    workflows: Catalog  # name -> version -> definition
    rules: Rules = field(default_factory=Rules)
    clock: Callable[[], datetime] = _utcnow

    @classmethod
    def from_directory(cls, directory: Path | str, rules: Rules | None = None, **kwargs) -> Engine:
        workflows = load_workflows(directory)  # imports the packages, which register their own rules
        rules = rules or Rules()
        rules.check_known()
        return cls(workflows, rules, **kwargs)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().astimezone(LOCAL_TZ).date()

    def workflow(self, name: str, version: int | None = None) -> WorkflowDef:
        """That version of the workflow; without one, the version new cases start on today."""
        versions = self.workflows.get(name)
        if not versions:
            raise _missing("unknown_workflow", f"Không có quy trình {name}.", f"unknown workflow {name}",
                           workflow=name)
        if version is not None and version not in versions:
            raise _missing("unknown_workflow_version", f"Quy trình {name} không có phiên bản {version}.",
                           f"workflow {name} has no version {version}", workflow=name, version=version)
        wf = versions[version] if version is not None else current_version(versions, self.today())
        if wf is None:
            raise _missing("no_version_in_effect", f"Chưa có phiên bản nào của quy trình {name} có hiệu lực.",
                           f"no version of workflow {name} is in effect yet", workflow=name)
        return wf

    def definition_of(self, case) -> WorkflowDef:
        """The version the case started under: a case keeps it to the end."""
        return self.workflow(case.workflow, case.workflow_version)

    def definitions(self) -> Iterator[WorkflowDef]:
        """Every version of every workflow."""
        for versions in self.workflows.values():
            yield from versions.values()


def _missing(code: str, vi: str, en: str, **params) -> NotFound:
    return NotFound(en, [Reason(code, vi, en[0].upper() + en[1:] + ".", params)])


__all__ = ["Conflict", "DefinitionError", "Engine", "EngineError", "Invalid", "LOCAL_TZ", "NotFound",
           "PermissionDenied", "Rules"]
