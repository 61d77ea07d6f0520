"""What monitoring knows of the workflows: their definitions (the order of states, terminal states and the
``monitoring:`` section) and, as a registry, what a workflow's package adds of its own.

Monitoring names no workflow. The generic figures (pipeline, stays, overdue tasks, replies, stuck cases) read
the states from the definitions through ``Workflows``; a package (``workflows/<name>/monitoring.py``, imported
imported by ``import_packages`` for every workflow the definitions hold, as the engine imports the package
itself) registers what only it can say with ``register(WorkflowFigures(...))``:

- ``subject``: how its cases split the pipeline beyond state, unit and source (the ownership of the
  enterprise its subject works in or is, and a flag of its own), as a select of ``SUBJECT_COLUMNS`` by
  subject id, and which of its models' attributes move those values (``SubjectKeys``);
- ``tallies``: its own tally tables, each with the grouped query over the history it must equal, which
  ``casework monitoring rebuild`` and ``check`` run beside the generic ones;
- ``install`` / ``uninstall``: its listeners keeping those tallies (``casework.monitoring.upkeep.install``
  calls them);
- ``figures``: dashboard figures of its own (query and table), shown and downloaded like the generic ones;
- ``target_measures``: the numbers its targets set (``TargetMeasure``: columns of the allocation table, labels,
  one counted among another), ``measures``: how they are counted, and ``main_line_measure``: which of them its
  main line's end counts (the overview's "admitted this year" and forecast);
- ``pages``: monitoring pages of its own (a Flask blueprint under ``/monitoring``: founding's register of
  organisations founded before the system), and ``links``: the overview's links to them.

A workflow that registers nothing is still counted by every generic figure.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from casework.engine import Engine
    from casework.engine.definition import WorkflowDef

# What a package's ``subject`` select gives, per subject id: the ownership of the enterprise the subject works
# in or is ('' unknown) and the package's own flag (admission: the candidate owns a business).
SUBJECT_COLUMNS = ("subject_id", "ownership", "business_owner")


@dataclass(frozen=True)
class SubjectKeys:
    """The package's subject model and its ``attributes`` that move its cases' subject columns (a row's id is
    the subject id of its cases)."""

    model: type
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """A dashboard figure: its query (``compute(report)``), its table (``table(result, unit names)``), and on the
    page its table's caption and its link among the page's sections."""

    compute: Callable[[Any], Any]
    table: Callable[[Any, dict], tuple[list[str], list[list[Any]]]]
    caption: Any = None
    link: Any = None
    page_order: int = 0  # among the package's figures on the page


@dataclass(frozen=True)
class TargetMeasure:
    """A number a unit's target sets (chỉ tiêu) and the package's ``measures`` count: a column of the allocation
    table and of the targets' page and downloads, a key of ``Target.amounts``."""

    name: str
    label: Any  # the achieved number's column ("Admissions")
    target_label: Any  # the target's own column ("Admissions target")
    # Another measure this one is counted among (business owners among admissions): never more than it.
    among: str | None = None
    hint: Any = None  # the form's note under its box


@dataclass(frozen=True)
class WorkflowFigures:
    """What one workflow's package adds to monitoring (see the module's description)."""

    workflow: str
    subject: Callable[[], sa.Select] | None = None
    subject_keys: SubjectKeys | None = None
    # Units whose ownership the subject columns read: ``units_subjects(unit ids)`` selects the subject ids.
    units_subjects: Callable[[list[int]], Any] | None = None
    tallies: tuple[tuple[type, Callable[[sa.Connection, sa.Table], sa.Select]], ...] = ()
    install: Callable[[], None] | None = None
    uninstall: Callable[[], None] | None = None
    figures: dict[str, Figure] = field(default_factory=dict)
    # Column identifiers of its figures' tables and their labels on screen (``casework.monitoring.labels``).
    labels: dict[str, Any] = field(default_factory=dict)
    # What its cases' title is called in tables (the stuck cases' column): admission's is the candidate.
    title_column: str | None = None
    # What its targets count: fn(session, scope=, year_from=, year_to=, units=) -> {measure: {unit: {year: n}}}
    measures: Callable[..., dict[str, dict[int, dict[int, int]]]] | None = None
    # The numbers its targets set, which ``measures`` counts (their columns, labels and rules).
    target_measures: tuple[TargetMeasure, ...] = ()
    # Its cases' subjects in the object-centric log (casework.monitoring.ocel): fn(session, subject ids) ->
    # {subject id: OcelObject}, related to the units they belong to (a candidate's enterprise) by "unit:<id>".
    ocel_subjects: Callable[[Any, list[int]], dict[int, Any]] | None = None
    # The target measure that counts its cases reaching the end of its main line (admission: "admissions"):
    # the dashboard's overview lists those cases and forecasts that measure along this workflow's main line.
    main_line_measure: str | None = None
    # Pages of its own under /monitoring (a Flask blueprint, registered with the monitoring pages for an app
    # whose engine loads the workflow; each takes the unit asked for as ``unit``, in the person's organizer
    # scope: ``casework.monitoring.routes.organizer_scope``), and the overview's links to them: (endpoint, label).
    pages: Any = None
    links: tuple[tuple[str, Any], ...] = ()


REGISTERED: dict[str, WorkflowFigures] = {}
_IMPORTED: set[str] = set()
# Called after each registration: statements built from what is registered are built again (upkeep's).
_ON_REGISTER: list[Callable[[], None]] = []


def on_register(fn: Callable[[], None]) -> Callable[[], None]:
    _ON_REGISTER.append(fn)
    return fn


def import_packages(names: Iterable[str]) -> None:
    """Import ``workflows.<name>.monitoring`` of each workflow that has one (once), which registers it."""
    from casework.engine.packages import PACKAGE_ROOT

    for name in sorted(set(names) - _IMPORTED):
        _IMPORTED.add(name)
        module = f"{PACKAGE_ROOT}.{name}.monitoring"
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module)


def register(package: WorkflowFigures) -> WorkflowFigures:
    """Called when a workflow's package is imported; registering the same workflow again replaces it."""
    REGISTERED[package.workflow] = package
    subject_select.cache_clear()
    for fn in _ON_REGISTER:
        fn()
    return package


def registered() -> list[WorkflowFigures]:
    return [REGISTERED[name] for name in sorted(REGISTERED)]


def target_measures() -> list[TargetMeasure]:
    """Every registered package's target measures: by workflow name, each package's in its own order."""
    return [m for package in registered() for m in package.target_measures]


def title_column() -> str:
    """The column identifier of a case's title: the one the packages give when they agree, else ``title``."""
    names = {p.title_column for p in registered() if p.title_column}
    return names.pop() if len(names) == 1 else "title"


@functools.cache
def subject_select() -> sa.Subquery | None:
    """Every registered subject's columns, with its workflow: one subquery the pipeline joins (outer: a case of
    a workflow without one still counts, with ownership '' and no flag)."""
    parts = [p.subject().add_columns(sa.literal(p.workflow, sa.String).label("workflow"))
             for p in registered() if p.subject is not None]
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("subject")


# --------------------------------------------------------------------------------------------------
# The definitions


@dataclass(frozen=True)
class Workflows:
    """Every version of every workflow, as monitoring reads them."""

    definitions: tuple[WorkflowDef, ...]

    @functools.cached_property
    def _order(self) -> dict[str, int]:
        names: dict[str, None] = {}
        for wf in sorted(self.definitions, key=lambda wf: (wf.name, wf.version)):
            names.update(dict.fromkeys(wf.states))
        return {name: i for i, name in enumerate(names)}

    def state_order(self, state: str) -> tuple[int, str]:
        """A sort key: states in the order their definitions declare them (a state no definition has, last)."""
        return self._order.get(state, len(self._order)), state

    def sorted_states(self, states: Iterable[str]) -> list[str]:
        return sorted(states, key=self.state_order)

    @functools.cached_property
    def terminal(self) -> frozenset[str]:
        return frozenset(s.name for wf in self.definitions for s in wf.states.values() if s.terminal)

    @functools.cached_property
    def waiting_by_design(self) -> dict[str, frozenset[str]]:
        """``{workflow: states where a long wait is the rule}``, over every version."""
        out: dict[str, set[str]] = {}
        for wf in self.definitions:
            out.setdefault(wf.name, set()).update(wf.monitoring.waiting_by_design)
        return {name: frozenset(states) for name, states in out.items() if states}

    @functools.cached_property
    def reply_kinds(self) -> frozenset[str]:
        """Task kinds whose completion is a unit's reply (``monitoring.replies``), in any workflow."""
        return frozenset(kind for wf in self.definitions for kind in wf.monitoring.replies)

    @functools.cached_property
    def referred_on(self) -> tuple[tuple[str, str], ...]:
        """``(workflow, key date)`` of every workflow declaring ``monitoring.referred_on`` (the latest version
        declaring one)."""
        out: dict[str, str] = {}
        for wf in sorted(self.definitions, key=lambda wf: (wf.name, wf.version)):
            if wf.monitoring.referred_on:
                out[wf.name] = wf.monitoring.referred_on
        return tuple(sorted(out.items()))

    def latest(self, workflow: str) -> WorkflowDef | None:
        return max((wf for wf in self.definitions if wf.name == workflow), key=lambda wf: wf.version, default=None)

    def main_line(self, workflow: str) -> tuple[str, ...]:
        """The main line (``monitoring.main_line_until``) of the latest version declaring one."""
        lines = [wf for wf in self.definitions if wf.name == workflow and wf.main_line]
        return max(lines, key=lambda wf: wf.version).main_line if lines else ()


def known(engine: Engine | None = None) -> Workflows:
    """The definitions of ``engine``; without one, of the app's engine (in a request or command), else of the
    workflows folder the configuration names (scripts and tests without an app)."""
    if engine is None:
        engine = _app_engine()
    workflows = _configured() if engine is None else Workflows(tuple(engine.definitions()))
    import_packages(wf.name for wf in workflows.definitions)
    return workflows


def _app_engine() -> Engine | None:
    from flask import current_app, has_app_context

    return current_app.extensions.get("casework_engine") if has_app_context() else None


@functools.cache
def _configured() -> Workflows:
    from casework.engine.definition import load_workflows
    from config import Config

    catalog = load_workflows(Config.WORKFLOWS_DIR)
    return Workflows(tuple(wf for versions in catalog.values() for wf in versions.values()))


def referred_on(workflows: Workflows) -> sa.ColumnElement | None:
    """A case's referral date in SQL: the key date its definition declares as ``monitoring.referred_on`` (NULL
    for a workflow declaring none); None when no workflow declares one."""
    from casework.models.cases import Case, case_date

    whens = [(Case.workflow == name, case_date(date_name)) for name, date_name in workflows.referred_on]
    return sa.case(*whens) if whens else None
