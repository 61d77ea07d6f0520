"""The engine, models, API, pages, clock and monitoring name no workflow: a procedure's states, triggers, fields,
dates, guards, effects and routing targets are named only by its own package under ``workflows/``.

A name counts as mentioned when it is a string literal in the code (not a docstring), an attribute read
(``case.decision_date``), a keyword argument or a declared column. ``NOT_YET_MOVED`` lists the modules that still
name one, each with what keeps it there; the test fails both when another module starts naming one and when a
listed module no longer does (then strike it from the list), so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from casework.engine import guards, routing
from casework.engine.definition import load_workflows
from casework.engine.effects import EFFECTS
from config import PROJECT_ROOT

CODE = PROJECT_ROOT / "casework"

# Words a workflow uses that are also the engine's own vocabulary (a task's outcome, a step's reason …) or the
# organisation model's (a party member's name, birth date and date of becoming official, in the register).
ENGINE_WORDS = frozenset({"step", "reason", "notes", "outcome", "removed", "source", "position", "course",
                          "opinions", "appraisal", "stage", "state", "full_name", "birth_date", "gender",
                          "official_since",
                          # A cell's members (the register) and a server's worker processes: founding's fields
                          # of the same names (the members and workers of an enterprise) are theirs too.
                          "members", "workers"})

# Modules that still name a workflow's parts, and why. Strike an entry once its module no longer does.
NOT_YET_MOVED: dict[str, str] = {}


def workflow_names() -> frozenset[str]:
    """Every name the workflow packages declare or register, less the engine's own words."""
    names: set[str] = set()
    for versions in load_workflows(PROJECT_ROOT / "workflows").values():
        for wf in versions.values():
            names.add(wf.name)
            for state in wf.states.values():
                names.update({state.name, *state.stages, *(t.kind for t in state.tasks)})
            for t in wf.transitions:
                names.add(t.trigger)
                names.update(f.name for f in t.fields)
                names.update(t.target_of(f) for f in t.fields)
                names.update(g.name for g in t.guards)
                names.update(t.effects)
    engine_own = {"owning_cell", "grassroots", "authority", "organizer", "has_grassroots_committee"}
    names.update(set(routing.TARGETS) - engine_own)
    names.add("candidate")  # admission's subject, Case.candidate
    names.update(guards.GUARDS)
    names.update(EFFECTS)
    for effect in EFFECTS.values():
        names.update(effect.produces_dates)
    return frozenset(names - ENGINE_WORDS)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def mentions(path: Path, names: frozenset[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if node.value in names:
                found.add(node.value)
        elif isinstance(node, ast.Attribute) and node.attr in names:
            found.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg in names:  # Case(decision_date=…)
            found.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id in names:
            found.add(node.target.id)  # a model's column
    return found


@pytest.fixture(scope="module")
def found() -> dict[str, set[str]]:
    names = workflow_names()
    result = {}
    for path in sorted(CODE.rglob("*.py")):
        hits = mentions(path, names)
        if hits:
            result[path.relative_to(PROJECT_ROOT).as_posix()] = hits
    return result


def test_the_names_come_from_the_packages():
    names = workflow_names()
    assert {"admission", "verification", "record_cell_vote", "national_id", "age_within_limits",
            "residence_committee", "start_probation"} <= names


def test_no_other_module_names_a_workflow(found):
    new = {module: sorted(hits) for module, hits in found.items() if module not in NOT_YET_MOVED}
    assert not new, f"move these into the workflow's package (workflows/<name>/): {new}"


def test_the_list_of_modules_not_yet_moved_only_shrinks(found):
    moved = sorted(set(NOT_YET_MOVED) - set(found))
    assert not moved, f"these no longer name a workflow: strike them from NOT_YET_MOVED: {moved}"


def test_the_engine_core_names_no_workflow(found):
    core = [m for m in found if m.startswith(("casework/engine/", "casework/clock/", "casework/models/"))
            and m != "casework/models/tallies.py"]
    assert not core, {m: sorted(found[m]) for m in core}
