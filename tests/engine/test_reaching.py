"""Which key dates a case has in each state, worked out from the definition's graph (casework.engine.reaching):
required when every path to the state records them, possible when some path can, and in the order the steps
record them — for both versions of admission and for a made-up graph with a branch and a step that stays."""

from __future__ import annotations

import pytest

from casework.engine.definition import ActorDef, DateDef, Destination, FieldDef, StateDef, TransitionDef, WorkflowDef
from casework.engine.importing import import_columns
from casework.engine.reaching import dates_by_state, recorded_dates


@pytest.fixture(scope="module")
def v1(workflows):
    return workflows["admission"][1]


@pytest.fixture(scope="module")
def v2(workflows):
    return workflows["admission"][2]


def test_a_date_is_required_once_every_path_has_recorded_it(v1):
    dates = dates_by_state(v1)
    assert dates.required["referred"] == ("referral_date",)
    assert dates.required["in_course"] == ("referral_date",)  # the certificate comes with leaving the course
    assert dates.required["dossier"] == ("referral_date", "certificate_date")
    # The cell's vote leads to either review: its date is required in both.
    assert dates.required["grassroots_review"] == dates.required["authority_review"] == (
        "referral_date", "certificate_date", "cell_vote_date")
    # The ceremony's step records its date and, by its effect, the end of probation.
    assert dates.required["probation"] == ("referral_date", "certificate_date", "cell_vote_date", "decision_date",
                                           "ceremony_date", "probation_ends")


def test_a_date_is_possible_where_some_path_may_have_recorded_it(v1):
    dates = dates_by_state(v1)
    assert "recognition_proposed_on" not in dates.required["recognition_review"]
    assert "recognition_proposed_on" in dates.possible["recognition_review"]  # its votes stay in the state
    assert "certificate_date" not in dates.possible["sympathiser"]
    assert "ceremony_date" not in dates.possible["admitted"]


def test_version_2_requires_what_its_new_steps_record(v2):
    dates = dates_by_state(v2)
    assert "verification_completed_on" not in dates.required["verification"]
    assert "verification_completed_on" in dates.required["cell_review"]
    # The grassroots resolution is on one branch only: possible, never required.
    assert "grassroots_resolution_date" in dates.possible["authority_review"]
    assert "grassroots_resolution_date" not in dates.required["authority_review"]
    assert {"decision_received_date", "party_age_from"} <= set(dates.required["probation"])


def test_dates_come_in_the_order_the_steps_record_them(v1, v2):
    order = set(dates_by_state(v1).order)
    assert {("referral_date", "certificate_date"), ("certificate_date", "cell_vote_date"),
            ("cell_vote_date", "decision_date"), ("decision_date", "ceremony_date"),
            ("probation_ends", "recognition_proposed_on")} <= order
    # Recorded by the same step: neither comes before the other.
    assert ("ceremony_date", "probation_ends") not in order and ("probation_ends", "ceremony_date") not in order
    assert ("certificate_date", "referral_date") not in order
    v2_order = dates_by_state(v2)
    assert set(v2_order.earlier_than("cell_vote_date")) == {"referral_date", "certificate_date",
                                                           "verification_completed_on"}
    assert ("grassroots_resolution_date", "decision_date") not in v2_order.order  # not on every path


def _step(trigger, source, dest, *sets, stays=False):
    fields = tuple(FieldDef(name=f"{name}_field", type="date", sets=name) for name in sets)
    return TransitionDef(trigger=trigger, label={"vi": trigger, "en": trigger}, sources=(source,),
                         destinations=() if stays else (Destination(dest),),
                         actors=(ActorDef("cell_secretary", "owning_cell"),), fields=fields)


def test_a_made_up_graph_with_a_branch_and_a_step_that_stays():
    """start -a(opened)-> one -b(left_by_b)-> three; one -c-> two -d(closed)-> three; two records noted while
    staying."""
    names = ("opened", "left_by_b", "noted", "closed")
    states = {name: StateDef(name, {"vi": name, "en": name}, terminal=name == "end")
              for name in ("one", "two", "three", "end")}
    wf = WorkflowDef(name="made_up", version=1, label={"vi": "x", "en": "x"}, initial="one", start="a",
                     states=states, file="made_up.yaml",
                     dates={n: DateDef(n, {"vi": n, "en": n}) for n in names},
                     transitions=[_step("a", None, "one", "opened"), _step("b", "one", "three", "left_by_b"),
                                  _step("c", "one", "two"), _step("note", "two", None, "noted", stays=True),
                                  _step("d", "two", "three", "closed"), _step("e", "three", "end")])
    dates = dates_by_state(wf)
    assert dates.required == {"one": ("opened",), "two": ("opened",), "three": ("opened",),
                              "end": ("opened",)}
    assert set(dates.possible["two"]) == {"opened", "noted"}
    assert set(dates.possible["three"]) == {"opened", "left_by_b", "noted", "closed"}
    assert set(dates.order) == {("opened", "left_by_b"), ("opened", "noted"), ("opened", "closed")}
    assert recorded_dates(wf, wf.transitions[3]) == frozenset({"noted"})


def test_each_version_has_its_own_template_columns(v1, v2):
    first, second = [c.name for c in import_columns(v1)], [c.name for c in import_columns(v2)]
    assert first[:3] == second[:3] == ["state", "stage", "owning_cell"]
    assert "verification_completed_on" in second and "verification_completed_on" not in first
    assert "readmission" in second and "readmission" not in first  # version 2's start step asks more
    assert first.count("referral_date") == 1  # recorded by the start step: one column, the field's


def test_no_definition_may_name_a_step_imported(tmp_path):
    """``imported`` is the engine's trigger for a case brought in from a spreadsheet, as ``migrate`` is for a move."""
    from casework.engine.definition import load_workflows
    from casework.engine.errors import DefinitionError
    from casework.engine.importing import IMPORT_TRIGGER
    from tests.engine.versions import original, transition, write

    raw = original()
    transition(raw, "withdraw")["trigger"] = IMPORT_TRIGGER
    write(tmp_path / "admission", "v1.yaml", raw)
    with pytest.raises(DefinitionError) as info:
        load_workflows(tmp_path)
    assert info.value.element == "transition imported" and "engine's own trigger" in info.value.problem
