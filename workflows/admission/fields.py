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
    if not isinstance(raw, list):
        raise problem(field, "not_list", "phải là danh sách", "must be a list")
    result = []
    for item in raw:
        if not isinstance(item, dict) or not str(item.get("full_name", "")).strip() \
                or not str(item.get("relation", "")).strip():
            raise problem(field, "bad_relative", "mỗi người thân cần họ tên và quan hệ",
                          "each relative needs a full name and a relation")
        abroad = relative_abroad(field, item, ctx)
        relative = {"full_name": str(item["full_name"]).strip(), "relation": str(item["relation"]).strip(),
                    "abroad": abroad}
        if abroad:
            relative["country"] = str(item.get("country", "")).strip()
        else:
            if "residence_unit" not in item:
                raise problem(field, "relative_residence_missing",
                              f"cần nơi cư trú của {relative['full_name']}",
                              f"the residence of {relative['full_name']} is needed")
            # The same kinds of place as the candidate's residence, so the verification reaches a committee.
            relative["residence_unit"] = parse_unit(field, item["residence_unit"], ctx)
        result.append(relative)
    return result


def relative_abroad(field: FieldDef, item: dict, ctx: FieldContext) -> bool:
    """Strictly yes or no: ``bool("false")`` would send a verification abroad by mistake."""
    try:
        return parse_boolean(field, item.get("abroad", False), ctx)
    except FieldProblem:
        raise problem(field, "bad_relative", "abroad phải là có/không", "abroad must be true or false") from None
