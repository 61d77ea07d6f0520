"""Uploading and downloading a case's documents, for people who may see the whole dossier."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from casework.access_log import record_case_access
from casework.documents import DocumentRefused, make_document
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Document
from casework.web.access import dossier_case, register_error_pages
from casework.web.documents.forms import UploadForm
from casework.web.downloads import attachment
from casework.web.i18n import pick

bp = Blueprint("documents", __name__, url_prefix="/cases/<id:case_id>/documents")
register_error_pages(bp)


@bp.post("")
@login_required
def upload(case_id: int):
    case = dossier_case(case_id)
    form = UploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("cases.show", case_id=case.id, _anchor="documents"))
    content = form.file.data.read()
    try:
        doc = make_document(case_id=case.id, form_code=form.form_code.data, filename=form.file.data.filename,
                            content=content, user_id=current_user.id,
                            max_bytes=current_app.config["MAX_DOCUMENT_BYTES"])
    except DocumentRefused as exc:
        flash(pick(exc.reason), "error")
        return redirect(url_for("cases.show", case_id=case.id, _anchor="documents"))
    db.session.add(doc)
    db.session.commit()
    flash(_("Attached %(name)s (%(code)s).", name=doc.filename, code=doc.form_code), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="documents"))


@bp.get("/<id:doc_id>")
@login_required
def download(case_id: int, doc_id: int):
    case = dossier_case(case_id)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.case_id != case.id:
        abort(404)
    record_case_access(db.session, current_user, case, AccessFace.PAGE, AccessKind.DOCUMENT, document_id=doc.id)
    return attachment(doc.content, doc.content_type, doc.filename)
