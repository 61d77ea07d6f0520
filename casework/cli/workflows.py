"""`casework workflow check`, `casework workflow show NAME [--version N]` and `casework workflow diff NAME A B`."""

import json

import click
from flask import current_app

from casework.engine import Engine
from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.diff import describe, diff_workflows
from casework.engine.errors import DefinitionError, NotFound


@click.group("workflow")
def workflow() -> None:
    """Workflow definitions."""


@workflow.command("check")
def check() -> None:
    """Validate every version of every definition in the workflows directory."""
    directory = current_app.config["WORKFLOWS_DIR"]
    try:
        workflows = load_workflows(directory)
    except DefinitionError as exc:
        raise click.ClickException(str(exc)) from exc
    for versions in workflows.values():
        for wf in versions.values():
            effective = f", effective from {wf.effective_from}" if wf.effective_from else ""
            click.echo(f"ok  {wf.name} v{wf.version}: {len(wf.states)} states, {len(wf.transitions)} transitions"
                       f"{effective} ({wf.file})")


def _definition(name: str, version: int | None) -> WorkflowDef:
    engine: Engine = current_app.extensions["casework_engine"]
    try:
        return engine.workflow(name, version)
    except NotFound as exc:
        raise click.ClickException(exc.message) from exc


@workflow.command("show")
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="This version (default: the one new cases start on today).")
def show(name: str, version: int | None) -> None:
    """Print the states, the transitions and a Mermaid diagram of one workflow."""
    wf = _definition(name, version)
    effective = f" (effective from {wf.effective_from})" if wf.effective_from else ""
    click.echo(f"{wf.name} v{wf.version}{effective} — {wf.label['en']} / {wf.label['vi']}\n\nStates:")
    for s in wf.states.values():
        marker = " ■" if s.terminal else ""
        stages = f" [stages: {', '.join(s.stages)}]" if s.stages else ""
        click.echo(f"  {s.name}{marker} — {s.label['vi']} / {s.label['en']}{stages}")
    click.echo("\nTransitions:")
    for t in wf.transitions:
        to = ", ".join(d.state + (f" if {d.when}" if d.when else "") for d in t.destinations) or "(same state)"
        actors = "the task's assignee" if t.actor_is_task else ", ".join(f"{a.role}@{a.routing}" for a in t.actors)
        source = ", ".join(s or "(start)" for s in t.sources)
        stage = f" [{t.stage}]" if t.stage else ""
        click.echo(f"  {t.trigger}{stage}: {source} → {to}  by {actors}")
    click.echo("\nMermaid:\n")
    click.echo(mermaid(wf))


@workflow.command("diff")
@click.argument("name")
@click.argument("old", type=click.IntRange(min=1))
@click.argument("new", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON, for tools.")
def diff(name: str, old: int, new: int, as_json: bool) -> None:
    """What changed from version OLD to version NEW of a workflow."""
    result = diff_workflows(_definition(name, old), _definition(name, new))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(describe(result))


def mermaid(wf: WorkflowDef) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}: {wf.start}"]
    for t in wf.transitions:
        for source in t.sources:
            if source is None:
                continue
            for d in t.destinations:
                lines.append(f"    {source} --> {d.state}: {t.trigger}")
    lines += [f"    {s.name} --> [*]" for s in wf.states.values() if s.terminal]
    return "\n".join(lines)
