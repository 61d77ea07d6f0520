"""`casework workflow check`, `casework workflow show NAME [--version N]`, `casework workflow diff NAME A B` and
`casework workflow migrate NAME --from A --to B`."""

import json

import click
import sqlalchemy as sa
from flask import current_app

from casework.engine import Engine
from casework.engine.definition import WorkflowDef, load_workflows
from casework.engine.diff import describe, diff_workflows
from casework.engine.errors import DefinitionError, EngineError, NotFound
from casework.engine.migration import MigrationReport, find_plan, load_plans, migrate, parse_where
from casework.extensions import db
from casework.models import User


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
    try:
        plans = load_plans(workflows)
    except DefinitionError as exc:
        raise click.ClickException(str(exc)) from exc
    for plan in plans:
        click.echo(f"ok  {plan.workflow} migration {plan.from_version} → {plan.to_version} ({plan.file})")


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


@workflow.command("migrate")
@click.argument("name")
@click.option("--from", "from_version", type=click.IntRange(min=1), required=True, help="The version cases are on.")
@click.option("--to", "to_version", type=click.IntRange(min=1), required=True, help="The version to move them to.")
@click.option("--where", "where", multiple=True, metavar="EXPR",
              help="Only these cases: state=S (a state of the old version), unit=ID (owning cell within that "
              "unit), case=ID; repeat it (the same key: either value; different keys: all of them).")
@click.option("--dry-run", is_flag=True, help="Say what would happen, write nothing.")
@click.option("--by", "by", metavar="USERNAME", default=None,
              help="The administrator the history names (required unless --dry-run); only cases within the "
              "units they administer are moved.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, for tools.")
def migrate_cases(name: str, from_version: int, to_version: int, where: tuple[str, ...], dry_run: bool,
                  by: str | None, as_json: bool) -> None:
    """Move the open cases of NAME from one version to another by the plan
    workflows/NAME/migrations/FROM-to-TO.yaml, each case in its own transaction (safe to rerun)."""
    engine: Engine = current_app.extensions["casework_engine"]
    if not dry_run and not by:
        raise click.UsageError("--by USERNAME (an administrator) is required unless --dry-run")
    try:
        plan = find_plan(engine, name, from_version, to_version)
        selection = parse_where(list(where))
        user = None
        if by:
            user = db.session.scalar(sa.select(User).where(User.username == by))
            if user is None:
                raise click.ClickException(f"no user named {by!r}")
        report = migrate(session=db.session, engine=engine, plan=plan, selection=selection, user=user,
                         dry_run=dry_run)
    except DefinitionError as exc:
        raise click.ClickException(f"the migration plan is not valid: {exc}") from exc
    except EngineError as exc:
        raise click.ClickException("; ".join(r.en for r in exc.reasons) or exc.message) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(describe_report(report))
    if any(m.outcome == "failed" for m in report.cases):
        raise SystemExit(1)


_OUTCOME_WORDS = {"would_move": "would move", "moved": "moved", "cannot_move": "cannot move",
                  "already_migrated": "already migrated", "skipped": "skipped", "failed": "failed"}


def describe_report(report: MigrationReport) -> str:
    """One paragraph per case, then the summary."""
    head = "Dry run: nothing is written.\n" if report.dry_run else ""
    lines = [f"{head}{report.workflow}: version {report.from_version} → {report.to_version} ({report.plan})"]
    for move in report.cases:
        where = f"{move.from_state}" + (f" [{move.from_stage}]" if move.from_stage else "")
        line = f"  case {move.case_id} ({where}): {_OUTCOME_WORDS[move.outcome]}"
        if move.to_state and move.outcome in ("would_move", "moved"):
            line += f" → {move.to_state}" + (f" [{move.to_stage}]" if move.to_stage else "")
        lines.append(line)
        for old, new in move.renamed.items():
            lines.append(f"      renamed {old} → {new}")
        for name, value in move.defaulted.items():
            lines.append(f"      {name} = {value} (default)")
        tasks = [(word, move_tasks) for word, move_tasks in (
            ("kept", move.tasks_kept), ("cancelled", move.tasks_cancelled), ("created", move.tasks_created))
            if move_tasks]
        for word, listed in tasks:
            lines.append(f"      tasks {word}: " + ", ".join(
                (f"#{t['id']} " if t.get("id") else "") + f"{t['kind']} ({t['role']})" for t in listed))
        for reason in move.reasons:
            lines.append(f"      {reason.code}: {reason.en}")
    summary = report.summary()
    counts = ", ".join(f"{summary[o]} {_OUTCOME_WORDS[o]}" for o in _OUTCOME_WORDS if summary[o])
    lines.append(f"Summary: {counts or 'no case selected'}")
    for code, n in summary["reasons"].items():
        lines.append(f"  {code}: {n}")
    return "\n".join(lines)


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
