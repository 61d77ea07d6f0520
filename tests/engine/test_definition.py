"""Workflow definitions load and validate at start; a malformed one names the file, the element and why."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from casework.engine import DefinitionError, Engine, Rules
from casework.engine.definition import load_workflow, load_workflows
from config import PROJECT_ROOT

ADMISSION = PROJECT_ROOT / "workflows" / "admission" / "v1.yaml"


def _original() -> dict:
    return yaml.safe_load(ADMISSION.read_text(encoding="utf-8"))


def _transition(raw: dict, trigger: str) -> dict:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


def _write(tmp_path: Path, raw: dict | str) -> Path:
    path = tmp_path / "admission.yaml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_admission_workflow_loads_with_the_documented_identifiers(workflows):
    wf = workflows["admission"][1]
    assert wf.initial == "referred" and wf.start == "refer"
    assert {"official_member", "declined", "rejected", "withdrawn", "removed"} == {
        name for name, s in wf.states.items() if s.terminal}
    assert {"refer", "accept_referral", "request_verification", "confirm_background", "record_cell_vote",
            "record_grassroots_resolution", "decide_admission", "hold_ceremony", "start_recognition",
            "record_recognition_vote", "decide_recognition", "decide_removal", "withdraw"} <= set(wf.triggers())
    assert wf.machine is not None


def test_a_faithful_copy_loads(tmp_path):
    wf = load_workflow(_write(tmp_path, _original()))
    assert wf.file == str(tmp_path / "admission.yaml") and len(wf.states) == 16


def _unknown_state(raw):
    _transition(raw, "accept_referral")["to"] = "nowhere"


def _unreachable_state(raw):
    raw["states"]["limbo"] = {"label": {"vi": "Lấp lửng", "en": "Limbo"}, "terminal": True}


def _dead_end(raw):
    open_states = [name for name, s in raw["states"].items() if not s.get("terminal")]
    _transition(raw, "withdraw")["from"] = open_states  # `*open` would give the new state a way out
    raw["states"]["parked"] = {"label": {"vi": "Tạm dừng", "en": "Parked"}}
    raw["transitions"].append({"trigger": "park", "label": {"vi": "Tạm dừng", "en": "Park"}, "from": "referred",
                               "to": "parked", "actors": [{"role": "cell_secretary", "routing": "owning_cell"}]})


def _unknown_guard(raw):
    _transition(raw, "accept_referral")["guards"].append("candidate_is_lucky")


def _unknown_role(raw):
    _transition(raw, "decline_referral")["actors"] = [{"role": "mayor", "routing": "owning_cell"}]


def _unknown_routing(raw):
    _transition(raw, "decline_referral")["actors"] = [{"role": "cell_secretary", "routing": "village_elder"}]


def _unknown_task_routing(raw):
    raw["states"]["verification"]["tasks"][0]["routing"] = ["residence_committee", "neighbours"]


def _unknown_rule(raw):
    raw["states"]["referred"]["tasks"][0]["due"] = {"working_days": "tea_break_working_days"}


def _unknown_field_type(raw):
    _transition(raw, "decline_referral")["fields"][0]["type"] = "colour"


def _missing_label_language(raw):
    del raw["states"]["dossier"]["label"]["en"]


def _missing_field_label_language(raw):
    del _transition(raw, "enrol_course")["fields"][1]["label"]["vi"]


def _unknown_effect(raw):
    _transition(raw, "hold_ceremony")["effects"] = ["start_probation", "throw_party"]


def _unknown_source(raw):
    _transition(raw, "enrol_course")["from"] = "sympatiser"


def _leaves_terminal_state(raw):
    _transition(raw, "enrol_course")["from"] = ["sympathiser", "declined"]


def _guard_date_unknown(raw):
    _transition(raw, "record_cell_vote")["guards"][3] = {"name": "age_within_limits", "as_of": "birthday_party"}


def _shadowed_case_date(raw):
    # Without the mapping, the recognition decision's date would overwrite the admission decision date.
    del _transition(raw, "decide_recognition")["field_sets"]


def _undeclared_due_date(raw):
    raw["states"]["admitted"]["tasks"][0]["due"]["from"] = "wedding_date"


def _undeclared_set_date(raw):
    del raw["dates"]["ceremony_date"]


def _undeclared_effect_date(raw):
    del raw["dates"]["recognition_proposed_on"]


def _date_without_label(raw):
    raw["dates"]["referral_date"] = {"label": {"vi": "Ngày được giới thiệu"}}


def _stray_label_key(raw):
    # What YAML makes of `{vi: Thẩm tra, lấy ý kiến, en: …}`: the comma splits the Vietnamese label.
    raw["states"]["verification"]["label"] = {"vi": "Thẩm tra", "lấy ý kiến": None, "en": "Verification"}


MALFORMED: list[tuple[Callable[[dict], None], str, str]] = [
    (_unknown_state, "transition accept_referral", "unknown state nowhere"),
    (_unreachable_state, "state limbo", "unreachable"),
    (_dead_end, "state parked", "dead end"),
    (_unknown_guard, "transition accept_referral", "unknown guard candidate_is_lucky"),
    (_unknown_role, "transition decline_referral", "unknown role mayor"),
    (_unknown_routing, "transition decline_referral", "unknown routing target village_elder"),
    (_unknown_task_routing, "state verification.tasks[0]", "unknown routing target neighbours"),
    (_unknown_rule, "state referred.tasks[0].due", "unknown rule tea_break_working_days"),
    (_unknown_field_type, "transition decline_referral field reason", "unknown field type colour"),
    (_missing_label_language, "state dossier.label", "missing en"),
    (_missing_field_label_language, "transition enrol_course.fields[1] course_mode.label", "missing vi"),
    (_unknown_effect, "transition hold_ceremony", "unknown effect throw_party"),
    (_unknown_source, "transition enrol_course", "unknown state sympatiser"),
    (_leaves_terminal_state, "transition enrol_course", "leaves the terminal state declined"),
    (_guard_date_unknown, "transition record_cell_vote", "unknown date birthday_party"),
    (_shadowed_case_date, "transition decide_recognition (stage authority_decision) field decision_date",
     "shadows the case date decision_date"),
    (_stray_label_key, "state verification.label", "unknown key(s): lấy ý kiến"),
    (_undeclared_due_date, "state admitted.tasks[0].due.from", "unknown date wedding_date"),
    (_undeclared_set_date, "transition hold_ceremony field ceremony_date",
     "sets names no key date declared under dates: ceremony_date"),
    (_undeclared_effect_date, "transition record_recognition_vote (stage cell_vote) effect tally_recognition_vote",
     "unknown date recognition_proposed_on"),
    (_date_without_label, "date referral_date.label", "missing en"),
]


@pytest.mark.parametrize(("mutate", "element", "problem"), MALFORMED, ids=[m[0].__name__.strip("_") for m in MALFORMED])
def test_a_malformed_definition_names_file_element_and_problem(tmp_path, mutate, element, problem):
    raw = _original()
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(DefinitionError) as info:
        load_workflow(path)
    error = info.value
    assert error.file == str(path)
    assert error.element == element
    assert problem in error.problem
    assert str(path) in str(error) and element in str(error)


def test_invalid_yaml_names_the_file(tmp_path):
    text = ADMISSION.read_text(encoding="utf-8").replace("states:\n", "states: [unclosed\n", 1)
    path = _write(tmp_path, text)
    with pytest.raises(DefinitionError) as info:
        load_workflow(path)
    assert info.value.file == str(path) and info.value.element == "file"
    assert "not valid YAML" in info.value.problem


def test_a_definition_must_be_a_mapping_with_every_section(tmp_path):
    with pytest.raises(DefinitionError, match="must be a mapping"):
        load_workflow(_write(tmp_path, "- just a list\n"))
    raw = _original()
    del raw["initial"]
    with pytest.raises(DefinitionError, match="missing initial"):
        load_workflow(_write(tmp_path, raw))


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(DefinitionError) as info:
        load_workflows(tmp_path / "nope")
    assert info.value.file == str(tmp_path / "nope")


# --- Rules -------------------------------------------------------------------------------------------------


def test_rules_default_to_the_domain_document():
    rules = Rules()
    assert (rules.min_age, rules.max_age, rules.certificate_validity_months, rules.vote_fraction) == (
        18, 60, 60, Fraction(2, 3))
    assert rules.admission_decision_working_days == 60 and rules.verification_reply_working_days == 20


def test_rules_can_be_overridden():
    rules = Rules.from_mapping({"verification_reply_working_days": 15, "vote_fraction": "3/4", "max_age": 65})
    assert rules.verification_reply_working_days == 15 and rules.max_age == 65
    assert rules.vote_fraction == Fraction(3, 4)
    assert Rules.from_mapping(None) == Rules()


def test_rules_refuse_unknown_names():
    """A name no package registers is refused once the packages are loaded (they register their own rules)."""
    rules = Rules.from_mapping({"tea_break_days": 3})
    with pytest.raises(ValueError, match="unknown rule.*tea_break_days"):
        Engine.from_directory(PROJECT_ROOT / "workflows", rules)


@pytest.mark.parametrize(("name", "value"), [
    ("max_age", -1), ("max_age", "60"), ("max_age", True), ("max_age", 60.5), ("max_age", None),
    ("vote_fraction", "two thirds"), ("vote_fraction", "3/2"), ("vote_fraction", 0), ("vote_fraction", True),
])
def test_rules_refuse_bad_values(name, value):
    with pytest.raises(ValueError, match=name):
        Rules.from_mapping({name: value})


@pytest.mark.parametrize("key, value, problem", [
    ("waived_by", "consent", "waived_by: consent is not a field of this step"),
    ("extension_field", "why", "extension_field: why is not a field of this step"),
    ("otherwise", "someday", "unknown date someday"),
])
def test_a_deadline_flag_naming_what_the_step_or_case_lacks_is_refused(tmp_path, key, value, problem):
    raw = _original()
    _transition(raw, "hold_ceremony")["flags"][0][key] = value
    with pytest.raises(DefinitionError, match=problem):
        load_workflow(_write(tmp_path, raw))
