"""Field types of workflow steps: parsing what a person submitted into typed values, with reasons.

Values arrive from JSON or from HTML forms, so numbers and booleans may come as strings. Parsed values are
typed (``date``, ``int``…); ``to_json`` turns them back into what the event history stores.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from casework.engine.reasons import Reason, format_date_vi
from casework.ids import MAX_ID, parse_id
from casework.models import Document, PartyMember, Unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine.definition import FieldDef
    from casework.models import Case


class FieldProblem(Exception):
    """One field's value is unusable; carries the reason."""

    def __init__(self, reason: Reason):
        super().__init__(reason.en)
        self.reason = reason


@dataclass
class FieldContext:
    session: Session
    case: Case | None
    today: date


def problem(field: FieldDef, code: str, vi: str, en: str, **params: Any) -> FieldProblem:
    label_vi, label_en = field.label.get("vi", field.name), field.label.get("en", field.name)
    return FieldProblem(Reason(code, f"{label_vi}: {vi}", f"{label_en}: {en}", {"field": field.name, **params}))


def _parse_string(field: FieldDef, raw: Any, ctx: FieldContext) -> str:
    if not isinstance(raw, str):
        raise problem(field, "not_text", "phải là chuỗi ký tự", "must be text")
    value = raw.strip()
    if field.max_length and len(value) > field.max_length:
        raise problem(field, "too_long", f"tối đa {field.max_length} ký tự", f"at most {field.max_length} characters")
    if field.pattern and value and not re.fullmatch(field.pattern, value):
        raise problem(field, "bad_format", "không đúng định dạng", "is not in the expected format")
    return value


def parse_iso_date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def _parse_date(field: FieldDef, raw: Any, ctx: FieldContext) -> date:
    value = parse_iso_date(raw)
    if value is None:
        raise problem(field, "bad_date", "phải là ngày hợp lệ dạng YYYY-MM-DD", "must be a valid date YYYY-MM-DD")
    if field.not_future and value > ctx.today:
        raise problem(field, "date_in_future", "không được sau ngày hôm nay", "cannot be in the future")
    if field.not_before and ctx.case is not None:
        earliest = case_date(ctx.case, field.not_before)
        if earliest is not None and value < earliest:
            raise problem(
                field,
                "date_too_early",
                f"không được trước {format_date_vi(earliest)}",
                f"cannot be before {earliest.isoformat()}",
                earliest=earliest,
            )
    return value


def case_date(case: Case, name: str) -> date | None:
    """A key date of the case (``Case.date``: its declared dates, or a date an older history kept in ``facts``)."""
    return case.date(name)


def _parse_integer(field: FieldDef, raw: Any, ctx: FieldContext) -> int:
    if isinstance(raw, bool):
        raise problem(field, "not_integer", "phải là số nguyên", "must be a whole number")
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int):
        raise problem(field, "not_integer", "phải là số nguyên", "must be a whole number")
    if field.min is not None and raw < field.min:
        raise problem(field, "too_small", f"không được nhỏ hơn {field.min}", f"must be at least {field.min}")
    return raw


_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no", ""}


def parse_boolean(field: FieldDef, raw: Any, ctx: FieldContext) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise problem(field, "not_boolean", "phải là có/không", "must be true or false")


def _parse_choice(field: FieldDef, raw: Any, ctx: FieldContext) -> str:
    if raw not in field.choices:
        allowed = ", ".join(field.choices)
        raise problem(field, "bad_choice", f"phải là một trong: {allowed}", f"must be one of: {allowed}")
    return raw


def parse_id_value(field: FieldDef, raw: Any) -> int:
    """Units, members and documents are named by id, read as everywhere else (casework.ids)."""
    parsed = parse_id(raw)
    if parsed is None:
        raise problem(field, "bad_id", f"phải là mã số (số nguyên 1..{MAX_ID})",
                      f"must be an id (a whole number 1..{MAX_ID})")
    return parsed


def parse_unit(field: FieldDef, raw: Any, ctx: FieldContext) -> int:
    unit = ctx.session.get(Unit, parse_id_value(field, raw))
    if unit is None:
        raise problem(field, "unknown_unit", "không có đơn vị này", "no such unit", unit_id=raw)
    if field.unit_kinds and unit.kind not in field.unit_kinds:
        raise problem(field, "wrong_unit_kind", f"{unit.name} không phải đơn vị phù hợp",
                      f"{unit.name} is not a unit of the right kind", unit_id=unit.id)
    return unit.id


def parse_member_ids(field: FieldDef, raw: Any, ctx: FieldContext) -> list[int]:
    if not isinstance(raw, list):
        raise problem(field, "not_list", "phải là danh sách", "must be a list")
    ids = [parse_id_value(field, item) for item in raw]
    if len(set(ids)) != len(ids):
        raise problem(field, "duplicate_member", "có người bị lặp", "lists someone twice")
    found = set(ctx.session.scalars(sa.select(PartyMember.id).where(PartyMember.id.in_(ids)))) if ids else set()
    missing = [i for i in ids if i not in found]
    if missing:
        raise problem(field, "unknown_member", f"không có đảng viên mã {missing}", f"no party member with id {missing}")
    return ids


def _parse_document(field: FieldDef, raw: Any, ctx: FieldContext) -> int:
    doc = ctx.session.get(Document, parse_id_value(field, raw))
    if doc is None or ctx.case is None or doc.case_id != ctx.case.id:
        raise problem(field, "unknown_document", "không có tài liệu này trong hồ sơ", "no such document on this case")
    if field.form_code and doc.form_code != field.form_code:
        raise problem(field, "wrong_form", f"tài liệu phải là mẫu {field.form_code}",
                      f"the document must be form {field.form_code}")
    return doc.id


def default_document(field: FieldDef, ctx: FieldContext) -> int | None:
    """The newest document of the field's form already attached to the case, if any."""
    if ctx.case is None or ctx.case.id is None:
        return None
    return ctx.session.scalar(
        sa.select(Document.id)
        .where(Document.case_id == ctx.case.id, Document.form_code == field.form_code)
        .order_by(Document.id.desc())
        .limit(1)
    )


PARSERS: dict[str, Callable[[FieldDef, Any, FieldContext], Any]] = {
    "string": _parse_string,
    "text": _parse_string,
    "date": _parse_date,
    "integer": _parse_integer,
    "boolean": parse_boolean,
    "choice": _parse_choice,
    "unit": parse_unit,
    "member_ids": parse_member_ids,
    "document": _parse_document,
}

# JSON Schema of a field type's submitted value, for the API's document (casework.api.openapi).
JSON_SCHEMAS: dict[str, dict] = {}

Parser = Callable[["FieldDef", Any, FieldContext], Any]


def field_type(name: str, *, json_schema: dict) -> Callable[[Parser], Parser]:
    """Register a workflow package's own field type (a list of introducers, say) under the name definitions use
    (``type: <name>``), with the JSON Schema its submitted value has."""
    def register(parser: Parser) -> Parser:
        PARSERS[name] = parser
        JSON_SCHEMAS[name] = json_schema
        return parser

    return register


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_fields(fields: tuple[FieldDef, ...], data: dict[str, Any], ctx: FieldContext) -> tuple[dict, list[Reason]]:
    """Typed values for the step's fields, and every problem found (unknown, missing, malformed)."""
    reasons: list[Reason] = []
    known = {f.name for f in fields}
    for name in sorted(set(data) - known):
        reasons.append(Reason("unknown_field", f"Trường không hợp lệ cho bước này: {name}",
                              f"Not a field of this step: {name}", {"field": name}))
    values: dict[str, Any] = {}
    for field in fields:
        raw = data.get(field.name)
        if _is_blank(raw) and field.type == "document":
            raw = default_document(field, ctx)
        if _is_blank(raw):
            if field.required and field.type == "document":
                reasons.append(problem(field, "document_missing",
                                       f"chưa có tệp {field.form_code} trong hồ sơ: hãy tải lên ở mục Tài liệu "
                                       f"(chọn mẫu {field.form_code}) rồi gửi lại",
                                       f"no {field.form_code} is attached to the case yet: attach it under Documents "
                                       f"(as form {field.form_code}), then send again").reason)
            elif field.required:
                reasons.append(problem(field, "required", "bắt buộc", "is required").reason)
            continue
        try:
            values[field.name] = PARSERS[field.type](field, raw, ctx)
        except FieldProblem as exc:
            reasons.append(exc.reason)
    return values, reasons


def to_json(value: Any) -> Any:
    """What the history stores: dates as ISO strings, containers walked."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
