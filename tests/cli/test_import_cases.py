"""`casework import cases FILE`: cases already in progress brought in from a spreadsheet — at several states with
the tasks of their state, every bad line named by line and column with nothing imported, a dry run that writes
nothing, an administrator named in the history, and cases that then move like any other."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from casework.engine.calendar import add_working_days
from casework.engine.importing import IMPORT_TRIGGER
from casework.engine.projection import replay, snapshot
from casework.extensions import db
from casework.models import Case, Event, Task, TaskStatus
from tests.walk import Walker
from workflows.admission.models import Candidate

_ids = iter(range(100, 10**6))


def person(org, state: str, **overrides) -> dict[str, str]:
    """One row of the file: a candidate of the enterprise, referred by its union, in ``state``."""
    row = {"state": state, "owning_cell": org.cell.code, "full_name": "Trần Văn Bình", "birth_date": "12/04/1998",
           "gender": "Nam", "national_id": f"001098{next(_ids):06d}", "residence_unit": org.area.code,
           "workplace_unit": org.enterprise.code, "source": "trade_union", "referring_org": org.trade_union.code,
           "referral_number": "12/NQ-CĐ", "referral_date": "02/03/2026"}
    row.update(overrides)
    return row


def a_good_file(org) -> list[dict[str, str]]:
    return [
        person(org, "sympathiser"),
        person(org, "Lập hồ sơ", certificate_date="2026-06-15"),  # the state's Vietnamese label
        person(org, "verification", certificate_date="15/06/2026"),
        person(org, "authority_review", certificate_date="15/06/2026", cell_vote_date="20/08/2026"),
        person(org, "admitted", owning_cell=org.direct_cell.code, workplace_unit=org.direct_enterprise.code,
               referring_org=org.direct_union.code, certificate_date="15/06/2026", cell_vote_date="20/08/2026",
               decision_date="02/11/2026"),
        person(org, "probation", referral_date="02/03/2025", certificate_date="15/06/2025", cell_vote_date="20/08/2025",
               decision_date="02/10/2025", ceremony_date="20/10/2025", probation_ends="20/10/2026"),
    ]


def write_csv(path, rows: list[dict[str, str]]):
    columns = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path, rows: list[dict[str, str]], dates_as_cells: bool = False):
    columns = list(dict.fromkeys(name for row in rows for name in row))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        values = []
        for name in columns:
            value = row.get(name, "")
            if dates_as_cells and name.endswith("date") and value and "/" in value:
                day, month, year = value.split("/")
                value = date(int(year), int(month), int(day))  # a real date cell
            values.append(value)
        sheet.append(values)
    workbook.save(path)
    return path


def run(app, *args):
    return app.test_cli_runner().invoke(args=["import", "cases", *map(str, args)])


def counts() -> dict[str, int]:
    found = {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
             for model in (Case, Event, Task, Candidate)}
    db.session.rollback()
    return found


def open_tasks(case: Case) -> list[tuple[str, str, int]]:
    return sorted((t.kind, t.role, t.unit_id) for t in case.tasks if t.status == TaskStatus.OPEN)


@pytest.mark.parametrize("write", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_a_good_file_imports_every_case_in_its_state_with_its_tasks(app, org, tmp_path, write):
    path = write(tmp_path / f"cases.{write.__name__[-4:].strip('_')}", a_good_file(org))
    result = run(app, path, "--by", "admin")
    assert result.exit_code == 0, result.output
    assert "imported 6 case(s)" in result.output
    cases = {c.state: c for c in db.session.scalars(sa.select(Case).order_by(Case.id))}
    assert list(cases) == ["sympathiser", "dossier", "verification", "authority_review", "admitted", "probation"]
    u = org.units
    assert open_tasks(cases["sympathiser"]) == [("step", "cell_secretary", u["cell"].id)]
    assert open_tasks(cases["dossier"]) == [("step", "cell_secretary", u["cell"].id)]
    # Verification: the residential committee's reply first; the secretary's step waits for it.
    assert open_tasks(cases["verification"]) == [("confirm_background", "residential_committee",
                                                  u["residential_cell"].id)]
    assert open_tasks(cases["authority_review"]) == [("appraise", "organizer", u["commune"].id)]
    admitted = cases["admitted"]
    assert (admitted.owning_cell_id, admitted.grassroots_unit_id, admitted.authority_unit_id) == (
        u["direct_cell"].id, None, u["commune"].id)
    # Due 30 working days from the decision, as entering the state makes it.
    assert [t.due_date for t in admitted.tasks] == [add_working_days(date(2026, 11, 2), 30)]
    probation = cases["probation"]
    assert open_tasks(probation) == [("record_new_member_course", "cell_secretary", u["cell"].id),
                                     ("step", "cell_secretary", u["cell"].id)]
    assert {t.due_date for t in probation.tasks} == {date(2026, 10, 20)}
    assert probation.dates == {"referral_date": "2025-03-02", "certificate_date": "2025-06-15",
                               "cell_vote_date": "2025-08-20", "decision_date": "2025-10-02",
                               "ceremony_date": "2025-10-20", "probation_ends": "2026-10-20"}
    assert probation.candidate.full_name == "Trần Văn Bình" and probation.candidate.gender == "male"
    assert probation.opened_on == date(2025, 3, 2) and probation.facts["referral_number"] == "12/NQ-CĐ"


def test_each_case_opens_with_an_imported_event_carrying_its_row_and_its_history_replays(app, org, tmp_path):
    path = write_xlsx(tmp_path / "cases.xlsx", a_good_file(org), dates_as_cells=True)
    assert run(app, path, "--by", "admin").exit_code == 0
    for case in db.session.scalars(sa.select(Case)):
        [event] = case.events
        assert (event.trigger, event.seq, event.from_state, event.to_state) == (IMPORT_TRIGGER, 1, None, case.state)
        assert event.actor.username == "admin" and event.actor_role == "admin"
        assert event.actor_unit_id == org.province.id
        source = event.data["source"]
        assert source["file"] == "cases.xlsx" and source["values"]["national_id"] == case.subject_key
        assert replay(case.events) == snapshot(case)
    lines = sorted(e.data["source"]["line"] for e in db.session.scalars(sa.select(Event)))
    assert lines == [2, 3, 4, 5, 6, 7]
    probation = db.session.scalar(sa.select(Case).where(Case.state == "probation"))
    assert probation.events[0].data["source"]["values"]["ceremony_date"] == "2025-10-20"  # a date cell, as ISO


@pytest.mark.parametrize("write", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_bad_lines_are_named_by_line_and_column_and_nothing_is_imported(app, org, tmp_path, write):
    Walker(db.session, app.extensions["casework_engine"], org, national_id="001098999999")  # an open case
    before = counts()
    rows = a_good_file(org) + [
        person(org, "interviewing"),  # line 8: no such state
        person(org, "dossier"),  # line 9: no certificate date
        person(org, "cell_review", certificate_date="01/02/2026"),  # line 10: certificate before referral
        person(org, "dossier", certificate_date="15/06/2026", owning_cell="NO-SUCH-CELL"),  # line 11
        person(org, "dossier", certificate_date="15/06/2026", national_id="001098999999"),  # line 12: open case
        person(org, "dossier", certificate_date="31/02/2026"),  # line 13: not a date
        person(org, "sympathiser", certificate_date="15/06/2026"),  # line 14: a date not reached yet
        person(org, "official_member"),  # line 15: closed
    ]
    rows.append(dict(rows[0]))  # line 16: the same person as line 2
    path = write(tmp_path / f"bad.{'csv' if write is write_csv else 'xlsx'}", rows)
    result = run(app, path, "--by", "admin", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["imported"] is False and report["cases"] == []
    found = {(p["line"], p["column"], p["code"]) for p in report["problems"]}
    assert found == {(8, "state", "unknown_state"), (9, "certificate_date", "date_required"),
                     (10, "certificate_date", "dates_out_of_order"), (11, "owning_cell", "unknown_unit"),
                     (12, "national_id", "open_case_exists"), (13, "certificate_date", "bad_date"),
                     (14, "certificate_date", "date_not_reached"), (15, "state", "closed_state"),
                     (16, "national_id", "duplicate_in_file")}
    by_line = {p["line"]: p for p in report["problems"]}
    assert by_line[9]["vi"] == "Ngày cấp giấy chứng nhận lớp nhận thức: bắt buộc với hồ sơ ở trạng thái “Lập hồ sơ”."
    assert by_line[9]["en"] == "Awareness-course certificate date: required for a case in “Dossier”."
    assert "01/02/2026" in by_line[10]["vi"] and "2026-03-02" in by_line[10]["en"]
    assert by_line[16]["en"].startswith("The same as line 2")
    assert counts() == before


def test_the_plain_report_names_each_problem_in_both_languages(app, org, tmp_path):
    path = write_csv(tmp_path / "one.csv", [person(org, "dossier", certificate_date="2026-02-31")])
    result = run(app, path, "--by", "admin")
    assert result.exit_code == 1
    assert "one.csv: admission version 1: refused, nothing imported (1 problem(s))." in result.output
    assert ("line 2, certificate_date: Ngày cấp giấy chứng nhận lớp nhận thức: “2026-02-31” không phải ngày "
            "(dd/mm/yyyy). / Awareness-course certificate date: “2026-02-31” is not a date") in result.output


def test_start_step_fields_and_guards_are_checked_as_for_a_referral(app, org, tmp_path):
    rows = [person(org, "dossier", certificate_date="15/06/2026", national_id="12AB", gender="x",
                   residence_unit="NOWHERE"),
            person(org, "dossier", certificate_date="15/06/2026", source="youth_union"),
            person(org, "dossier", certificate_date="15/06/2026", full_name="")]
    result = run(app, write_csv(tmp_path / "f.csv", rows), "--dry-run", "--json")
    report = json.loads(result.output)
    found = {(p["line"], p["column"], p["code"]) for p in report["problems"]}
    assert found == {(2, "national_id", "bad_format"), (2, "gender", "bad_choice"),
                     (2, "residence_unit", "unknown_unit"), (3, "source", "referring_org_mismatch"),
                     (4, "full_name", "required")}


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(app, org, tmp_path):
    before = counts()
    result = run(app, write_csv(tmp_path / "cases.csv", a_good_file(org)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run: nothing is written.\ncases.csv: admission version 1: would import 6")
    assert "line 4: Trần Văn Bình — verification at " in result.output
    assert "task confirm_background (residential_committee, Chi bộ khu phố 3, due " in result.output
    assert counts() == before


def test_the_file_must_be_the_templates(app, org, tmp_path):
    rows = [{**person(org, "dossier", certificate_date="15/06/2026"), "remarks": "x"}]
    del rows[0]["owning_cell"]
    report = json.loads(run(app, write_csv(tmp_path / "f.csv", rows), "--dry-run", "--json").output)
    assert {(p["line"], p["column"], p["code"]) for p in report["problems"]} == {
        (1, "remarks", "unknown_column"), (1, "owning_cell", "missing_column")}


def test_an_import_needs_an_administrator_of_the_cases_units(app, org, tmp_path):
    path = write_csv(tmp_path / "cases.csv", a_good_file(org))
    result = run(app, path)
    assert result.exit_code != 0 and "--by USERNAME" in result.output
    result = run(app, path, "--by", "cell_secretary")
    assert result.exit_code != 0 and "Only an administrator may import cases in progress" in result.output
    result = run(app, path, "--by", "nobody")
    assert result.exit_code != 0 and "no user named 'nobody'" in result.output
    report = json.loads(run(app, path, "--by", "commune_admin", "--json").output)
    assert {p["code"] for p in report["problems"]} == {"outside_your_units"}
    assert counts()["Case"] == 0


def test_imported_cases_take_their_next_steps_through_the_engine(app, org, tmp_path):
    rows = [person(org, "dossier", certificate_date="15/06/2026"),
            person(org, "verification", certificate_date="15/06/2026")]
    assert run(app, write_csv(tmp_path / "cases.csv", rows), "--by", "admin").exit_code == 0
    engine = app.extensions["casework_engine"]
    dossier, verification = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
    walker = Walker(db.session, engine, org, case=dossier)
    walker.step()
    assert dossier.state == "verification"
    walker = Walker(db.session, engine, org, case=verification)
    walker.step()  # the residential committee answers the task the import created; the cell completes
    assert verification.state == "cell_review"
    assert [e.trigger for e in verification.events] == ["imported", "confirm_background", "complete_verification"]
    assert replay(verification.events) == snapshot(verification)


def test_the_template_re_imports_once_its_example_is_filled_in(app, org, tmp_path):
    for name in ("template.xlsx", "template.csv"):
        result = app.test_cli_runner().invoke(args=["import", "template", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    workbook = load_workbook(tmp_path / "template.xlsx")
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["state", "stage", "owning_cell"] and "certificate_date" in header
    example = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert example["national_id"] == "001098012345" and example["state"] == "cell_review"
    codes = {"MA-CHI-BO": org.cell.code, "MA-KHU-DAN-CU": org.area.code, "MA-DOANH-NGHIEP": org.enterprise.code,
             "MA-CONG-DOAN": org.trade_union.code}
    for column, value in example.items():
        if value in codes:
            sheet.cell(row=2, column=header.index(column) + 1, value=codes[value])
    workbook.save(tmp_path / "filled.xlsx")
    result = run(app, tmp_path / "filled.xlsx", "--by", "admin")
    assert result.exit_code == 0, result.output
    case = db.session.scalar(sa.select(Case))
    assert (case.state, case.candidate.national_id, case.title) == ("cell_review", "001098012345", "Nguyễn Văn An")
    text = (tmp_path / "template.csv").read_text(encoding="utf-8-sig")
    for placeholder, code in codes.items():
        text = text.replace(placeholder, code)
    filled = io.StringIO(text)
    assert next(csv.reader(filled)) == header
    (tmp_path / "filled.csv").write_text(text.replace("001098012345", "001098054321"), encoding="utf-8")
    result = run(app, tmp_path / "filled.csv", "--dry-run")
    assert result.exit_code == 0 and "would import 1 case(s)" in result.output


def test_the_tallies_kept_while_importing_agree_with_the_history(app, org, tmp_path):
    assert run(app, write_csv(tmp_path / "cases.csv", a_good_file(org)), "--by", "admin").exit_code == 0
    result = app.test_cli_runner().invoke(args=["monitoring", "check"])
    assert result.exit_code == 0, result.output
    assert "The tallies agree with the history." in result.output


def test_a_version_is_checked_by_its_own_definition(app, org, tmp_path):
    """Version 2 records when verification completed: a case past it must say when."""
    rows = [person(org, "cell_review", certificate_date="15/06/2026")]
    report = json.loads(run(app, write_csv(tmp_path / "v1.csv", rows), "--version", "2", "--dry-run",
                            "--json").output)
    assert [(p["line"], p["column"], p["code"]) for p in report["problems"]] == [
        (2, "verification_completed_on", "date_required")]
    assert run(app, write_csv(tmp_path / "v1.csv", rows), "--dry-run").exit_code == 0  # version 1 does not ask
    rows[0]["verification_completed_on"] = "10/09/2026"
    result = run(app, write_csv(tmp_path / "v2.csv", rows), "--version", "2", "--by", "admin")
    assert result.exit_code == 0, result.output
    case = db.session.scalar(sa.select(Case))
    assert (case.workflow_version, case.date("verification_completed_on")) == (2, date(2026, 9, 10))
    assert "admission version 2: imported 1 case(s)" in result.output


def test_a_state_with_stages_takes_its_stage(app, org, tmp_path):
    dates = {"certificate_date": "15/06/2025", "cell_vote_date": "20/08/2025", "decision_date": "02/10/2025",
             "ceremony_date": "20/10/2025", "probation_ends": "20/10/2026", "referral_date": "02/03/2025"}
    rows = [person(org, "recognition_review", stage="grassroots_vote", recognition_proposed_on="05/11/2026", **dates),
            person(org, "recognition_review", **dates), person(org, "dossier", stage="cell_vote", **dates)]
    report = json.loads(run(app, write_csv(tmp_path / "s.csv", rows), "--dry-run", "--json").output)
    assert {(p["line"], p["column"], p["code"]) for p in report["problems"]} == {
        (4, "stage", "no_stages"), (4, "cell_vote_date", "date_not_reached"),
        (4, "decision_date", "date_not_reached"), (4, "ceremony_date", "date_not_reached"),
        (4, "probation_ends", "date_not_reached")}
    result = run(app, write_csv(tmp_path / "s.csv", rows[:2]), "--by", "admin")
    assert result.exit_code == 0, result.output
    voted, waiting = db.session.scalars(sa.select(Case).order_by(Case.id)).all()
    assert (voted.stage, waiting.stage) == ("grassroots_vote", "cell_vote")
    assert open_tasks(voted) == [("step", "grassroots_committee", org.grassroots.id)]
    assert open_tasks(waiting) == [("step", "cell_secretary", org.cell.id)]


def test_dates_at_their_boundaries(app, org, tmp_path):
    """Today (2026-11-16) is allowed and tomorrow is not for a date its step may not give in the future; the end of
    probation lies ahead by nature; a date on the same day as the one before it is in order, a day earlier is not."""
    done = {"certificate_date": "02/03/2026", "cell_vote_date": "16/11/2026"}  # certificate: the referral's day
    rows = [person(org, "authority_review", **done),
            person(org, "authority_review", certificate_date="02/03/2026", cell_vote_date="17/11/2026"),
            person(org, "authority_review", certificate_date="01/03/2026", cell_vote_date="16/11/2026"),
            person(org, "probation", referral_date="02/03/2025", certificate_date="15/06/2025",
                   cell_vote_date="20/08/2025", decision_date="02/10/2025", ceremony_date="16/11/2026",
                   probation_ends="16/11/2027")]
    report = json.loads(run(app, write_csv(tmp_path / "d.csv", rows), "--dry-run", "--json").output)
    assert {(p["line"], p["column"], p["code"]) for p in report["problems"]} == {
        (3, "cell_vote_date", "date_in_future"), (4, "certificate_date", "dates_out_of_order")}
    result = run(app, write_csv(tmp_path / "d.csv", [rows[0], rows[3]]), "--by", "admin")
    assert result.exit_code == 0, result.output


def test_a_subject_with_an_open_case_is_named_once(app, org, tmp_path):
    """The file's subjects are looked up together; a start step's guard saying the same is not repeated."""
    Walker(db.session, app.extensions["casework_engine"], org, national_id="001098999999")
    rows = [person(org, "dossier", certificate_date="15/06/2026", national_id="001098999999"),
            person(org, "dossier", certificate_date="15/06/2026")]
    report = json.loads(run(app, write_csv(tmp_path / "o.csv", rows), "--dry-run", "--json").output)
    assert [(p["line"], p["column"], p["code"]) for p in report["problems"]] == [
        (2, "national_id", "open_case_exists")]
