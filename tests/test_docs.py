"""The procedure's reference in docs/admission/ keeps up with the definitions: every state, step, guard, field,
task kind, key date and deadline setting of each version is named (as `code`) on that version's page, and the
README links the pages."""

from __future__ import annotations

import re

import pytest

from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.rules import Rules
from config import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs" / "admission"
VERSIONS = load_workflows(PROJECT_ROOT / "workflows")["admission"]


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


def page(version: int) -> str:
    return (DOCS / f"v{version}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_every_name_of_the_definition_is_on_its_page(version):
    text = page(version)
    missing = {kind: sorted(n for n in names if f"`{n}`" not in text)
               for kind, names in named_in(VERSIONS[version]).items()}
    assert {kind: names for kind, names in missing.items() if names} == {}


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_the_settings_a_page_names_exist_with_the_defaults_it_gives(version):
    """`name` (default) on a page is a Rules setting with that default, so a changed default shows here."""
    defaults = Rules()
    quoted = re.findall(r"`([a-z_]+)` \((\d+)\)", page(version))
    settings = [(name, value) for name, value in quoted if defaults.has(name)]
    assert len(settings) >= 15
    assert [(n, v) for n, v in settings if str(getattr(defaults, n)) != v] == []


def test_version_2s_page_says_when_it_takes_effect_and_how_cases_move():
    text, wf = page(2), VERSIONS[2]
    assert wf.effective_from.isoformat() in text
    assert "migrations/1-to-2.yaml" in text and "--dry-run" in text
    plan = (PROJECT_ROOT / "workflows" / "admission" / "migrations" / "1-to-2.yaml").read_text(encoding="utf-8")
    for name in re.findall(r"^  (\w+):$", plan, flags=re.M):  # each date the plan fills in
        assert f"`{name}`" in text.split("## Moving cases")[1], name


def test_the_readme_links_the_pages_and_they_link_each_other():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("v1.md", "v2.md", "glossary.md"):
        assert f"docs/admission/{name}" in readme
    assert "../shared" not in readme
    for name in ("v1.md", "v2.md"):
        assert "(glossary.md)" in page(int(name[1]))
