"""Each procedure's reference in docs/<workflow>/ keeps up with its definitions: every state, step, guard, field,
task kind, key date and deadline setting of each version of every workflow package is named (as `code`) on that
version's page (docs/<workflow>/v<N>.md), and the README links the pages."""

from __future__ import annotations

import re

import pytest

from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.rules import Rules
from config import PROJECT_ROOT

WORKFLOWS = load_workflows(PROJECT_ROOT / "workflows")
VERSIONS = WORKFLOWS["admission"]
EVERY_VERSION = [(name, version) for name in sorted(WORKFLOWS) for version in sorted(WORKFLOWS[name])]


def named_in(wf: WorkflowDef) -> dict[str, set[str]]:
    """What a reader of the version's page must find, by kind."""
    tasks = [task for state in wf.states.values() for task in state.tasks]
    tasks += [task for t in wf.transitions for task in t.creates]
    flags = [flag.params for t in wf.transitions for flag in t.flags]
    return {
        "state": set(wf.states),
        "stage": {stage for state in wf.states.values() for stage in state.stages},
        "trigger": {t.trigger for t in wf.transitions},
        "guard": {g.name for t in wf.transitions for g in t.guards}
        | {p["guard"] for p in flags if "guard" in p},
        "field": {f.name for t in wf.transitions for f in t.fields},
        "task kind": {task.kind for task in tasks if task.kind != "step"},
        "role": {task.role for task in tasks} | {a.role for t in wf.transitions for a in t.actors},
        "routing": {r for task in tasks for r in ([task.routing] if isinstance(task.routing, str) else task.routing)},
        "key date": set(wf.dates),
        "rule": {task.due.working_days for task in tasks if task.due and task.due.working_days}
        | {p[k] for p in flags for k in ("working_days", "extension_working_days") if k in p},
    }


def page(version: int, workflow: str = "admission") -> str:
    return (PROJECT_ROOT / "docs" / workflow / f"v{version}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("workflow", "version"), EVERY_VERSION)
def test_every_name_of_the_definition_is_on_its_page(workflow, version):
    text = page(version, workflow)
    missing = {kind: sorted(n for n in names if f"`{n}`" not in text)
               for kind, names in named_in(WORKFLOWS[workflow][version]).items()}
    assert {kind: names for kind, names in missing.items() if names} == {}


@pytest.mark.parametrize(("workflow", "version"), EVERY_VERSION)
def test_the_settings_a_page_names_exist_with_the_defaults_it_gives(workflow, version):
    """`name` (default) on a page is a Rules setting (the engine's or a package's) with that default, so a changed
    default shows here; every deadline setting of the definition is given so."""
    defaults = Rules()
    quoted = re.findall(r"`([a-z_]+)` \((\d+)\)", page(version, workflow))
    settings = [(name, value) for name, value in quoted if defaults.has(name)]
    assert named_in(WORKFLOWS[workflow][version])["rule"] - {name for name, _ in settings} == set()
    assert len(settings) >= 10
    assert [(n, v) for n, v in settings if str(getattr(defaults, n)) != v] == []


def test_the_founding_page_gives_the_founding_threshold():
    assert "`min_official_members_to_found` (3)" in page(1, "founding")
    assert Rules().min_official_members_to_found == 3


def test_version_2s_page_says_when_it_takes_effect_and_how_cases_move():
    text, wf = page(2), VERSIONS[2]
    assert wf.effective_from.isoformat() in text
    assert "migrations/1-to-2.yaml" in text and "--dry-run" in text
    plan = (PROJECT_ROOT / "workflows" / "admission" / "migrations" / "1-to-2.yaml").read_text(encoding="utf-8")
    for name in re.findall(r"^  (\w+):$", plan, flags=re.M):  # each date the plan fills in
        assert f"`{name}`" in text.split("## Moving cases")[1], name


def test_the_readme_links_the_pages_and_they_link_each_other():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/admission/glossary.md" in readme
    for workflow, version in EVERY_VERSION:
        assert f"docs/{workflow}/v{version}.md" in readme
    assert "../shared" not in readme
    for workflow, version in EVERY_VERSION:
        glossary = "(glossary.md)" if workflow == "admission" else "(../admission/glossary.md)"
        assert glossary in page(version, workflow)
    glossary = (PROJECT_ROOT / "docs" / "admission" / "glossary.md").read_text(encoding="utf-8")
    assert "(../founding/v1.md)" in glossary


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_the_definitions_and_the_package_point_inside_the_project(workflow):
    """A definition's and its package's pointers to the procedure are its pages here, not a file outside."""
    folder = PROJECT_ROOT / "workflows" / workflow
    for path in folder.glob("v*.yaml"):
        assert f"docs/{workflow}/v" in path.read_text(encoding="utf-8"), path
    for path in [*folder.glob("v*.yaml"), *folder.glob("*.py")]:
        assert "shared/domain" not in path.read_text(encoding="utf-8"), path
