"""`casework import cases FILE.xlsx|csv [--workflow NAME] [--dry-run] [--by USERNAME]` and
`casework import template FILE.xlsx|csv [--workflow NAME]`: cases already in progress, from a spreadsheet
(casework.engine.importing)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from casework.engine import Engine
from casework.engine.errors import EngineError
from casework.engine.importing import ImportReport, import_cases
from casework.extensions import db
from casework.import_template import template_csv, template_xlsx
from casework.models import User
from casework.spreadsheets import read_rows


@click.group("import")
def import_group() -> None:
    """Bring in what a province already keeps in spreadsheets."""


def _workflow_option(fn):
    fn = click.option("--version", "version", type=click.IntRange(min=1), default=None,
                      help="The version the cases follow (default: the one new cases start on today).")(fn)
    return click.option("--workflow", "workflow", default=None, metavar="NAME",
                        help="The workflow (default: CASEWORK_DEFAULT_WORKFLOW).")(fn)


@import_group.command("cases")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_workflow_option
@click.option("--dry-run", is_flag=True, help="Check every line and say what would be created; write nothing.")
@click.option("--by", "by", metavar="USERNAME", default=None,
              help="The administrator the history names (required unless --dry-run); every case's owning unit "
              "must lie within the units they administer.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, for tools.")
def import_cases_command(file: Path, workflow: str | None, version: int | None, dry_run: bool, by: str | None,
                         as_json: bool) -> None:
    """Import the cases in progress listed in FILE (one row per case; see `casework import template`): all of
    them, or none when any line has a problem."""
    engine: Engine = current_app.extensions["casework_engine"]
    if not dry_run and not by:
        raise click.UsageError("--by USERNAME (an administrator) is required unless --dry-run")
    user = None
    if by:
        user = db.session.scalar(sa.select(User).where(User.username == by))
        if user is None:
            raise click.ClickException(f"no user named {by!r}")
    try:
        rows = read_rows(file.name, file.read_bytes())
    except (UnicodeDecodeError, ValueError, KeyError, OSError) as exc:
        raise click.ClickException(f"{file.name} cannot be read as CSV (UTF-8) or XLSX: {exc}") from exc
    try:
        report = import_cases(session=db.session, engine=engine, rows=rows, filename=file.name,
                              workflow=workflow or current_app.config["DEFAULT_WORKFLOW"], version=version,
                              user=user, dry_run=dry_run)
    except EngineError as exc:
        raise click.ClickException("; ".join(r.en for r in exc.reasons) or exc.message) from exc
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else describe(report))
    if report.problems:
        raise SystemExit(1)


@import_group.command("template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_workflow_option
def template_command(file: Path, workflow: str | None, version: int | None) -> None:
    """Write the template for `casework import cases` (FILE ends in .xlsx or .csv): the columns of the workflow's
    version and an example row."""
    engine: Engine = current_app.extensions["casework_engine"]
    try:
        wf = engine.workflow(workflow or current_app.config["DEFAULT_WORKFLOW"], version)
    except EngineError as exc:
        raise click.ClickException(exc.message) from exc
    if file.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("the template's name ends in .xlsx or .csv")
    file.write_bytes(template_xlsx(wf) if file.suffix.lower() == ".xlsx" else template_csv(wf))
    click.echo(f"{file}: the columns of {wf.name} version {wf.version} and an example row")


def describe(report: ImportReport) -> str:
    """Problems first (line, column, Vietnamese and English), else one line per case."""
    where = f"{report.file}: {report.workflow} version {report.version}"
    if report.problems:
        lines = [f"{where}: refused, nothing imported ({len(report.problems)} problem(s))."]
        for p in report.problems:
            lines.append(f"  line {p.line}, {p.column or '—'}: {p.vi} / {p.en}")
        return "\n".join(lines)
    head = "Dry run: nothing is written.\n" if report.dry_run else ""
    verb = "would import" if report.dry_run else "imported"
    lines = [f"{head}{where}: {verb} {len(report.cases)} case(s)."]
    for case in report.cases:
        number = f"case {case.case_id} " if case.case_id else ""
        stage = f" [{case.stage}]" if case.stage else ""
        lines.append(f"  line {case.line}: {number}{case.title} — {case.state}{stage} at {case.owner}")
        for task in case.tasks:
            due = f", due {task['due_date']}" if task["due_date"] else ""
            lines.append(f"      task {task['kind']} ({task['role']}, {task['unit']}{due})")
    return "\n".join(lines)


COMMANDS = (import_group,)
