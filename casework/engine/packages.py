"""Workflow packages: each procedure's folder under the top-level ``workflows/`` is also a Python package.

The folder holds the procedure's definitions as data (``v1.yaml``, ``v2.yaml`` …, migration plans) and, as
code, whatever data cannot say: its guards, effects and routing targets (registered by name with
``casework.engine.guards.guard``, ``casework.engine.effects.effect`` and ``casework.engine.routing.target``)
and one ``WorkflowPackage``: how a case of the procedure starts (its subject — a candidate, an enterprise —
and the units it is routed to). The engine imports the package of every workflow folder it loads, before
checking the definitions against those registries; nothing in ``casework`` names a workflow.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casework.engine.errors import DefinitionError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

    from casework.engine.definition import WorkflowDef
    from casework.models import Case, User

# The importable root of the workflow packages (the top-level ``workflows/`` folder).
PACKAGE_ROOT = "workflows"

# (session, definition, the start step's parsed fields, today, now) -> the new case, unsaved, with its subject.
OpenCase = Callable[["Session", "WorkflowDef", dict[str, Any], date, datetime], "Case"]


@dataclass(frozen=True)
class Printable:
    """A form printed from a case (5-KNĐ, a founding decision …), filled from the latest event of one step.

    ``template`` is a page in the package's ``templates`` folder (extending ``printing/_layout.html``);
    ``context(session, case, event)`` gives the values it needs beyond the case and the event's data."""

    code: str  # the address: /cases/<id>/print/<code>
    title: dict[str, str]  # {vi, en}, as the case page lists it
    template: str
    step: str  # the trigger whose latest event fills the form
    context: Callable[[Session, Case, Any], dict[str, Any]] | None = None


@dataclass(frozen=True)
class BenchLoop:
    """Two steps back and forth that `casework bench engine` times through the engine and as bare SQL.

    ``prepare(session, engine, org, n)`` opens ``n`` cases ready for the loop in the demo organisation and answers
    their ids and the id of the person taking the steps, who holds ``role`` at each case's owning unit (and is
    told of its new tasks); ``steps`` maps a state to (trigger, the state it leads to); ``data`` a trigger to the
    values it submits."""

    prepare: Callable[[Session, Any, Any, int], tuple[list[int], int]]
    steps: dict[str, tuple[str, str]]
    data: dict[str, dict[str, Any]]
    role: str


@dataclass(frozen=True)
class SubjectIdentifier:
    """A subject's identifying number that people search by (a national ID, a tax code)."""

    label: dict[str, str]  # {vi, en}
    cases: Callable[[str], Any]  # typed text -> a SQL clause over Case (this workflow's cases with that subject)


@dataclass(frozen=True)
class ListedPerson:
    """One person a task's subject lists (``subject["people"]``), as the pages of a task seen without its case show
    them (a verification request's candidate and relatives, a transfer's members)."""

    full_name: str
    relation: str | None = None  # shown after the name, in the page's language ("the candidate", "mother")
    birth_date: date | None = None
    places: tuple[int, ...] = ()  # units of the tree named after them: where they live, where they work
    note: str | None = None  # anything else the holder needs to find them ("abroad: France")


def listed_people(subject: dict[str, Any] | None) -> list[ListedPerson]:
    """A task's listed people read by name and birth date alone: for a package that says no more about them."""
    people = []
    for entry in (subject or {}).get("people") or []:
        born = entry.get("birth_date")
        people.append(ListedPerson(full_name=entry.get("full_name", ""),
                                   birth_date=date.fromisoformat(born) if isinstance(born, str) else None))
    return people


@dataclass(frozen=True)
class WorkflowPackage:
    """What a procedure's code tells the engine beyond its registered guards, effects and targets."""

    name: str
    open_case: OpenCase
    # Start-step fields the subject keeps (a candidate's name, birth date …) rather than the case's facts.
    subject_fields: frozenset[str] = frozenset()
    # Fills defaults into the start step's submitted fields for this person (the union they are officer of).
    prefill: Callable[[User, dict[str, Any]], None] | None = None
    # (session, engine, the demo organisation) -> (cases created now, cases planned): the demo's cases of this
    # workflow, built through the engine; run by `casework demo` after the organisation (casework.demo).
    demo: Callable[[Session, Any, Any], tuple[int, int]] | None = None
    # () -> the workflow's scenario for the synthetic data generator (`casework generate`): which step follows,
    # when and with which values; its steps are written as the engine writes them (casework.monitoring.simulation).
    simulation: Callable[[], Any] | None = None
    # The package's page templates (names under it start with the workflow's name: "admission/…").
    templates: Path | None = None
    # The case page's panel about the subject (a template in ``templates``); none: the case's title and dates.
    subject_template: str | None = None
    printables: tuple[Printable, ...] = ()
    # The case JSON's subject: (its key, e.g. "candidate", and its body); ``restricted`` for a viewer who sees
    # only their tasks (the body then keeps to what answering them needs).
    subject_json: Callable[[Case, bool], tuple[str, dict[str, Any]] | None] | None = None
    # What lists call the case's title besides ``title`` (admission: "candidate", as its API clients read it).
    subject_name: str | None = None
    # (session, user) -> what the start step's form can fill in from the person's own role (pages only).
    form_defaults: Callable[[Session, User], dict[str, Any]] | None = None
    # The loop `casework bench engine` times (a package without one is not benchmarked).
    bench: Callable[[], BenchLoop] | None = None
    # The example row of the template for importing cases in progress (column -> value as typed in a
    # spreadsheet; casework.engine.importing); columns it leaves out get an example of their field's type.
    import_example: dict[str, str] | None = None
    # (session, the start step's values of many cases opened at once: an import) -> a context within which
    # ``open_case`` and the start step's guards find what they read for one case (its subject, its open case)
    # among what was read for all of them in a few queries; none: they read it case by case.
    read_ahead: Callable[[Session, list[dict[str, Any]]], AbstractContextManager[None]] | None = None
    # What search finds a case's subject by besides its name (admission: the national ID): its label and,
    # for the text typed, a clause over ``Case`` selecting this workflow's cases whose subject has it.
    identifier: SubjectIdentifier | None = None
    # (a task's subject) -> the people it lists, for the pages of a task seen without its case (``view: task``):
    # their relation, birth date, the units they live or work in; none: ``listed_people`` (name and birth date).
    task_people: Callable[[dict[str, Any]], list[ListedPerson]] | None = None

    def printable(self, code: str) -> Printable | None:
        return next((p for p in self.printables if p.code == code), None)

    def people_listed(self, subject: dict[str, Any] | None) -> list[ListedPerson]:
        return self.task_people(subject or {}) if self.task_people else listed_people(subject)


PACKAGES: dict[str, WorkflowPackage] = {}


def register(package: WorkflowPackage) -> WorkflowPackage:
    """Called by a workflow package's ``__init__`` when it is imported."""
    PACKAGES[package.name] = package
    return package


def import_package(name: str, origin: str) -> None:
    """Import ``workflows.<name>`` if it exists; a folder of definitions alone may use what others registered.
    A package that fails to import is a definition error naming it, not a traceback at start-up."""
    module = f"{PACKAGE_ROOT}.{name}"
    try:
        if importlib.util.find_spec(module) is None:
            return
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name in (PACKAGE_ROOT, module):
            return
        raise DefinitionError(origin, "package", f"{module} cannot be imported: {exc}") from exc


def package_of(name: str) -> WorkflowPackage:
    """The registered package of a workflow (its definitions were loaded, so its package was imported)."""
    try:
        return PACKAGES[name]
    except KeyError:
        raise DefinitionError(name, "package", f"no workflow package registers {name}: add "
                              f"{PACKAGE_ROOT}/{name}/__init__.py calling casework.engine.packages.register") from None


def import_packages(directory) -> None:
    """Import the package of every workflow folder under ``directory`` (its tables join the models' metadata):
    for code that uses the models without loading the definitions (a schema built from the models, scripts)."""
    from pathlib import Path

    for folder in sorted(p for p in Path(directory).iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        import_package(folder.name, str(folder))
