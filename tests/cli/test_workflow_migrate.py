"""`casework workflow migrate NAME --from A --to B`: a per-case report and a summary, a dry run that writes
nothing, an administrator named in the history, and a rerun that moves nothing more."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from casework.engine import Engine
from casework.engine.migration import MIGRATE_TRIGGER
from casework.extensions import db
from casework.models import Case, Event
from tests.engine.migration_catalog import catalog
from tests.factories import RoleFactory, UserFactory, build_org, use_session
from tests.walk import Walker


@pytest.fixture
def migrating_app(app, tmp_path, clock):
    root = catalog(tmp_path / "workflows")
    app.config["WORKFLOWS_DIR"] = str(root)
    app.extensions["casework_engine"] = Engine.from_directory(root, clock=clock)
    return app


@pytest.fixture
def walked(migrating_app):
    use_session(db.session)
    org = build_org(db.session)
    admin = UserFactory(username="admin")
    RoleFactory(user=admin, unit=org.units["province"], role="admin")
    db.session.commit()
    engine = migrating_app.extensions["casework_engine"]
    cases = {state: Walker(db.session, engine, org).to(state).id for state in ("in_course", "dossier", "verification")}
    db.session.commit()
    return cases


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["workflow", "migrate", "admission", "--from", "1", "--to", "2", *args])


def _counts() -> tuple[int, list]:
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    versions = sorted(db.session.execute(sa.select(Case.id, Case.workflow_version, Case.version)).all())
    db.session.rollback()
    return events, versions


def test_a_dry_run_prints_each_case_and_the_summary_and_writes_nothing(migrating_app, walked):
    before = _counts()
    result = _run(migrating_app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert _counts() == before
    out = result.output
    assert out.startswith("Dry run: nothing is written.\nadmission: version 1 → 2 (migrations/1-to-2.yaml)")
    assert f"case {walked['verification']} (verification): would move → background_check" in out
    assert f"case {walked['in_course']} (in_course): cannot move" in out and "state_unmapped: The state" in out
    assert "tasks cancelled: #" in out and "tasks created: step (cell_secretary)" in out
    assert "Summary: 2 would move, 1 cannot move" in out


def test_a_run_needs_an_administrator_and_moves_the_cases(migrating_app, walked):
    result = _run(migrating_app)
    assert result.exit_code != 0 and "--by USERNAME" in result.output
    result = _run(migrating_app, "--by", "cell_secretary")
    assert result.exit_code != 0 and "Only an administrator" in result.output
    result = _run(migrating_app, "--by", "nobody")
    assert result.exit_code != 0 and "no user named 'nobody'" in result.output
    assert _counts()[1][0][1] == 1

    result = _run(migrating_app, "--by", "admin", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["summary"]["moved"] == 2 and report["summary"]["cannot_move"] == 1
    assert report["summary"]["reasons"] == {"state_unmapped": 1}
    moved = db.session.get(Case, walked["verification"])
    assert (moved.workflow_version, moved.state) == (2, "background_check")
    last = moved.events[-1]
    assert last.trigger == MIGRATE_TRIGGER and last.actor.username == "admin"
    db.session.rollback()

    again = _run(migrating_app, "--by", "admin")
    assert again.exit_code == 0 and "Summary: 1 cannot move" in again.output
    named = _run(migrating_app, "--by", "admin", "--where", f"case={walked['dossier']}")
    assert f"case {walked['dossier']} (dossier): already migrated" in named.output


def test_where_and_bad_input_are_told_clearly(migrating_app, walked):
    only = _run(migrating_app, "--dry-run", "--where", "state=dossier", "--json")
    assert [c["case_id"] for c in json.loads(only.output)["cases"]] == [walked["dossier"]]
    for args, words in ((["--where", "colour=red"], "There is no selection colour"),
                        (["--where", "state=background_check"], "Version 1 has no state background_check")):
        result = _run(migrating_app, "--dry-run", *args)
        assert result.exit_code != 0 and words in result.output, result.output
    result = migrating_app.test_cli_runner().invoke(args=["workflow", "migrate", "admission", "--from", "1",
                                                          "--to", "7", "--dry-run"])
    assert result.exit_code != 0 and "no version 7" in result.output
    result = migrating_app.test_cli_runner().invoke(args=["workflow", "migrate", "admission", "--from", "2",
                                                          "--to", "1", "--dry-run"])
    assert result.exit_code != 0 and "There is no plan to move admission from version 2 to 1" in result.output


def test_check_reads_the_migration_plans_too(migrating_app, tmp_path):
    result = migrating_app.test_cli_runner().invoke(args=["workflow", "check"])
    assert result.exit_code == 0, result.output
    assert "ok  admission migration 1 → 2 (" in result.output
    plans = tmp_path / "workflows" / "admission" / "migrations"
    (plans / "1-to-2.yaml").write_text("from: 1\nto: 2\nstates: {in_course: limbo}\n", encoding="utf-8")
    result = migrating_app.test_cli_runner().invoke(args=["workflow", "check"])
    assert result.exit_code != 0 and "1-to-2.yaml: states.in_course.to: unknown state limbo" in result.output
    (plans / "1-to-2.yaml").unlink()
    (plans / "1-to-5.yaml").write_text("from: 1\nto: 5\n", encoding="utf-8")
    result = migrating_app.test_cli_runner().invoke(args=["workflow", "check"])
    assert result.exit_code != 0 and "1-to-5.yaml: file: admission has no version 5" in result.output
