"""The bell, the list of notices, marking them read, the e-mail preference; pages and JSON.

Pages live under ``/notifications`` (forms with CSRF tokens); the JSON endpoints under
``/api/v1/notifications`` accept the API's bearer tokens or the signed-in session, and require JSON bodies
for every change so a cross-site form cannot post to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint as DocumentedBlueprint
from sqlalchemy.orm import joinedload

from casework.api.errors import answer_errors_as_json
from casework.api.openapi import errors, register_documented
from casework.api.routes import identify_caller, require_json_object
from casework.extensions import csrf, db
from casework.models import EmailMode, Notification, NotificationPreference, User
from casework.notifications import api_schemas as schemas
from casework.notifications.inbox import mark_read, unread, unread_count
from casework.web.redirects import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
# JSON endpoints are part of the API's OpenAPI document (casework.api.openapi) and answer its error shape
api_bp = DocumentedBlueprint("notifications_api", __name__, url_prefix="/api/v1/notifications",
                             description="Notices for the signed-in person")
answer_errors_as_json(api_bp)
PAGE_SIZE = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_documented(app, api_bp)
    csrf.exempt(api_bp)
    app.context_processor(lambda: {"notification_unread_count": _bell_count})


def _bell_count() -> int:
    """Unread notices of the signed-in person, for the bell in the header (0 when signed out)."""
    return unread_count(db.session, current_user) if current_user.is_authenticated else 0


def _engine():
    return current_app.extensions["casework_engine"]


def _notices(user: User, unread_only: bool, limit: int = PAGE_SIZE) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(unread(user))
    return list(db.session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .options(joinedload(Notification.case).lazyload("*")).limit(limit)))


def _email_mode(user: User) -> str:
    pref = db.session.get(NotificationPreference, user.id)
    return pref.email_mode if pref else EmailMode.IMMEDIATE


def _set_email_mode(user: User, mode: str) -> None:
    pref = db.session.get(NotificationPreference, user.id) or NotificationPreference(user_id=user.id)
    pref.email_mode = mode
    db.session.add(pref)
    db.session.commit()


# --- Pages ------------------------------------------------------------------------------------------------


@dataclass
class CaseNotices:
    """The notices about one case, newest first: one entry on the page however many tasks the case created."""

    case_id: int | None
    title: str
    notices: list[Notification] = field(default_factory=list)
    unread: int = 0

    @property
    def latest(self) -> Notification:
        return self.notices[0]


def _by_case(notices: list[Notification]) -> list[CaseNotices]:
    """Group the notices per case, the case with the newest notice first; a notice about a case that has closed
    counts as read. Notices about no case stay one entry each."""
    groups: dict[object, CaseNotices] = {}
    for n in notices:
        key = n.case_id if n.case_id is not None else ("notice", n.id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = CaseNotices(n.case_id, n.case.title if n.case is not None else "")
        group.notices.append(n)
        if n.read_at is None and (n.case is None or n.case.closed_on is None):
            group.unread += 1
    return list(groups.values())


@bp.get("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    return render_template("notifications/index.html", groups=_by_case(_notices(current_user, unread_only)),
                           unread_only=unread_only, unread=unread_count(db.session, current_user),
                           email_mode=_email_mode(current_user), modes=list(EmailMode), case_url=_case_url)


@bp.post("/cases/<id:case_id>/read")
@login_required
def read_case(case_id: int):
    """Every notice about one case, read at once."""
    mark_read(db.session, current_user, None, _engine().now(), case_id=case_id)
    return redirect(url_for("notifications.index"))


def _case_url(case_id: int | None) -> str | None:
    """The case page when the pages feature is installed (the notices work without it)."""
    if case_id is None or "cases.show" not in current_app.view_functions:
        return None
    return url_for("cases.show", case_id=case_id)


@bp.post("/<id:notification_id>/read")
@login_required
def read_one(notification_id: int):
    mark_read(db.session, current_user, [notification_id], _engine().now())
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.post("/read-all")
@login_required
def read_all():
    count = mark_read(db.session, current_user, None, _engine().now())
    flash(_("%(n)s notifications marked as read.", n=count), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/preferences")
@login_required
def preferences():
    mode = request.form.get("email_mode", "")
    if mode not in set(EmailMode):
        abort(400)
    _set_email_mode(current_user, mode)
    flash(_("Your e-mail preference is saved."), "success")
    return redirect(url_for("notifications.index"))


# --- JSON -------------------------------------------------------------------------------------------------


# The API's own checks: who is calling (token or session), and a JSON object body on every change, even
# where nothing in it is read ([null] is refused, not ignored).
api_bp.before_request(identify_caller)
api_bp.before_request(require_json_object)


def notice_json(notice: Notification) -> dict[str, Any]:
    return {"id": notice.id, "kind": notice.kind, "case_id": notice.case_id, "task_id": notice.task_id,
            "text": {"vi": notice.text_vi, "en": notice.text_en}, "created_at": notice.created_at.isoformat(),
            "read_at": notice.read_at.isoformat() if notice.read_at else None}


# A change needs a JSON body (require_json_object), even where nothing in it is read.
ANY_JSON_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}


@api_bp.get("")
@api_bp.arguments(schemas.UnreadQuery, location="query")
@api_bp.response(200, schemas.Notices)
@errors(401)
def api_list(query: dict[str, str]):
    user = g.api_user
    unread_only = query.get("unread") in ("1", "true")
    return {"unread_count": unread_count(db.session, user),
            "notifications": [notice_json(n) for n in _notices(user, unread_only)]}


@api_bp.post("/<id:notification_id>/read")
@api_bp.doc(**ANY_JSON_BODY)
@api_bp.response(200, schemas.Notice, description="the notice, now read")
@errors(400, 401, 404, 415)
def api_read_one(notification_id: int):
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != g.api_user.id:
        abort(404, "no such notification")
    mark_read(db.session, g.api_user, [notification_id], _engine().now())
    return notice_json(db.session.get(Notification, notification_id))


@api_bp.post("/read-all")
@api_bp.doc(**ANY_JSON_BODY)
@api_bp.response(200, schemas.Marked)
@errors(400, 401, 415)
def api_read_all():
    return {"marked": mark_read(db.session, g.api_user, None, _engine().now())}


@api_bp.get("/preferences")
@api_bp.response(200, schemas.EmailPreference)
@errors(401)
def api_get_preferences():
    return {"email_mode": _email_mode(g.api_user)}


@api_bp.post("/preferences")
@api_bp.arguments(schemas.EmailPreference)
@api_bp.response(200, schemas.EmailPreference)
@errors(400, 401, 415, 422)
def api_set_preferences(preference: dict[str, str]):
    _set_email_mode(g.api_user, preference["email_mode"])
    return {"email_mode": preference["email_mode"]}
