"""`casework tick`: run the clock once (for cron or a systemd timer; see the README)."""

import json
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from casework.clock import run_tick
from casework.clock.exclusive import only_one_tick
from casework.extensions import db
from casework.notifications.mail import MailSettings
from casework.operations import clock_status_file, metrics


@click.command("tick")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@with_appcontext
def tick(as_json: bool) -> None:
    """Do everything time-driven once: clock steps, overdue and escalation, reminders, e-mail.

    Idempotent, and safe to run at the same moment on several machines against PostgreSQL: a run that finds
    another one going (the database's advisory lock) says so and does nothing, successfully."""
    with only_one_tick(db.engine) as ours:
        if not ours:
            click.echo("another clock run holds this database's clock lock: nothing done by this one")
            return
        started = time.perf_counter()
        engine = current_app.extensions["casework_engine"]
        report = run_tick(db.session, engine, mail_settings=MailSettings.from_config(current_app.config))
        metrics.record_tick(clock_status_file(current_app), seconds=time.perf_counter() - started,
                            backlog=report.cases_due, skipped_locked=report.cases_skipped_locked)
    figures = report.as_dict()
    if as_json:
        click.echo(json.dumps(figures))
    else:
        click.echo(" ".join(f"{name}={value}" for name, value in figures.items()))


COMMANDS = [tick]
