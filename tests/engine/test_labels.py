"""Everything a person reads about a workflow comes from its definition, in Vietnamese and English: its
states, steps, key dates and the values of its choice fields (``choices:``)."""

from __future__ import annotations

import pytest

from casework.engine.definition import load_workflow
from casework.engine.errors import DefinitionError
from tests.engine.test_definition import _original, _write


def test_every_choice_every_definition_offers_has_both_labels(engine):
    for wf in engine.definitions():
        offered = {c for t in wf.transitions for f in t.fields for c in f.choices}
        unlabelled = sorted(offered - set(wf.choice_labels))
        assert not unlabelled, f"{wf.file}: no label under choices: for {unlabelled}"
        for value, label in wf.choice_labels.items():
            assert label.get("vi") and label.get("en"), (wf.file, value)
        for state in wf.states.values():
            assert state.label.get("vi") and state.label.get("en"), (wf.file, state.name)
        for t in wf.transitions:
            assert t.label.get("vi") and t.label.get("en"), (wf.file, t.trigger)


def test_a_label_for_a_value_no_field_offers_is_refused(tmp_path):
    raw = _original()
    raw["choices"]["maybe"] = {"vi": "Có thể", "en": "Maybe"}
    with pytest.raises(DefinitionError, match="choices.maybe"):
        load_workflow(_write(tmp_path, raw))


def test_a_vote_naming_a_field_the_step_lacks_is_refused(tmp_path):
    raw = _original()
    next(t for t in raw["transitions"] if t["trigger"] == "record_cell_vote")["vote"]["counted"] = "members"
    with pytest.raises(DefinitionError, match="vote.counted"):
        load_workflow(_write(tmp_path, raw))


def test_only_a_terminal_state_can_be_the_goal(tmp_path):
    raw = _original()
    raw["states"]["probation"]["goal"] = True
    with pytest.raises(DefinitionError, match="goal"):
        load_workflow(_write(tmp_path, raw))


def test_a_task_view_other_than_case_or_task_is_refused(tmp_path):
    raw = _original()
    raw["states"]["verification"]["tasks"][0]["view"] = "dossier"
    with pytest.raises(DefinitionError, match="view"):
        load_workflow(_write(tmp_path, raw))
