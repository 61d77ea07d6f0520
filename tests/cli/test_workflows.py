"""`casework workflow check|show|diff` across the versions of a workflow."""

from __future__ import annotations

import json

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


def test_diff_prints_what_changed(versioned_app):
    result = _run(versioned_app, "diff", "admission", "1", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["admission: version 1 → 2", "  ~ effective_from: — → 2026-12-01"]
    for line in ("States:", "  ~ sympathiser (changed)",
                 "      label: Sympathiser / Cảm tình Đảng → Sympathiser (listed) / Quần chúng cảm tình",
                 "Transitions:", "  + return_referral (added)", "  ~ enrol_course (changed)",
                 "      fields: course, course_mode, course_start → course, course_mode",
                 "Fields:", "  ~ decline_referral.reason (changed)", "      required: True → False",
                 "  - enrol_course.course_start (removed)", "  + return_referral.reason (added)"):
        assert line in result.output.splitlines(), line


def test_diff_as_json(versioned_app):
    result = _run(versioned_app, "diff", "admission", "1", "2", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["workflow"], body["old_version"], body["new_version"]) == ("admission", 1, 2)
    assert {(e["name"], e["status"]) for e in body["transitions"]} == {
        ("return_referral", "added"), ("enrol_course", "changed")}
    reason = next(e for e in body["fields"] if e["name"] == "decline_referral.reason")
    assert reason["changes"] == [{"aspect": "required", "old": True, "new": False}]
    assert body["states"][0]["changes"][0]["new"] == {"vi": "Quần chúng cảm tình", "en": "Sympathiser (listed)"}


def test_diff_refuses_an_unknown_version(versioned_app):
    result = _run(versioned_app, "diff", "admission", "1", "3")
    assert result.exit_code != 0 and "no version 3" in result.output
    assert _run(versioned_app, "diff", "admission", "0", "1").exit_code != 0
