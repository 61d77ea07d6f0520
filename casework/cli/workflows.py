"""`casework workflow check` and `casework workflow show NAME`."""

import click
from flask import current_app

from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.errors import DefinitionError


@click.group("workflow")
def workflow() -> None:
    """Workflow definitions."""


@workflow.command("check")
def check() -> None:
    """Validate every definition in the workflows directory."""
    directory = current_app.config["WORKFLOWS_DIR"]
    try:
        workflows = load_workflows(directory)
    except DefinitionError as exc:
        raise click.ClickException(str(exc)) from exc
    for wf in workflows.values():
        click.echo(f"ok  {wf.name} v{wf.version}: {len(wf.states)} states, {len(wf.transitions)} transitions "
                   f"({wf.file})")


@workflow.command("show")
@click.argument("name")
def show(name: str) -> None:
    """Print the states, the transitions and a Mermaid diagram of one workflow."""
    wf = current_app.extensions["casework_engine"].workflows.get(name)
    if wf is None:
        raise click.ClickException(f"no workflow named {name!r}")
    click.echo(f"{wf.name} v{wf.version} — {wf.label['en']} / {wf.label['vi']}\n\nStates:")
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
