"""API views: parse the request, find the caller, call a service function, shape the answer.

No view decides a rule of the procedure; every refusal comes from the engine with its reasons. Requests
with a body must be JSON, which also keeps cookie-authenticated calls safe from cross-site forms.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, jsonify, request
from flask_login import current_user, login_user, logout_user

from casework.access_log import record_case_access
from casework.api import bp
from casework.api.errors import error_response
from casework.api.serializers import case_json, member_json, task_json, unit_json, workflow_json
from casework.auth import end_sessions, request_user, sign_in_attempt
from casework.documents import DocumentRefused, make_document
from casework.engine import Engine, Invalid, NotFound
from casework.engine.reasons import Reason
from casework.engine.scope import can_view, verification_only, visibility_clause
from casework.engine.service import apply, available_actions, refer
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Case, Document, PartyMember, Task, TaskStatus, Unit, User
from casework.web.downloads import attachment

# Accepted types, each with the bytes its files start with (the declared type must match the content).
DOCUMENT_FIELDS = ("form_code", "filename", "content_type", "content_base64")
PAGE_SIZE_MAX = 200


def engine() -> Engine:
    return current_app.extensions["casework_engine"]


def json_body() -> dict[str, Any]:
    if not request.is_json:
        abort(415, "the request body must be JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "the request body must be a JSON object")
    return body


@bp.before_request
def identify_caller() -> None:
    """Bearer token first, then the signed-in session; the session endpoint itself needs neither."""
    header = request.headers.get("Authorization", "")
    g.api_user = request_user(db.session, header, current_user if current_user.is_authenticated else None,
                              engine().now())
    if g.api_user is None and header.startswith("Bearer "):
        abort(401, "invalid or revoked token")
    if g.api_user is None and request.endpoint != "api.session":
        abort(401, "sign in (POST /api/v1/session) or send a bearer token")


def caller() -> User:
    return g.api_user


def _roles_json(user: User) -> list[dict[str, Any]]:
    return [{"role": r.role, "unit_id": r.unit_id, "unit": r.unit.name} for r in user.roles]


@bp.route("/session", methods=["GET", "POST", "DELETE"])
def session():
    if request.method == "POST":
        body = json_body()
        attempt = sign_in_attempt(str(body.get("username", "")), str(body.get("password", "")))
        if attempt.locked_until is not None:
            response, status = error_response(429, "too many failed sign-ins", [attempt.lock_reason()])
            response.headers["Retry-After"] = str(attempt.retry_after_seconds)
            return response, status
        user = attempt.user
        if user is None:
            return error_response(401, "wrong username or password")
        login_user(user)
        return jsonify({"username": user.username, "full_name": user.full_name, "roles": _roles_json(user)})
    if g.api_user is None:
        abort(401, "not signed in")
    if request.method == "DELETE":  # ends every session and remember cookie of this person, as on the pages
        end_sessions(db.session, caller())
        db.session.commit()
        logout_user()
        return "", 204
    user = caller()
    return jsonify({"username": user.username, "full_name": user.full_name, "roles": _roles_json(user)})


@bp.get("/workflows/<name>")
def workflow(name: str):
    return jsonify(workflow_json(engine().workflow(name)))


@bp.get("/units")
def units():
    rows = db.session.scalars(sa.select(Unit).order_by(Unit.path)).all()
    return jsonify({"units": [unit_json(u) for u in rows]})


def _may_see_register(user: User, unit: Unit) -> bool:
    """The register is personal data: shown to people holding a role at the unit or above it."""
    lineage = set(unit.ancestor_ids)
    return any(r.unit_id in lineage for r in user.roles)


@bp.get("/units/<int:unit_id>/members")
def unit_members(unit_id: int):
    unit = db.session.get(Unit, unit_id)
    if unit is None or not _may_see_register(caller(), unit):
        raise NotFound("no such unit")
    rows = db.session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == unit_id)
                              .order_by(PartyMember.full_name)).all()
    return jsonify({"unit": unit_json(unit), "members": [member_json(m) for m in rows]})


def _visible_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view(db.session, caller(), case_id):
        raise NotFound("no such case")
    return case


def _case_response(case: Case, status: int = 200):
    user = caller()
    actions = available_actions(session=db.session, engine=engine(), case=case, user=user)
    body = case_json(case, actions=actions, today=engine().today(), restricted=verification_only(user, case),
                     viewer=user)
    return jsonify(body), status


@bp.post("/cases")
def create_case():
    case = refer(session=db.session, engine=engine(), user=caller(), data=json_body())
    return _case_response(case, 201)


@bp.get("/cases")
def list_cases():
    page = _int_arg("page", 1, 1, None)
    per_page = _int_arg("per_page", 50, 1, PAGE_SIZE_MAX)
    query = sa.select(Case).where(visibility_clause(db.session, caller()))
    state = request.args.get("state")
    if state:
        if state not in engine().workflow("admission").states:
            raise Invalid("bad query", [Reason("unknown_state", f"Không có trạng thái {state}.",
                                               f"There is no state {state}.", {"parameter": "state"})])
        query = query.where(Case.state == state)
    rows = db.session.scalars(query.order_by(Case.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify({"page": page, "per_page": per_page, "cases": [
        {"id": c.id, "state": c.state, "version": c.version, "candidate": c.candidate.full_name,
         "owning_cell_id": c.owning_cell_id, "opened_on": c.opened_on.isoformat()} for c in rows]})


def _int_arg(name: str, default: int, low: int, high: int | None) -> int:
    """A whole-number query parameter within bounds; anything else is a 422 saying which and why."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.strip().isdigit() and int(raw) >= low and (high is None or int(raw) <= high):
        return int(raw)
    bound = f"{low}..{high}" if high is not None else f"≥ {low}"
    raise Invalid("bad query", [Reason("bad_parameter", f"Tham số {name} phải là số nguyên {bound}.",
                                       f"The parameter {name} must be a whole number {bound}.",
                                       {"parameter": name, "value": raw})])


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    case = _visible_case(case_id)
    record_case_access(db.session, caller(), case, AccessFace.API)  # a restricted (verification) view too
    return _case_response(case)


@bp.post("/cases/<int:case_id>/actions/<trigger>")
def take_action(case_id: int, trigger: str):
    case = _visible_case(case_id)
    body = json_body()
    expected_version = body.pop("expected_version", None)
    task_id = body.pop("task_id", None)
    case = apply(session=db.session, engine=engine(), case=case, trigger=trigger, user=caller(), data=body,
                 expected_version=expected_version, task_id=task_id)
    return _case_response(case)


@bp.post("/cases/<int:case_id>/documents")
def upload_document(case_id: int):
    """Attach a file: JSON with form_code, filename, content_type and content_base64."""
    case = _visible_case(case_id)
    if verification_only(caller(), case):
        raise NotFound("no such case")
    body = json_body()
    content, reasons = _document_content(body)
    if reasons:
        return error_response(422, "the document was not accepted", reasons)
    try:
        doc = make_document(case_id=case.id, form_code=body["form_code"], filename=body["filename"], content=content,
                            max_bytes=current_app.config["MAX_DOCUMENT_BYTES"], user_id=caller().id,
                            declared_type=body["content_type"])
    except DocumentRefused as exc:
        return error_response(422, "the document was not accepted", [exc.reason])
    db.session.add(doc)
    db.session.commit()
    return jsonify({"id": doc.id, "form_code": doc.form_code, "filename": doc.filename, "size": doc.size,
                    "content_type": doc.content_type, "sha256": doc.sha256}), 201


def _document_content(body: dict[str, Any]) -> tuple[bytes, list[Reason]]:
    """The decoded file, or the reasons the request itself is unusable (missing fields, bad base64); the
    file's own rules are casework.documents'."""
    missing = [k for k in DOCUMENT_FIELDS if not isinstance(body.get(k), str) or not body[k].strip()]
    if missing:
        return b"", [Reason("required", f"Thiếu trường {k}.", f"{k} is required.", {"field": k}) for k in missing]
    try:
        return base64.b64decode(body["content_base64"], validate=True), []
    except (binascii.Error, ValueError):
        return b"", [Reason("bad_base64", "Nội dung tệp (content_base64) không phải base64 hợp lệ.",
                            "content_base64 is not valid base64.")]


@bp.get("/cases/<int:case_id>/documents/<int:doc_id>")
def download_document(case_id: int, doc_id: int):
    case = _visible_case(case_id)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.case_id != case.id or verification_only(caller(), case):
        raise NotFound("no such document")
    record_case_access(db.session, caller(), case, AccessFace.API, AccessKind.DOCUMENT, document_id=doc.id)
    return attachment(doc.content, doc.content_type, doc.filename)


@bp.get("/tasks")
def inbox():
    """Open tasks routed to a unit where the caller holds the task's role; overdue first, then by due date."""
    user = caller()
    pairs = [(r.unit_id, r.role) for r in user.roles]
    if not pairs:
        return jsonify({"tasks": []})
    today = engine().today()
    rows = db.session.scalars(
        sa.select(Task).join(Case).where(Task.status == TaskStatus.OPEN,
                                         sa.tuple_(Task.unit_id, Task.role).in_(pairs))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id).limit(500)).all()
    return jsonify({"tasks": [{**task_json(t, today), "candidate": t.case.candidate.full_name,
                               "case_state": t.case.state} for t in rows]})
