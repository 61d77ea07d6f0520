"""`casework workflow check|show` across the versions of a workflow."""

from __future__ import annotations

import pytest

from casework.engine import Engine
from tests.engine.versions import V2_FROM, two_versions


@pytest.fixture
def versioned_app(app, tmp_path, clock):
    root = two_versions(tmp_path / "workflows")
    app.config["WORKFLOWS_DIR"] = str(root)
    app.extensions["casework_engine"] = Engine.from_directory(root, clock=clock)
    return app


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["workflow", *args])


def test_check_lists_every_version(versioned_app):
    result = _run(versioned_app, "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ok  admission v1: 16 states") and "effective" not in lines[0]
    assert lines[1].startswith("ok  admission v2: 16 states") and "effective from 2026-12-01" in lines[1]


def test_check_names_the_file_of_a_bad_version(versioned_app, tmp_path):
    (tmp_path / "workflows" / "admission" / "v4.yaml").write_text("name: admission\n", encoding="utf-8")
    result = _run(versioned_app, "check")
    assert result.exit_code != 0 and "v4.yaml" in result.output


def test_show_gives_the_current_version_or_the_one_asked_for(versioned_app, clock):
    assert _run(versioned_app, "show", "admission").output.startswith("admission v1 — ")
    shown = _run(versioned_app, "show", "admission", "--version", "2").output
    assert shown.startswith("admission v2 (effective from 2026-12-01) — ") and "return_referral: referred" in shown
    clock.set_day(V2_FROM)
    assert _run(versioned_app, "show", "admission").output.startswith("admission v2 ")
    result = _run(versioned_app, "show", "admission", "--version", "9")
    assert result.exit_code != 0 and "no version 9" in result.output
    assert _run(versioned_app, "show", "nothing").exit_code != 0
