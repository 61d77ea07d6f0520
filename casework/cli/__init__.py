"""The ``casework`` command: Flask's CLI over the app factory, with the project's own commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command


def _cli_app() -> Flask:
    from casework import create_app

    # Maintenance commands run without a SECRET_KEY; serving checks for one (see `serve`).
    return create_app(require_secret_key=False)


@click.group(cls=FlaskGroup, create_app=_cli_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """casework: party-building casework (admitting members, founding party organisations) as versioned workflows."""


def _guarded_run(**options) -> None:
    """Flask's development server, but never without a SECRET_KEY outside the demo and the tests."""
    from casework import MissingSecretKey, check_serving_secret_key

    ctx = click.get_current_context()
    try:
        check_serving_secret_key(ctx.ensure_object(ScriptInfo).load_app())
    except MissingSecretKey as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("casework run is Flask's development server, for development only: "
               "serve a site with `casework serve` (see the README).", err=True)
    ctx.invoke(run_command.callback, **options)


# Replaces the default `run`: same options, plus the secret-key check the app factory skips for the CLI.
main.add_command(click.Command("run", params=run_command.params, callback=_guarded_run, help=run_command.help,
                               short_help=run_command.short_help))


def register(app: Flask) -> None:
    """Attach every command group to the app (so `flask --app casework` sees them too)."""
    from casework.cli import bench, database, demo, generate, importing, monitoring, serve, tick, tokens, workflows

    for command in (database.init_db, workflows.workflow, tokens.token):
        app.cli.add_command(command)
    for feature in (demo, bench, generate, tick, monitoring, serve, importing):  # commands beside their features
        for command in feature.COMMANDS:
            app.cli.add_command(command)
