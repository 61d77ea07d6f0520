"""The admission workflow's own field types: the introducers (3-KNĐ) with since when each has known the candidate,
and the relatives whose background is verified where they live (or abroad)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casework.engine.fields import (
    FieldContext,
    FieldProblem,
    field_type,
    parse_boolean,
    parse_id_value,
    parse_iso_date,
    parse_member_ids,
    parse_unit,
    problem,
)
from casework.models import Unit

if TYPE_CHECKING:
    from casework.engine.definition import FieldDef


@field_type("introducers", json_schema={"type": "array", "items": {"type": "object"}})
def parse_introducers(field: FieldDef, raw: Any, ctx: FieldContext) -> list[dict]:
    if not isinstance(raw, list):
        raise problem(field, "not_list", "phải là danh sách", "must be a list")
    result = []
    for item in raw:
        if not isinstance(item, dict) or "member_id" not in item or "known_since" not in item:
            raise problem(field, "bad_introducer", "mỗi người giới thiệu cần member_id và known_since",
                          "each introducer needs member_id and known_since")
        known_since = parse_iso_date(item["known_since"])
        if known_since is None or known_since > ctx.today:
            raise problem(field, "bad_date", "known_since phải là ngày hợp lệ, không sau hôm nay",
                          "known_since must be a valid date, not in the future")
        result.append({"member_id": parse_id_value(field, item["member_id"]), "known_since": known_since})
    parse_member_ids(field, [i["member_id"] for i in result], ctx)  # each must be in the register
    return result


@field_type("relatives", json_schema={"type": "array", "items": {"type": "object"}})
def parse_relatives(field: FieldDef, raw: Any, ctx: FieldContext) -> list[dict]:
    result = []
    for item in _items(field, raw):
        relative = _named(field, item)
        relative["abroad"] = relative_abroad(field, item, ctx)
        if relative["abroad"]:
            relative["country"] = str(item.get("country", "")).strip()
        elif "residence_unit" not in item:
            raise _residence_missing(field, relative)
        else:
            # The same kinds of place as the candidate's residence, so the verification reaches a committee.
            relative["residence_unit"] = parse_unit(field, item["residence_unit"], ctx)
        result.append(relative)
    return result


def _items(field: FieldDef, raw: Any) -> list:
    if not isinstance(raw, list):
        raise problem(field, "not_list", "phải là danh sách", "must be a list")
    return raw


def _named(field: FieldDef, item: Any) -> dict[str, Any]:
    """The relative's name and relation, both required."""
    if not isinstance(item, dict) or not str(item.get("full_name", "")).strip() \
            or not str(item.get("relation", "")).strip():
        raise problem(field, "bad_relative", "mỗi người thân cần họ tên và quan hệ",
                      "each relative needs a full name and a relation")
    return {"full_name": str(item["full_name"]).strip(), "relation": str(item["relation"]).strip()}


def _residence_missing(field: FieldDef, relative: dict[str, Any]) -> FieldProblem:
    return problem(field, "relative_residence_missing", f"cần nơi cư trú của {relative['full_name']}",
                   f"the residence of {relative['full_name']} is needed")


def relative_abroad(field: FieldDef, item: dict, ctx: FieldContext) -> bool:
    """Strictly yes or no: ``bool("false")`` would send a verification abroad by mistake."""
    return _yes_no(field, item, "abroad", ctx)


# --- Version 2 (Hướng dẫn 06-HD/TW, 2025, §3.4a) --------------------------------------------------------------


@field_type("relatives_2025", json_schema={"type": "array", "items": {"type": "object"}})
def parse_relatives_2025(field: FieldDef, raw: Any, ctx: FieldContext) -> list[dict]:
    """Relatives of the relations the field's ``choices`` list (father, mother, …). A relative who is a party
    member and has fully declared their background needs no field check (``exempt``: no verification task, and
    no place of residence needed). A relative may also be verified where they work (``workplace_unit``)."""
    result = []
    for item in _items(field, raw):
        relative = _named(field, item)
        if field.choices and relative["relation"] not in field.choices:
            allowed = ", ".join(field.choices)
            raise problem(field, "relation_not_listed",
                          f"quan hệ '{relative['relation']}' của {relative['full_name']} không thuộc diện thẩm tra "
                          f"(chỉ: {allowed})",
                          f"the relation '{relative['relation']}' of {relative['full_name']} is not one verified "
                          f"(only: {allowed})", relation=relative["relation"])
        party_member = _yes_no(field, item, "party_member", ctx)
        declared = _yes_no(field, item, "fully_declared", ctx)
        relative["abroad"] = relative_abroad(field, item, ctx)
        if party_member:
            relative["party_member"] = True
            relative["fully_declared"] = declared
        if party_member and declared:
            relative["exempt"] = True  # recorded: a party member who declared everything is not field-checked
        if relative["abroad"]:
            relative["country"] = str(item.get("country", "")).strip()
        elif "residence_unit" in item:
            relative["residence_unit"] = parse_unit(field, item["residence_unit"], ctx)
        elif not relative.get("exempt"):
            raise _residence_missing(field, relative)
        if item.get("workplace_unit") not in (None, ""):
            unit = ctx.session.get(Unit, parse_id_value(field, item["workplace_unit"]))
            if unit is None:
                raise problem(field, "unknown_unit", "không có đơn vị này", "no such unit",
                              unit_id=item["workplace_unit"])
            relative["workplace_unit"] = unit.id
        result.append(relative)
    return result


def _yes_no(field: FieldDef, item: dict, key: str, ctx: FieldContext) -> bool:
    try:
        return parse_boolean(field, item.get(key, False), ctx)
    except FieldProblem:
        raise problem(field, "bad_relative", f"{key} phải là có/không", f"{key} must be true or false") from None
