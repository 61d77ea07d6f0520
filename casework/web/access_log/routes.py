"""The access log pages: ``/monitoring/access-log`` for organizers, ``/admin/access-log`` for administrators,
each showing the subtrees where the person holds that role (403 for anyone else), as a page or a download.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from casework.extensions import db
from casework.ids import parse_id
from casework.models import AccessKind, Unit
from casework.monitoring.exports import table_csv, table_xlsx
from casework.spreadsheets import XLSX_MIMETYPE
from casework.web.access import register_error_pages
from casework.web.access_log import queries
from casework.web.downloads import attachment

bp = Blueprint("access_log", __name__)
register_error_pages(bp)


def _roots(role: str) -> list[Unit]:
    roots = [r.unit for r in current_user.roles if r.role == role]
    if not roots:
        abort(403)
    return roots


def _listing(role: str):
    roots, filters = _roots(role), queries.Filters.from_args(request.args)
    result = queries.page(db.session, queries.query(roots, filters), request.args.get("before", type=parse_id))
    return render_template("access_log/index.html", page=result, filters=filters, roots=roots, role=role,
                           kinds=list(AccessKind))


def _download(role: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    table = queries.table(db.session, queries.query(_roots(role), queries.Filters.from_args(request.args)))
    if fmt == "csv":
        return attachment(table_csv(table), "text/csv; charset=utf-8", "access-log.csv")
    return attachment(table_xlsx("access_log", table), XLSX_MIMETYPE, "access-log.xlsx")


@bp.get("/monitoring/access-log")
@login_required
def organizer_listing():
    return _listing("organizer")


@bp.get("/monitoring/access-log.<fmt>")
@login_required
def organizer_download(fmt: str):
    return _download("organizer", fmt)


@bp.get("/admin/access-log")
@login_required
def admin_listing():
    return _listing("admin")


@bp.get("/admin/access-log.<fmt>")
@login_required
def admin_download(fmt: str):
    return _download("admin", fmt)
