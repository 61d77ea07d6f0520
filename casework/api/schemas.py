"""The API's bodies as marshmallow schemas, written once: the views load requests and dump answers through
them, and flask-smorest writes the OpenAPI document (/api/v1/openapi.json) from the same classes.

A request field that refuses a value says why with an engine ``Reason`` (Vietnamese and English); the error
handler in casework.api.errors turns every refusal of a body or query into one 422 with a reason per field.
The engine still decides every rule of the procedure: a step's own fields are its business, not these schemas'.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields as f

from casework.documents import SIGNATURES
from casework.engine.races import EXPECTED_VERSION_REQUIRED
from casework.engine.reasons import Reason
from casework.ids import MAX_ID, parse_id
from casework.inbox import BadCursor, read_cursor

DATE = {"format": "date"}  # ISO YYYY-MM-DD


def refusal(code: str, vi: str, en: str, **params: Any) -> ma.ValidationError:
    return ma.ValidationError([Reason(code, vi, en, params)])


# --- Request fields: each refusal is a Reason naming the field ---------------------------------------


# What "says something" is in JSON Schema: a character that is not white space.
NOT_BLANK = {"minLength": 1, "pattern": r"\S"}
# Standard base64 (RFC 4648 §4) with its padding, as the upload decodes it.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$"


class Text(f.String):
    """A string that must say something (blank is as good as missing)."""

    def __init__(self, **kwargs):
        super().__init__(metadata={**NOT_BLANK, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise refusal("not_text", f"{self.name}: phải là chuỗi ký tự", f"{self.name}: must be text",
                          field=self.name)
        if not value.strip():
            raise refusal("required", f"Thiếu trường {self.name}.", f"{self.name} is required.", field=self.name)
        return value


class Id(f.Integer):
    """A record id, read by casework.ids.parse_id (whole number 1..MAX_ID); anything else is a bad_id."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, metadata={"minimum": 1, "maximum": MAX_ID, **kwargs.pop("metadata", {})},
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = parse_id(value)
        if parsed is None:
            raise refusal("bad_id", f"{self.name}: phải là mã số (số nguyên 1..{MAX_ID})",
                          f"{self.name}: must be an id (a whole number 1..{MAX_ID})", field=self.name, value=value)
        return parsed


class WholeNumberParameter(f.Integer):
    """A query parameter that is a whole number within bounds (read as ids are, so "²" or 10**20 is refused
    with a reason, not a 500)."""

    def __init__(self, low: int, high: int, description: str | None = None, **kwargs):
        metadata = {"minimum": low, "maximum": high} | ({"description": description} if description else {})
        super().__init__(strict=True, metadata=metadata, **kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = parse_id(value)
        if parsed is None or not self.low <= parsed <= self.high:
            bound = f"{self.low}..{self.high}"
            raise refusal("bad_parameter", f"Tham số {self.name} phải là số nguyên {bound}.",
                          f"The parameter {self.name} must be a whole number {bound}.",
                          parameter=self.name, value=value)
        return parsed


class Version(f.Integer):
    """The case version the caller last saw: what makes a stale step a 409 instead of a lost update."""

    default_error_messages = {"required": EXPECTED_VERSION_REQUIRED}

    def __init__(self, **kwargs):
        super().__init__(strict=True, metadata={"minimum": 1, "maximum": MAX_ID}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise refusal("bad_version", f"{self.name}: phải là số phiên bản (số nguyên 1..{MAX_ID})",
                          f"{self.name}: must be a version number (a whole number 1..{MAX_ID})", field=self.name)
        return value


# --- Requests -------------------------------------------------------------------------------------------


class Credentials(ma.Schema):
    username = Text(required=True)
    password = Text(required=True)


class StepFields(ma.Schema):
    """A step: ``expected_version``, ``task_id`` for task steps, and the step's own fields (declared per
    trigger in workflows/<name>/v<N>.yaml and listed by GET /workflows/admission; the engine checks them)."""

    class Meta:
        unknown = ma.INCLUDE  # (a Meta.description would make apispec drop additionalProperties)

    expected_version = Version(required=True)
    task_id = Id(metadata={"description": "the task this step completes (task steps only)"})


class ReferralFields(ma.Schema):
    """The default workflow's start step's fields (listed by GET /workflows/<name>; the engine checks them)."""

    class Meta:
        unknown = ma.INCLUDE


class StartFields(ma.Schema):
    """The start step's fields of the workflow named in the path, as GET /workflows/<name> lists them (the
    engine checks them and answers 422 with a reason per field)."""

    class Meta:
        unknown = ma.INCLUDE


class DocumentUpload(ma.Schema):
    form_code = Text(required=True, metadata={"example": "1-KNĐ"})
    filename = Text(required=True)
    content_type = Text(required=True, metadata={"enum": sorted(SIGNATURES)})
    content_base64 = Text(required=True, metadata={"pattern": BASE64, "description": "the file, base64-encoded"})


class CaseListQuery(ma.Schema):
    page = WholeNumberParameter(1, MAX_ID, load_default=1)
    per_page = WholeNumberParameter(1, 200, load_default=50)
    state = f.String(metadata={"description": "only cases in this state (a state of the workflow)"})


class InboxCursor(f.String):
    """Where the previous page of the inbox ended: the ``next`` it answered, passed back unchanged."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": "the `next` of the previous page (opaque)"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise refusal("bad_cursor", "Tham số after không hợp lệ.", "The parameter after is not valid.",
                          parameter=self.name)
        try:
            read_cursor(value)
        except BadCursor:
            raise refusal("bad_cursor", "Tham số after không phải là con trỏ trang (next) của hộp việc.",
                          "The parameter after is not a page cursor (next) of the inbox.",
                          parameter=self.name, value=value) from None
        return value


class InboxQuery(ma.Schema):
    limit = WholeNumberParameter(1, 200, load_default=50)
    after = InboxCursor()


class WorkflowQuery(ma.Schema):
    version = WholeNumberParameter(1, MAX_ID, description="this version of the workflow (default: the one new "
                                   "cases start on today); a version the workflow does not have answers 404")


# --- Answers: every field listed, so the document says exactly what comes back -----------------------


def _str(**kw) -> f.String:
    return f.String(required=True, **kw)


def _int(**kw) -> f.Integer:
    return f.Integer(required=True, **kw)


def _bool(**kw) -> f.Boolean:
    return f.Boolean(required=True, **kw)


def _date(**kw) -> f.String:
    return f.String(required=True, metadata=DATE, **kw)


def _texts() -> f.Dict:
    """A label in each language: {"vi": ..., "en": ...}."""
    return f.Dict(keys=f.String(), values=f.String(), required=True)


def _list(item, **kw) -> f.List:
    return f.List(item, required=True, **kw)


class ReasonOut(ma.Schema):
    code = _str()
    vi = _str()
    en = _str()
    params = f.Dict(required=True)


class Error(ma.Schema):
    error = _str()
    reasons = _list(f.Nested(ReasonOut))


class RoleHeld(ma.Schema):
    role = _str()
    unit_id = _int()
    unit = _str()


class SignedIn(ma.Schema):
    username = _str()
    full_name = _str()
    roles = _list(f.Nested(RoleHeld))


class UnitOut(ma.Schema):
    id = _int()
    parent_id = _int(allow_none=True)
    kind = _str()
    name = _str()
    code = _str()
    cell_type = _str(allow_none=True)
    ownership = _str(allow_none=True)
    industrial_zone = _bool()
    has_party_org = _bool()
    assigned_cell_id = _int(allow_none=True)
    admits_members = _bool()
    organizing_department = _bool()


class Units(ma.Schema):
    units = _list(f.Nested(UnitOut))


class MemberOut(ma.Schema):
    id = _int()
    cell_id = _int()
    full_name = _str()
    status = _str()
    member_since = _date(allow_none=True)
    official_since = _date(allow_none=True)
    excluded_from_votes = _bool()


class UnitMembers(ma.Schema):
    unit = f.Nested(UnitOut, required=True)
    members = _list(f.Nested(MemberOut))


class UnitRef(ma.Schema):
    id = _int()
    name = _str()


class TaskOut(ma.Schema):
    id = _int()
    case_id = _int()
    kind = _str()
    state = _str()
    role = _str()
    unit = f.Nested(UnitRef, required=True)
    status = _str()
    subject = f.Dict(required=True)
    due_date = _date(allow_none=True)
    overdue = _bool()
    completed_at = _str(allow_none=True, metadata={"description": "ISO date and time"})


class InboxTask(TaskOut):
    title = _str(metadata={"description": "the case's subject's display name"})
    candidate = f.String(metadata={"description": "an admission case's candidate's name (the title)"})
    case_state = _str()


class Inbox(ma.Schema):
    tasks = _list(f.Nested(InboxTask))
    next = f.String(required=True, allow_none=True,
                    metadata={"description": "the cursor of the next page (pass it as ?after=), or null"})


class EventOut(ma.Schema):
    seq = _int()
    trigger = _str()
    from_state = _str(allow_none=True)
    to_state = _str()
    actor = _str(allow_none=True)
    actor_role = _str(allow_none=True)
    actor_unit_id = _int(allow_none=True)
    task_id = _int(allow_none=True)
    occurred_at = _str(metadata={"description": "ISO date and time"})
    data = f.Dict(required=True)
    flags = _list(f.Raw())


class ActionOut(ma.Schema):
    trigger = _str()
    label = _texts()
    allowed = _bool()
    reasons = _list(f.Nested(ReasonOut))
    task_ids = f.List(f.Integer(), metadata={"description": "task steps: the caller's open tasks for it"})


class Candidate(ma.Schema):
    """Who is proposed; a residential committee verifying sees only the first three fields."""

    full_name = _str()
    birth_date = _date()
    residence_unit_id = _int()
    gender = f.String()
    national_id = f.String()
    workplace_unit_id = f.Integer()
    position = f.String()
    is_business_owner = f.Boolean()



class CaseDocument(ma.Schema):
    id = _int()
    form_code = _str()
    filename = _str()
    size = _int()
    content_type = _str()


class DocumentCreated(CaseDocument):
    sha256 = _str()


class CaseOut(ma.Schema):
    """One case. The fields from ``source`` on are left out of a residential committee's restricted view."""

    id = _int()
    workflow = _str()
    workflow_version = _int(metadata={"description": "the version of the workflow the case follows to its end"})
    state = _str()
    stage = _str(allow_none=True)
    version = _int()
    title = _str(metadata={"description": "the subject's display name (a candidate's full name)"})
    candidate = f.Nested(Candidate, metadata={"description": "an admission case's subject"})
    owning_cell = f.Nested(UnitRef, required=True)
    actions = _list(f.Nested(ActionOut))
    tasks = _list(f.Nested(TaskOut))
    source = f.String()
    referring_org_id = f.Integer(allow_none=True)
    grassroots_unit_id = f.Integer(allow_none=True)
    authority_unit_id = f.Integer(allow_none=True)
    opened_on = f.String(metadata=DATE)
    closed_on = f.String(allow_none=True, metadata=DATE)
    dates = f.Dict(keys=f.String(), values=f.String(allow_none=True, metadata=DATE), metadata={
        "description": "the key dates the case's workflow version declares (its definition's dates:), each "
                       "YYYY-MM-DD or null until reached"})
    facts = f.Dict()
    documents = f.List(f.Nested(CaseDocument))
    history = f.List(f.Nested(EventOut))

    @ma.post_dump(pass_original=True)
    def _subject(self, data: dict[str, Any], original: Any, **kwargs) -> dict[str, Any]:
        """Another workflow's subject, under the key its package gives it (a founding case's ``enterprise``), as
        the serializer put it: the schema declares admission's ``candidate`` only, for the API's document."""
        from casework.engine.packages import PACKAGES

        package = PACKAGES.get(original.get("workflow")) if isinstance(original, dict) else None
        key = package.subject_name if package is not None else None
        if key and key not in data and key in original:
            data[key] = original[key]
        return data


class CaseSummary(ma.Schema):
    id = _int()
    state = _str()
    version = _int()
    workflow = _str()
    title = _str(metadata={"description": "the case's subject's display name"})
    candidate = f.String(metadata={"description": "an admission case's candidate's name (the title)"})
    owning_cell_id = _int()
    opened_on = _date()


class CasePage(ma.Schema):
    page = _int()
    per_page = _int()
    cases = _list(f.Nested(CaseSummary))


class FieldSpec(ma.Schema):
    name = _str()
    type = _str()
    required = _bool()
    label = _texts()
    choices = f.List(f.String())
    unit_kinds = f.List(f.String())
    min = f.Integer()
    max_length = f.Integer()
    form_code = f.String()
    pattern = f.String()


class Destination(ma.Schema):
    state = _str()
    when = _str(allow_none=True)


class Actor(ma.Schema):
    role = _str()
    routing = _str()


class TransitionOut(ma.Schema):
    trigger = _str()
    label = _texts()
    from_ = _list(f.String(allow_none=True), data_key="from", attribute="from")
    stage = _str(allow_none=True)
    to = _list(f.Nested(Destination))
    task = _str(allow_none=True)
    actors = f.Raw(required=True, metadata={
        "description": '"task" when whoever holds the task acts, else the roles that may act',
        "oneOf": [{"const": "task"}, {"type": "array", "items": {"$ref": "#/components/schemas/Actor"}}]})
    fields = _list(f.Nested(FieldSpec))
    guards = _list(f.String())


class StateTask(ma.Schema):
    kind = _str()
    role = _str()
    routing = _list(f.String())
    stage = _str(allow_none=True)


class StateOut(ma.Schema):
    name = _str()
    label = _texts()
    terminal = _bool()
    stages = _list(f.String())
    tasks = _list(f.Nested(StateTask))


class WorkflowOut(ma.Schema):
    name = _str()
    version = _int()
    effective_from = f.String(required=True, allow_none=True, metadata={
        **DATE, "description": "new cases start on this version from that day (null: from the start)"})
    label = _texts()
    initial = _str()
    start = _str()
    states = _list(f.Nested(StateOut))
    transitions = _list(f.Nested(TransitionOut))
    roles = _list(f.String())


# --- Moving cases to another workflow version (casework.engine.migration) --------------------------------------


class OneOrMany(f.Field):
    """One value or a list of them, each read by ``inner`` (a selection's states, units or cases)."""

    def __init__(self, inner: f.Field, one: dict, **kwargs):
        super().__init__(metadata={"oneOf": [one, {"type": "array", "items": one}]}, **kwargs)
        self.inner = inner

    def _bind_to_schema(self, field_name, schema):
        super()._bind_to_schema(field_name, schema)
        self.inner._bind_to_schema(field_name, self)  # its refusals name the field

    def _deserialize(self, value, attr, data, **kwargs):
        values = value if isinstance(value, list) else [value]
        return [self.inner.deserialize(v, attr, data) for v in values]


class MigrationWhere(ma.Schema):
    """Which cases: each key's values are alternatives; the keys all apply."""

    state = OneOrMany(Text(), {"type": "string", **NOT_BLANK})
    unit = OneOrMany(Id(), {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    case = OneOrMany(Id(), {"type": "integer", "minimum": 1, "maximum": MAX_ID})


class MigrationRequest(ma.Schema):
    """Move the open cases of a workflow from one version to another by the plan
    workflows/<name>/migrations/<from>-to-<to>.yaml; a dry run (the default) only says what would happen."""

    from_ = f.Integer(required=True, strict=True, data_key="from", attribute="from",
                      metadata={"minimum": 1, "maximum": MAX_ID, "description": "the version the cases are on"})
    to = f.Integer(required=True, strict=True, metadata={"minimum": 1, "maximum": MAX_ID,
                                                         "description": "the version to move them to"})
    where = f.Nested(MigrationWhere, metadata={"description": "which cases (default: every open case on `from`)"})
    dry_run = f.Boolean(load_default=True, metadata={"description": "say what would happen, write nothing"})


class MigrationPosition(ma.Schema):
    state = _str(allow_none=True)
    stage = _str(allow_none=True)


class MigrationTasks(ma.Schema):
    kept = _list(f.Dict())
    cancelled = _list(f.Dict())
    created = _list(f.Dict())


class MigrationCase(ma.Schema):
    case_id = _int()
    outcome = _str(metadata={"enum": ["would_move", "moved", "cannot_move", "already_migrated", "skipped",
                                      "failed"]})
    from_ = f.Nested(MigrationPosition, required=True, data_key="from", attribute="from")
    to = f.Nested(MigrationPosition, required=True)
    renamed = f.Dict(required=True, metadata={"description": "old fact or date name -> new name"})
    defaulted = f.Dict(required=True, metadata={"description": "fact or date -> the value given by default"})
    tasks = f.Nested(MigrationTasks, required=True)
    reasons = _list(f.Nested(ReasonOut), metadata={"description": "why it cannot move, or failed"})
    event_seq = _int(allow_none=True, metadata={"description": "the migrate event written, when moved"})


class MigrationSummary(ma.Schema):
    would_move = _int()
    moved = _int()
    cannot_move = _int()
    already_migrated = _int()
    skipped = _int()
    failed = _int()
    total = _int()
    reasons = f.Dict(keys=f.String(), values=f.Integer(), required=True,
                     metadata={"description": "reason code -> cases that cannot move or failed for it"})


class MigrationReportOut(ma.Schema):
    workflow = _str()
    from_ = _int(data_key="from", attribute="from")
    to = _int()
    dry_run = _bool()
    plan = _str(metadata={"description": "the plan file, within the workflow's folder"})
    where = f.Dict(required=True)
    summary = f.Nested(MigrationSummary, required=True)
    cases = _list(f.Nested(MigrationCase))
