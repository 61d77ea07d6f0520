"""API views: parse the request, find the caller, call a service function, shape the answer.

No view decides a rule of the procedure; every refusal comes from the engine with its reasons. Requests
with a body must be JSON, which also keeps cookie-authenticated calls safe from cross-site forms.
"""

from __future__ import annotations

import base64
import binascii
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, request
from flask_login import current_user, login_user, logout_user

from casework import inbox as tasks_inbox
from casework.access_log import record_case_access
from casework.api import bp, schemas
from casework.api.errors import error_response
from casework.api.openapi import errors, path_parameter
from casework.api.serializers import case_json, member_json, task_json, unit_json, workflow_json
from casework.auth import end_sessions, request_user, sign_in_attempt
from casework.documents import SIGNATURES as DOCUMENT_TYPES
from casework.documents import DocumentRefused, make_document
from casework.engine import Engine, Invalid, NotFound
from casework.engine.delegation import load_acting
from casework.engine.packages import PACKAGES
from casework.engine.reasons import Reason
from casework.engine.scope import task_view_only, visibility_clause, visible_case
from casework.engine.service import apply, available_actions, start_case
from casework.extensions import db
from casework.models import AccessFace, AccessKind, Case, Document, PartyMember, Unit, User
from casework.web.downloads import attachment


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
    if g.api_user is not None and header.startswith("Bearer "):  # a session's user got them when loaded
        load_acting(db.session, g.api_user, engine().today())
    if g.api_user is None and request.endpoint != "api.sign_in":
        abort(401, "sign in (POST /api/v1/session) or send a bearer token")


@bp.before_request
def require_json_object() -> None:
    """A body is a JSON object, checked before any schema reads it (415 for another type, 400 otherwise)."""
    if request.method == "POST":
        json_body()


def caller() -> User:
    return g.api_user


def _roles_json(user: User) -> list[dict[str, Any]]:
    return [{"role": r.role, "unit_id": r.unit_id, "unit": r.unit.name} for r in user.roles]


def _signed_in(user: User) -> dict[str, Any]:
    return {"username": user.username, "full_name": user.full_name, "roles": _roles_json(user)}


# The session has one view per method (sign_in, session, sign_out), so the document can say what each takes.
@bp.post("/session")
@bp.doc(security=[])
@bp.arguments(schemas.Credentials)
@bp.response(200, schemas.SignedIn, description="signed in; the answer sets the session cookie")
@errors(400, 401, 415, 422, 429)
def sign_in(credentials: dict[str, str]):
    attempt = sign_in_attempt(credentials["username"], credentials["password"])
    if attempt.locked_until is not None:
        response, status = error_response(429, "too many failed sign-ins", [attempt.lock_reason()])
        response.headers["Retry-After"] = str(attempt.retry_after_seconds)
        return response, status
    user = attempt.user
    if user is None:
        return error_response(401, "wrong username or password")
    login_user(user)
    return _signed_in(user)


@bp.get("/session")
@bp.response(200, schemas.SignedIn)
@errors(401)
def session():
    return _signed_in(caller())


@bp.delete("/session")
@bp.response(204, description="signed out")
@errors(401)
def sign_out():
    # ends every session and remember cookie of this person, as on the pages
    end_sessions(db.session, caller())
    db.session.commit()
    logout_user()
    return "", 204


@bp.get("/workflows/<name>", parameters=[path_parameter("name", "WorkflowName", "a workflow's name")])
@bp.arguments(schemas.WorkflowQuery, location="query")
@bp.response(200, schemas.WorkflowOut)
@errors(401, 404, 422)
def workflow(query_args: dict[str, Any], name: str):
    """The version new cases start on today, or with ?version= any version (cases keep the one they began on)."""
    return workflow_json(engine().workflow(name, query_args.get("version")))


@bp.get("/units")
@bp.response(200, schemas.Units)
@errors(401)
def units():
    rows = db.session.scalars(sa.select(Unit).order_by(Unit.path)).all()
    return {"units": [unit_json(u) for u in rows]}


def _may_see_register(user: User, unit: Unit) -> bool:
    """The register is personal data: shown to people holding a role at the unit or above it."""
    lineage = set(unit.ancestor_ids)
    return any(r.unit_id in lineage for r in user.roles)


@bp.get("/units/<id:unit_id>/members")
@bp.response(200, schemas.UnitMembers)
@errors(401, 404)
def unit_members(unit_id: int):
    unit = db.session.get(Unit, unit_id)
    if unit is None or not _may_see_register(caller(), unit):
        raise NotFound("no such unit")
    rows = db.session.scalars(sa.select(PartyMember).where(PartyMember.cell_id == unit_id)
                              .order_by(PartyMember.full_name)).all()
    return {"unit": unit_json(unit), "members": [member_json(m) for m in rows]}


def _visible_case(case_id: int) -> Case:
    case = visible_case(db.session, caller(), case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def _case_for_documents(case_id: int) -> Case:
    """A residential committee verifying a case sees no documents: for it they do not exist."""
    case = _visible_case(case_id)
    if task_view_only(caller(), case, engine().definition_of(case)):
        raise NotFound("no such case")
    return case


def case_first(find):
    """Find the case in the path before the body is read: a case outside the caller's scope is a 404,
    whatever was sent. The view gets ``case`` instead of ``case_id``."""

    def decorator(view):
        @wraps(view)
        def with_case(*args, case_id: int, **kwargs):
            return view(*args, case=find(case_id), **kwargs)

        return with_case

    return decorator


def _case_response(case: Case, status: int = 200):
    user = caller()
    actions = available_actions(session=db.session, engine=engine(), case=case, user=user)
    wf = engine().definition_of(case)
    restricted = task_view_only(user, case, wf)
    body = case_json(case, actions=actions, today=engine().today(), restricted=restricted,
                     viewer=user, key_dates=wf.dates)
    return body, status


@bp.post("/cases")
@bp.arguments(schemas.ReferralFields, description="the start step's fields of the default workflow (configuration "
              "CASEWORK_DEFAULT_WORKFLOW), as workflows/<name>/v<N>.yaml declares them; the engine checks them")
@bp.response(201, schemas.CaseOut, description="the case opened")
@errors(400, 401, 403, 409, 415, 422)
def create_case(referral: dict[str, Any]):
    case = start_case(workflow=current_app.config["DEFAULT_WORKFLOW"], session=db.session, engine=engine(),
                      user=caller(), data=referral)
    return _case_response(case, 201)


@bp.post("/workflows/<name>/cases", parameters=[path_parameter("name", "WorkflowName", "a workflow's name")])
@bp.arguments(schemas.StartFields, description="the workflow's start step's fields, as GET /workflows/<name> lists "
              "them; the engine checks them")
@bp.response(201, schemas.CaseOut, description="the case opened, on the version in effect today")
@errors(400, 401, 403, 404, 409, 415, 422)
def start_workflow_case(fields: dict[str, Any], name: str):
    """Open a case of any workflow: the same as POST /cases for the default one."""
    case = start_case(workflow=name, session=db.session, engine=engine(), user=caller(), data=fields)
    return _case_response(case, 201)


@bp.get("/cases")
@bp.arguments(schemas.CaseListQuery, location="query")
@bp.response(200, schemas.CasePage)
@errors(401, 422)
def list_cases(query_args: dict[str, Any]):
    page, per_page = query_args["page"], query_args["per_page"]
    query = sa.select(Case).where(visibility_clause(caller()))
    state = query_args.get("state")
    if state:
        if not any(state in wf.states for wf in engine().definitions()):  # cases on older versions too
            raise Invalid("bad query", [Reason("unknown_state", f"Không có trạng thái {state}.",
                                               f"There is no state {state}.", {"parameter": "state"})])
        query = query.where(Case.state == state)
    rows = db.session.scalars(query.order_by(Case.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return {"page": page, "per_page": per_page, "cases": [
        {"id": c.id, "state": c.state, "version": c.version, "workflow": c.workflow, **_titled(c),
         "owning_cell_id": c.owning_cell_id, "opened_on": c.opened_on.isoformat()} for c in rows]}


@bp.get("/cases/<id:case_id>")
@bp.response(200, schemas.CaseOut)
@errors(401, 404)
def get_case(case_id: int):
    case = _visible_case(case_id)
    record_case_access(db.session, caller(), case, AccessFace.API)  # a restricted (verification) view too
    return _case_response(case)


@bp.post("/cases/<id:case_id>/actions/<trigger>",
         parameters=[path_parameter("trigger", "Trigger", "a step of the workflow (its trigger)")])
@case_first(_visible_case)
@bp.arguments(schemas.StepFields, description="expected_version, task_id (task steps), and the step's own fields "
              "as further properties: GET /api/v1/workflows/admission lists them per trigger; the engine checks them")
@bp.response(200, schemas.CaseOut, description="the step was taken: the case as it is now")
@errors(400, 401, 403, 404, 409, 415, 422)
def take_action(step: dict[str, Any], case: Case, trigger: str):
    expected_version = step.pop("expected_version")
    task_id = step.pop("task_id", None)
    case = apply(session=db.session, engine=engine(), case=case, trigger=trigger, user=caller(), data=step,
                 expected_version=expected_version, task_id=task_id)
    return _case_response(case)


@bp.post("/cases/<id:case_id>/documents")
@case_first(_case_for_documents)
@bp.arguments(schemas.DocumentUpload)
@bp.response(201, schemas.DocumentCreated, description="the file is attached to the case")
@errors(400, 401, 404, 413, 415, 422)
def upload_document(upload: dict[str, str], case: Case):
    """Attach a file: JSON with form_code, filename, content_type and content_base64."""
    content = _document_content(upload["content_base64"])
    try:
        doc = make_document(case_id=case.id, form_code=upload["form_code"], filename=upload["filename"],
                            content=content, max_bytes=current_app.config["MAX_DOCUMENT_BYTES"], user_id=caller().id,
                            declared_type=upload["content_type"])
    except DocumentRefused as exc:
        return error_response(422, "the document was not accepted", [exc.reason])
    db.session.add(doc)
    db.session.commit()
    return {"id": doc.id, "form_code": doc.form_code, "filename": doc.filename, "size": doc.size,
            "content_type": doc.content_type, "sha256": doc.sha256}


def _document_content(encoded: str) -> bytes:
    """The decoded file; the file's own rules (type, size) are casework.documents'."""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the document was not accepted", [Reason(
            "bad_base64", "Nội dung tệp (content_base64) không phải base64 hợp lệ.",
            "content_base64 is not valid base64.", {"field": "content_base64"})]) from None


@bp.get("/cases/<id:case_id>/documents/<id:doc_id>")
@bp.response(200, description="the file, as an attachment of its own type")
@bp.doc(responses={200: {"content": {kind: {"schema": {"type": "string", "contentMediaType": kind}}
                                     for kind in DOCUMENT_TYPES}}})
@errors(401, 404)
def download_document(case_id: int, doc_id: int):
    case = _visible_case(case_id)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.case_id != case.id or task_view_only(caller(), case, engine().definition_of(case)):
        raise NotFound("no such document")
    record_case_access(db.session, caller(), case, AccessFace.API, AccessKind.DOCUMENT, document_id=doc.id)
    return attachment(doc.content, doc.content_type, doc.filename)


def _titled(case: Case) -> dict[str, str]:
    """A list row's name of the case: its title, also under the name its workflow's package gives it."""
    package = PACKAGES.get(case.workflow)
    name = package.subject_name if package else None
    return {"title": case.title, **({name: case.title} if name else {})}


@bp.get("/tasks")
@bp.arguments(schemas.InboxQuery, location="query")
@bp.response(200, schemas.Inbox)
@errors(401, 422)
def inbox(query_args: dict[str, Any]):
    """Open tasks routed to a unit where the caller holds the task's role; overdue first, then by due date,
    then id. ``limit`` per page; ``after`` is the ``next`` of the previous page."""
    today = engine().today()
    page = tasks_inbox.page(db.session, tasks_inbox.filtered(caller(), tasks_inbox.InboxFilters(), today),
                            query_args.get("after"), query_args["limit"])
    return {"tasks": [{**task_json(t, today), **_titled(t.case), "case_state": t.case.state}
                      for t in page.rows], "next": page.next_after}


@bp.post("/workflows/<name>/migrations", parameters=[path_parameter("name", "WorkflowName", "a workflow's name")])
@bp.arguments(schemas.MigrationRequest)
@bp.response(200, schemas.MigrationReportOut, description="what happened (or, in a dry run, would happen) to "
             "each selected case, and a summary")
@errors(400, 401, 403, 404, 415, 422)
def migrate_workflow(body: dict[str, Any], name: str):
    """Administrators: move open cases from one version of the workflow to another by the plan
    workflows/<name>/migrations/<from>-to-<to>.yaml, each case in its own transaction; the caller's subtrees
    only. ``dry_run`` (the default) writes nothing."""
    from casework.engine.errors import DefinitionError
    from casework.engine.migration import find_plan, migrate, parse_where, require_admin

    user = caller()
    require_admin(db.session, user)
    try:
        plan = find_plan(engine(), name, body["from"], body["to"])
    except DefinitionError as exc:
        raise Invalid("the migration plan is not valid", [Reason(
            "invalid_migration_plan", f"Kế hoạch chuyển phiên bản không hợp lệ: {exc.element}: {exc.problem}",
            f"The migration plan is not valid: {exc.element}: {exc.problem}",
            {"element": exc.element})]) from exc
    report = migrate(session=db.session, engine=engine(), plan=plan, selection=parse_where(body.get("where")),
                     user=user, dry_run=body["dry_run"])
    return report.as_dict()
