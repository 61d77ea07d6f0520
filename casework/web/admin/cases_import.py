"""The administrator's page for importing cases in progress from a spreadsheet (casework.engine.importing):
upload the file, read the dry run's report (each problem by line and column), then import; and the template,
downloadable as XLSX or CSV.

The confirmation carries the checked file back (base64 in a hidden field) rather than keeping it on the
server: stateless web processes, and the import checks every row again anyway, so an altered file is only
checked afresh. The routes hang on the administration blueprint, whose guard lets only administrators in.
"""

from __future__ import annotations

import base64
import binascii
from io import BytesIO

from flask import current_app, flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField

from casework.engine import Engine
from casework.engine.definition import WorkflowDef
from casework.engine.errors import EngineError
from casework.engine.importing import ImportReport, Problem, import_cases
from casework.extensions import db
from casework.import_template import template_csv, template_name, template_xlsx
from casework.spreadsheets import XLSX_MIMETYPE, read_rows
from casework.web.admin.routes import bp
from casework.web.admin.scope import require_admin
from casework.web.i18n import pick


class CaseFileForm(FlaskForm):
    workflow = SelectField(_l("Workflow"), choices=[])
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     render_kw={"accept": ".csv,.xlsx"})


class ConfirmForm(FlaskForm):
    """The checked file, sent back to be imported."""

    workflow = HiddenField()
    version = HiddenField()
    filename = HiddenField()
    content = HiddenField()


def _engine() -> Engine:
    return current_app.extensions["casework_engine"]


def _in_effect() -> list[tuple[str, WorkflowDef]]:
    """Every workflow with a version new cases start on today (the version imported cases follow)."""
    found = []
    for name in sorted(_engine().workflows):
        try:
            found.append((name, _engine().workflow(name)))
        except EngineError:
            continue  # no version in effect yet
    return found


def _file_form() -> CaseFileForm:
    form = CaseFileForm()
    form.workflow.choices = [(name, pick(wf.label)) for name, wf in _in_effect()]
    if not form.workflow.data:
        form.workflow.data = current_app.config["DEFAULT_WORKFLOW"]
    return form


def _page(form: CaseFileForm, report: ImportReport | None = None, confirm: ConfirmForm | None = None,
          status: int = 200):
    wf = None
    if report is not None and report.version:
        wf = _engine().workflow(report.workflow, report.version)
    return render_template("admin/import_cases.html", form=form, report=report, confirm=confirm, wf=wf,
                           templates=_in_effect()), status


@bp.get("/cases/import")
def import_cases_page():
    return _page(_file_form())


@bp.post("/cases/import")
def check_cases_file():
    """The dry run: every problem, or what would be created and the button that imports it."""
    require_admin()
    form = _file_form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload = form.file.data
    filename, content = upload.filename or "", upload.read()
    report = _run(form.workflow.data, None, filename, content, dry_run=True)
    if report.problems:
        return _page(form, report, status=422)
    confirm = ConfirmForm(workflow=report.workflow, version=str(report.version), filename=filename,
                          content=base64.b64encode(content).decode("ascii"))
    return _page(form, report, confirm)


@bp.post("/cases/import/confirm")
def import_cases_file():
    require_admin()
    confirm = ConfirmForm()
    form = _file_form()
    try:
        content = base64.b64decode(confirm.content.data or "", validate=True)
        version = int(confirm.version.data)
    except (binascii.Error, ValueError, TypeError):
        flash(_("The checked file did not come back whole; upload it again."), "error")
        return _page(form, status=422)
    if not confirm.validate_on_submit():
        return _page(form, status=422)
    report = _run(confirm.workflow.data, version, confirm.filename.data or "", content, dry_run=False)
    if report.problems:
        return _page(form, report, status=422)
    flash(_("%(n)s cases imported.", n=len(report.cases)), "success")
    return _page(form, report)


def _run(workflow: str, version: int | None, filename: str, content: bytes, *, dry_run: bool) -> ImportReport:
    """The import (or its dry run) as the signed-in administrator; a file or workflow that cannot be used is
    reported as a problem of the file, like any other."""
    try:
        rows = read_rows(filename, content)
    except (UnicodeDecodeError, ValueError, KeyError, OSError):
        return _refused(filename, workflow, version, "unreadable_file", "Không đọc được tệp (CSV UTF-8 hoặc XLSX).",
                        "The file cannot be read as CSV (UTF-8) or XLSX.")
    try:
        return import_cases(session=db.session, engine=_engine(), rows=rows, filename=filename, workflow=workflow,
                            version=version, user=current_user, dry_run=dry_run)
    except EngineError as exc:
        db.session.rollback()
        reason = exc.reasons[0] if exc.reasons else None
        return _refused(filename, workflow, version, reason.code if reason else "refused",
                        reason.vi if reason else exc.message, reason.en if reason else exc.message)


def _refused(filename: str, workflow: str, version: int | None, code: str, vi: str, en: str) -> ImportReport:
    return ImportReport(filename, workflow, version or 0, True, problems=[Problem(0, "", code, vi, en)])


@bp.get("/cases/import/template.<any(xlsx, csv):extension>")
def import_template(extension: str):
    """The columns of the workflow's version in effect today, and an example row."""
    require_admin()
    try:
        wf = _engine().workflow(request.args.get("workflow") or current_app.config["DEFAULT_WORKFLOW"])
    except EngineError:
        return _page(_file_form(), status=404)
    content = template_xlsx(wf) if extension == "xlsx" else template_csv(wf)
    mimetype = XLSX_MIMETYPE if extension == "xlsx" else "text/csv"
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=template_name(wf, extension))
