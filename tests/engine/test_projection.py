"""The case row is a projection of its history: later steps never overwrite an earlier step's key dates."""

from datetime import date

import pytest

from casework.engine.definition import load_workflow
from casework.engine.errors import DefinitionError
from casework.engine.projection import replay, snapshot
from config import PROJECT_ROOT
from tests.walk import Walker


def test_the_recognition_decision_keeps_the_admission_decision_date(session, engine, org, clock):
    walker = Walker(session, engine, org)
    walker.to("admitted")
    admitted_on = walker.case.decision_date
    admission_number = walker.case.facts["decision_number"]
    walker.to("recognition_review", stage="authority_decision")
    clock.advance(days=10)  # the decision comes after the end of probation
    case = walker.to("official_member")
    assert case.decision_date == admitted_on
    assert case.facts["decision_number"] == admission_number
    decided_on = date.fromisoformat(case.facts["recognition_decision_date"])
    assert decided_on == case.probation_ends.fromordinal(case.probation_ends.toordinal() + 10)
    assert case.official_since == case.probation_ends
    assert replay(case.events) == snapshot(case)


def test_a_field_shadowing_a_case_date_is_refused_at_load(tmp_path):
    text = (PROJECT_ROOT / "workflows" / "admission.yaml").read_text(encoding="utf-8")
    broken = text.replace("    field_sets: {decision_number: recognition_decision_number, "
                          "decision_date: recognition_decision_date}\n", "")
    assert broken != text
    path = tmp_path / "admission.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_workflow(path)
    assert caught.value.element == "transition decide_recognition (stage authority_decision) field decision_date"
    assert "shadows the case date decision_date" in caught.value.problem


def test_a_label_split_by_an_unquoted_comma_is_refused_at_load(tmp_path):
    text = (PROJECT_ROOT / "workflows" / "admission.yaml").read_text(encoding="utf-8")
    broken = text.replace('label: {vi: "Thẩm tra, lấy ý kiến"', "label: {vi: Thẩm tra, lấy ý kiến")
    assert broken != text
    path = tmp_path / "admission.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_workflow(path)
    assert caught.value.element == "state verification.label"
    assert "unknown key(s): lấy ý kiến" in caught.value.problem
