"""Monitoring counts the cases of any workflow: a second, tiny workflow defined in a folder of its own (its
subject an enterprise, no package of monitoring figures) appears in the pipeline, the stays and the stuck cases
beside admission's, its states in the order its definition declares them; and what a definition says to
monitoring (``monitoring:``) is checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.engine import DefinitionError, Engine
from casework.engine.definition import load_workflow
from casework.engine.packages import PACKAGES, WorkflowPackage, register
from casework.engine.service import apply, start_case
from casework.models import Case, Unit
from casework.monitoring import exports, queries, summaries
from casework.monitoring.figures import known
from casework.monitoring.scope import Period, Scope
from config import PROJECT_ROOT
from tests.walk import Walker

ADMISSION = PROJECT_ROOT / "workflows" / "admission" / "v1.yaml"

TINY = """
name: tiny
version: 1
label: {vi: Thử, en: Tiny}
initial: drafted
start: open_tiny
states:
  drafted:
    label: {vi: Nháp, en: Drafted}
    tasks:
      - {kind: step, role: cell_secretary, routing: owning_cell, due: {working_days: referral_review_working_days}}
  reviewed:
    label: {vi: Đã xem, en: Reviewed}
    tasks:
      - {kind: step, role: cell_secretary, routing: owning_cell, due: {working_days: referral_review_working_days}}
  closed:
    label: {vi: Đóng, en: Closed}
    terminal: true
transitions:
  - trigger: open_tiny
    label: {vi: Mở, en: Open}
    from: null
    to: drafted
    actors: [{role: cell_secretary, routing: owning_cell}]
    fields:
      - {name: enterprise, type: unit, unit_kinds: [enterprise], label: {vi: Doanh nghiệp, en: Enterprise}}
  - trigger: review
    label: {vi: Xem, en: Review}
    from: drafted
    to: reviewed
    actors: [{role: cell_secretary, routing: owning_cell}]
  - trigger: close
    label: {vi: Đóng, en: Close}
    from: reviewed
    to: closed
    actors: [{role: cell_secretary, routing: owning_cell}]
"""


def _open_tiny(session, wf, values, today, now) -> Case:
    """The tiny workflow's subject is the enterprise itself (not a table of its own)."""
    enterprise = session.get(Unit, values["enterprise"])
    return Case(workflow=wf.name, workflow_version=wf.version, subject_id=enterprise.id,
                subject_key=f"tiny-{enterprise.id}", title=enterprise.name, state=wf.initial, stage=None,
                state_seq=1, source="party_member", owning_cell_id=enterprise.assigned_cell_id, opened_on=today,
                facts={}, dates={}, created_at=now, updated_at=now, state_entered_at=now)


@pytest.fixture
def both(tmp_path, clock) -> Engine:
    """Admission and the tiny workflow, each in its folder."""
    root = tmp_path / "workflows"
    for name, text in (("admission", ADMISSION.read_text(encoding="utf-8")), ("tiny", TINY)):
        (root / name).mkdir(parents=True)
        (root / name / "v1.yaml").write_text(text, encoding="utf-8")
    register(WorkflowPackage(name="tiny", open_case=_open_tiny))
    yield Engine.from_directory(root, clock=clock)
    PACKAGES.pop("tiny", None)


def _tiny_case(session, engine, org) -> Case:
    user = org.users["cell_secretary"]
    case = start_case(session=session, engine=engine, user=user, data={"enterprise": org.enterprise.id},
                      workflow="tiny")
    return apply(session=session, engine=engine, case=case, trigger="review", user=user, data={},
                 expected_version=case.version)


def test_a_case_of_another_workflow_counts_in_the_pipeline_stays_and_stuck_cases(session, both, org, clock):
    Walker(session, both, org).to("sympathiser")
    clock.advance(days=3)
    tiny = _tiny_case(session, both, org)
    session.commit()
    workflows = known(both)
    year = Period.year(both.today().year)
    for scope in (Scope.of(session, org.province.id), Scope.of(session, org.cell.id)):  # tallies, then cases
        data = queries.pipeline(session, scope=scope, period=year, workflows=workflows)
        assert data["by_state"] == {"sympathiser": 1, "reviewed": 1}, scope
        assert data["states"] == ["sympathiser", "reviewed"]  # admission's states first, as declared
        assert data["business_owners"] == {} and data["total"] == 2
        assert queries.pipeline(session, scope=scope, period=year, workflow="tiny")["by_state"] == {"reviewed": 1}
        assert queries.stay_counts(session, scope, year, by=("state", "next_state")) == {
            ("referred", "sympathiser"): 1, ("drafted", "reviewed"): 1}
    stuck = queries.stuck_cases(session, scope=Scope.of(session, org.province.id), today=both.today(),
                                workflows=workflows)
    assert {(r["case_id"], r["state"], r["title"]) for r in stuck} >= {(tiny.id, "reviewed", org.enterprise.name)}
    durations = queries.step_durations(session, scope=Scope.of(session, org.province.id), period=year,
                                       workflows=workflows)
    assert list(durations) == ["referred", "drafted"]
    assert summaries.check(session.connection()) == []  # the tallies agree with the history, tiny case included


def test_the_dashboard_tables_take_the_states_in_their_definitions_order(session, both, org):
    _tiny_case(session, both, org)
    Walker(session, both, org)
    session.commit()
    report = exports.Report(session, Scope.of(session, org.province.id), Period.year(both.today().year),
                            both.today(), known(both))
    header, rows = exports.dashboard_tables(report, exports.dashboard_figures(report, ["pipeline"]))["pipeline"]
    assert header == ["unit", "referred", "reviewed", "total"]


# --- What a definition says to monitoring, checked at load ---------------------------------------------------


def _with_monitoring(tmp_path: Path, section: str) -> Path:
    text = ADMISSION.read_text(encoding="utf-8")
    start = text.index("\nmonitoring:\n")
    end = text.index("\ndates:\n")
    path = tmp_path / "v1.yaml"
    path.write_text(text[:start] + "\n" + section + text[end:], encoding="utf-8")
    return path


def test_admissions_monitoring_section_is_read():
    monitoring = load_workflow(ADMISSION).monitoring
    assert (monitoring.main_line_until, monitoring.waiting_by_design, monitoring.replies, monitoring.referred_on) \
        == ("admitted", ("probation",), ("confirm_background",), "referral_date")
    assert load_workflow(ADMISSION).main_line[0] == "referred"


@pytest.mark.parametrize(("section", "element", "words"), [
    ("monitoring:\n  waiting_by_design: [asleep]\n", "monitoring.waiting_by_design", "no state 'asleep'"),
    ("monitoring:\n  main_line_until: declined\n", "monitoring.main_line_until", "not an open state"),
    ("monitoring:\n  replies: [reply_somehow]\n", "monitoring.replies", "no task kind 'reply_somehow'"),
    ("monitoring:\n  referred_on: some_day\n", "monitoring.referred_on", "not a declared date"),
    ("monitoring:\n  replies: confirm_background\n", "monitoring.replies", "a list of names"),
    ("monitoring:\n  main_line: [referred]\n", "monitoring", "main_line"),
])
def test_a_monitoring_section_naming_what_the_definition_lacks_is_refused(tmp_path, section, element, words):
    with pytest.raises(DefinitionError) as info:
        load_workflow(_with_monitoring(tmp_path, section))
    assert info.value.element == element and words in str(info.value)


def test_a_definition_without_a_monitoring_section_has_no_main_line(tmp_path):
    wf = load_workflow(_with_monitoring(tmp_path, ""))
    assert (wf.main_line, wf.monitoring.waiting_by_design, wf.monitoring.replies) == ((), (), ())
