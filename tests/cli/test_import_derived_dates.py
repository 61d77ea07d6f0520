"""Dates only a step's effect produces (admission's end of probation, version 2's party age and decision
received) are worked out by the effects themselves from the dates the row gives; a typed one is accepted when
it matches, refused by line and column otherwise, and nothing is imported."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from casework.engine.calendar import add_months
from casework.extensions import db
from casework.models import Case
from tests.cli.test_import_cases import counts, person, run, write_csv

DONE = {"referral_date": "02/03/2025", "certificate_date": "15/06/2025", "cell_vote_date": "20/08/2025",
        "decision_date": "02/10/2025", "ceremony_date": "20/10/2025"}
V2 = {**DONE, "verification_completed_on": "01/08/2025"}


def report(app, path, *args) -> dict:
    return json.loads(run(app, path, "--dry-run", "--json", *args).output)


def problems(found: dict) -> set[tuple[int, str, str]]:
    return {(p["line"], p["column"], p["code"]) for p in found["problems"]}


def test_the_end_of_probation_is_worked_out_from_the_ceremony(app, org, tmp_path):
    rows = [person(org, "probation", **DONE)]
    result = run(app, write_csv(tmp_path / "p.csv", rows), "--by", "admin")
    assert result.exit_code == 0, result.output
    case = db.session.scalar(sa.select(Case))
    ends = add_months(date(2025, 10, 20), app.extensions["casework_engine"].rules.probation_months)
    assert case.date("probation_ends") == ends == date(2026, 10, 20)
    assert {t.due_date for t in case.tasks} == {ends}  # the state's tasks are due from it
    assert "probation_ends" not in case.events[0].data["source"]["values"]  # the row as typed
    assert case.events[0].changes["dates"]["probation_ends"] == "2026-10-20"  # the history replays it


def test_a_typed_end_of_probation_must_match_the_rule(app, org, tmp_path):
    """The same day is accepted; a day either side is refused, naming the date it should be."""
    rows = [person(org, "probation", probation_ends="20/10/2026", **DONE),
            person(org, "probation", probation_ends="21/10/2026", **DONE),
            person(org, "probation", probation_ends="19/10/2026", **DONE)]
    before = counts()
    found = json.loads(run(app, write_csv(tmp_path / "p.csv", rows), "--by", "admin", "--json").output)
    assert problems(found) == {(3, "probation_ends", "date_inconsistent"), (4, "probation_ends", "date_inconsistent")}
    line3 = found["problems"][0]
    assert line3["vi"] == ("Ngày hết dự bị (21/10/2026) không khớp với ngày tính theo quy định từ Ngày lễ kết nạp: "
                           "20/10/2026. Để trống cột này để hệ thống tự tính.")
    assert line3["en"] == ("End of probation (2026-10-21) does not match the date the rules give from Ceremony date: "
                           "2026-10-20. Leave the column blank to have it worked out.")
    assert counts() == before


def test_the_end_of_a_short_month_follows_the_calendar_rule(app, org, tmp_path):
    """A ceremony on 29 February 2024 ends probation on the last day of February 2025."""
    dates = {"referral_date": "02/01/2024", "certificate_date": "05/02/2024", "cell_vote_date": "10/02/2024",
             "decision_date": "20/02/2024", "ceremony_date": "29/02/2024"}
    rows = [person(org, "probation", probation_ends="28/02/2025", **dates),
            person(org, "probation", probation_ends="01/03/2025", **dates)]
    assert problems(report(app, write_csv(tmp_path / "m.csv", rows))) == {(3, "probation_ends", "date_inconsistent")}


def test_a_case_before_its_ceremony_has_no_end_of_probation(app, org, tmp_path):
    rows = [person(org, "admitted", **{k: v for k, v in DONE.items() if k != "ceremony_date"})]
    found = report(app, write_csv(tmp_path / "a.csv", rows))
    assert found["problems"] == [] and "probation_ends" not in found["cases"][0]["dates"]
    rows[0]["probation_ends"] = "20/10/2026"
    assert problems(report(app, write_csv(tmp_path / "a.csv", rows))) == {(2, "probation_ends", "date_not_reached")}


def test_version_2_works_out_party_age_and_the_decision_received(app, org, tmp_path):
    rows = [person(org, "probation", **V2),
            person(org, "probation", decision_received_date="06/10/2025", party_age_from="02/10/2025", **V2),
            person(org, "admitted", **{k: v for k, v in V2.items() if k != "ceremony_date"})]
    result = run(app, write_csv(tmp_path / "v2.csv", rows), "--version", "2", "--by", "admin")
    assert result.exit_code == 0, result.output
    derived, typed, admitted = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
    assert (derived.date("party_age_from"), derived.date("decision_received_date")) == (date(2025, 10, 2),) * 2
    assert derived.date("probation_ends") == date(2026, 10, 20)
    assert typed.date("decision_received_date") == date(2025, 10, 6)  # given on the ceremony step: kept
    assert admitted.date("party_age_from") == date(2025, 10, 2) and admitted.date("decision_received_date") is None


def test_version_2_refuses_a_party_age_other_than_the_decision(app, org, tmp_path):
    rows = [person(org, "admitted", party_age_from="03/10/2025",
                   **{k: v for k, v in V2.items() if k != "ceremony_date"})]
    found = report(app, write_csv(tmp_path / "v2.csv", rows), "--version", "2")
    assert problems(found) == {(2, "party_age_from", "date_inconsistent")}
    assert "Ngày quyết định kết nạp" in found["problems"][0]["vi"]


def test_a_date_an_effect_takes_from_the_day_it_runs_must_still_be_given(app, org, tmp_path):
    """Version 2's end of verification defaults to the day of the step: no row can say what that was."""
    rows = [person(org, "cell_review", certificate_date="15/06/2025", referral_date="02/03/2025")]
    found = report(app, write_csv(tmp_path / "v2.csv", rows), "--version", "2")
    assert problems(found) == {(2, "verification_completed_on", "date_required")}
