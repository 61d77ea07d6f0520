"""Several versions of a workflow side by side: each in its folder, the current one chosen by its effective
date, each case staying on the version it started under, and what changed between two versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.engine import DefinitionError, Engine, NotFound
from casework.engine.definition import load_workflows
from casework.engine.diff import describe, diff_workflows
from casework.engine.service import apply, available_actions, start_case
from tests.engine.versions import V1, V2_FROM, original, two_versions, version_2, write
from tests.walk import Walker, referral


@pytest.fixture
def versioned(tmp_path, clock) -> Engine:
    return Engine.from_directory(two_versions(tmp_path / "workflows"), clock=clock)


# --- Loading --------------------------------------------------------------------------------------------------


def test_both_versions_load_side_by_side(versioned):
    v1, v2 = versioned.workflow("admission", 1), versioned.workflow("admission", 2)
    assert (v1.version, v1.effective_from) == (1, None)
    assert (v2.version, v2.effective_from) == (2, V2_FROM)
    assert "return_referral" in v2.triggers() and "return_referral" not in v1.triggers()
    assert [wf.version for wf in versioned.definitions()] == [1, 2]
    with pytest.raises(NotFound, match="no version 3"):
        versioned.workflow("admission", 3)


def test_the_current_version_switches_on_its_effective_day(versioned, clock):
    clock.set_day(V2_FROM - timedelta(days=1))
    assert versioned.workflow("admission").version == 1
    clock.set_day(V2_FROM)
    assert versioned.workflow("admission").version == 2


def test_other_files_in_a_workflow_folder_are_not_definitions(tmp_path):
    root = two_versions(tmp_path)
    write(root / "admission", "README.md", "# notes\n")
    write(root / "admission", "plan-1-to-2.yaml", "not: a definition\n")
    write(root / "admission" / "admission_steps", "__init__.py", "")
    assert list(load_workflows(root)["admission"]) == [1, 2]


def test_a_definition_left_in_the_top_folder_is_refused(tmp_path):
    root = two_versions(tmp_path)
    stray = write(root, "admission.yaml", original())
    error = _refused(root, "file", "admission/v1.yaml")
    assert error.file == str(stray)


def _refused(root, element: str, words: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        load_workflows(root)
    assert info.value.element == element and words in info.value.problem, info.value
    return info.value


def test_versions_must_count_from_one_without_a_gap(tmp_path):
    folder = tmp_path / "admission"
    write(folder, "v1.yaml", original())
    write(folder, "v3.yaml", {**version_2(), "version": 3})
    error = _refused(tmp_path, "version", "no gap")
    assert error.file == str(folder / "v2.yaml")


def test_the_first_version_must_be_1(tmp_path):
    write(tmp_path / "admission", "v2.yaml", version_2())
    _refused(tmp_path, "version", "no gap")


def test_two_files_may_not_give_the_same_version(tmp_path):
    folder = tmp_path / "admission"
    write(folder, "v1.yaml", original())
    write(folder, "v01.yaml", original())
    error = _refused(tmp_path, "version", "already defined")
    assert error.file == str(folder / "v1.yaml") and "v01.yaml" in error.problem


def test_the_file_name_and_the_version_inside_must_agree(tmp_path):
    folder = tmp_path / "admission"
    write(folder, "v1.yaml", original())
    path = write(folder, "v2.yaml", {**version_2(), "version": 3})
    error = _refused(tmp_path, "version", "says 3, but the file name says 2")
    assert error.file == str(path)


def test_the_folder_names_the_workflow(tmp_path):
    path = write(tmp_path / "admissions", "v1.yaml", original())
    error = _refused(tmp_path, "name", "the folder is admissions")
    assert error.file == str(path)


@pytest.mark.parametrize("value", ["soon", "2026-13-01", 20260101, True])
def test_effective_from_must_be_a_date(tmp_path, value):
    path = write(tmp_path / "admission", "v1.yaml", {**original(), "effective_from": value})
    error = _refused(tmp_path, "effective_from", "must be a date")
    assert error.file == str(path)


def test_a_quoted_iso_date_is_a_date(tmp_path):
    write(tmp_path / "admission", "v1.yaml", {**original(), "effective_from": "2026-01-01"})
    assert load_workflows(tmp_path)["admission"][1].effective_from.isoformat() == "2026-01-01"


def test_a_later_version_may_not_take_effect_before_an_earlier_one(tmp_path):
    folder = tmp_path / "admission"
    write(folder, "v1.yaml", {**original(), "effective_from": V2_FROM + timedelta(days=1)})
    write(folder, "v2.yaml", version_2())
    _refused(tmp_path, "effective_from", "is before version 1")


def test_the_version_must_be_a_whole_number(tmp_path):
    write(tmp_path / "admission", "v1.yaml", {**original(), "version": "one"})
    _refused(tmp_path, "version", "whole number")


def test_no_version_in_effect_yet_is_said(tmp_path, clock):
    write(tmp_path / "admission", "v1.yaml", {**original(), "effective_from": V2_FROM})
    engine = Engine.from_directory(tmp_path, clock=clock)
    with pytest.raises(NotFound, match="in effect"):
        engine.workflow("admission")


# --- A case keeps its version ---------------------------------------------------------------------------------


def _triggers(session, engine, case, user) -> list[str]:
    return [a.transition.trigger for a in available_actions(session=session, engine=engine, case=case, user=user)]


def test_a_case_opened_under_v1_continues_on_v1_after_v2_takes_effect(session, versioned, org, clock):
    secretary = org.users["cell_secretary"]
    old = start_case(workflow="admission", session=session, engine=versioned, user=org.users["union_officer"],
                     data=referral(org))
    assert old.workflow_version == 1 and old.events[0].changes["workflow_version"] == 1

    clock.set_day(V2_FROM)
    new = start_case(workflow="admission", session=session, engine=versioned, user=org.users["union_officer"],
                     data=referral(org))
    assert new.workflow_version == 2 and new.events[0].changes["workflow_version"] == 2
    assert versioned.definition_of(old).version == 1 and versioned.definition_of(new).version == 2

    assert "return_referral" not in _triggers(session, versioned, old, secretary)
    assert "return_referral" in _triggers(session, versioned, new, secretary)
    with pytest.raises(NotFound):
        apply(session=session, engine=versioned, case=old, trigger="return_referral", user=secretary,
              data={"reason": "trả lại"}, expected_version=old.version)
    apply(session=session, engine=versioned, case=new, trigger="return_referral", user=secretary,
          data={"reason": "trả lại"}, expected_version=new.version)
    assert new.state == "declined"

    # The old case walks on through v1's steps, v1's course form (with its start date) included.
    walker = Walker(session, versioned, org, case=old)
    assert walker.to("in_course").state == "in_course" and old.workflow_version == 1
    enrol = next(t for t in versioned.definition_of(old).transitions if t.trigger == "enrol_course")
    assert enrol.field("course_start") is not None


# --- Diff ---------------------------------------------------------------------------------------------------------


def _by_name(elements):
    return {e.name: e for e in elements}


def test_the_diff_names_every_known_change(versioned):
    diff = diff_workflows(versioned.workflow("admission", 1), versioned.workflow("admission", 2))
    assert [(c.aspect, c.old, c.new) for c in diff.workflow_changes] == [("effective_from", None, "2026-12-01")]
    states = _by_name(diff.states)
    assert list(states) == ["sympathiser"] and states["sympathiser"].status == "changed"
    assert [c.aspect for c in states["sympathiser"].changes] == ["label"]
    transitions = _by_name(diff.transitions)
    assert transitions["return_referral"].status == "added"
    assert transitions["enrol_course"].status == "changed"
    assert [(c.aspect, c.old, c.new) for c in transitions["enrol_course"].changes] == [
        ("fields", ["course", "course_mode", "course_start"], ["course", "course_mode"])]
    assert set(transitions) == {"return_referral", "enrol_course"}
    fields = _by_name(diff.fields)
    assert {name: e.status for name, e in fields.items()} == {
        "decline_referral.reason": "changed", "enrol_course.course_start": "removed",
        "return_referral.reason": "added"}
    assert [(c.aspect, c.old, c.new) for c in fields["decline_referral.reason"].changes] == [
        ("required", True, False)]


def test_the_diff_reads_as_text_and_back_to_front(versioned):
    v1, v2 = versioned.workflow("admission", 1), versioned.workflow("admission", 2)
    text = describe(diff_workflows(v1, v2))
    assert text.splitlines()[0] == "admission: version 1 → 2"
    assert "  + return_referral (added)" in text and "  - enrol_course.course_start (removed)" in text
    assert "      required: True → False" in text
    backwards = diff_workflows(v2, v1)
    assert _by_name(backwards.transitions)["return_referral"].status == "removed"
    assert describe(diff_workflows(v1, v1)).endswith("no changes")


def test_the_project_workflows_have_their_versions_in_their_folders(workflows):
    assert sorted(workflows) == ["admission", "founding"]
    assert list(workflows["admission"]) == [1, 2] and list(workflows["founding"]) == [1]
    assert workflows["admission"][1].file == str(V1)
    assert workflows["admission"][2].file == str(V1.with_name("v2.yaml"))
    assert workflows["admission"][2].effective_from == date(2027, 1, 1)
