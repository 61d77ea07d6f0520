"""The founding workflow's own field types: the party members working at the enterprise (each with the cell they
attend today, which gets their transfer task) and one member of the register (the interim secretary)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casework.engine.fields import FieldContext, field_type, parse_id_value, problem
from casework.models import MemberStatus, PartyMember, Unit, UnitKind

if TYPE_CHECKING:
    from casework.engine.definition import FieldDef

_STATUSES = (MemberStatus.OFFICIAL.value, MemberStatus.PROBATIONARY.value)
_MEMBER_SCHEMA = {"type": "object", "required": ["full_name"], "properties": {
    "full_name": {"type": "string"}, "member_id": {"type": "integer"}, "status": {"enum": list(_STATUSES)},
    "current_cell": {"type": "integer"}}}


@field_type("working_members", json_schema={"type": "array", "items": _MEMBER_SCHEMA})
def parse_working_members(field: FieldDef, raw: Any, ctx: FieldContext) -> list[dict]:
    """Each member by name, with their register id when known (then their cell and status are the register's),
    else their status and the cell they attend today. A member is listed once."""
    if not isinstance(raw, list):
        raise problem(field, "not_list", "phải là danh sách", "must be a list")
    members = [_member(field, item, ctx) for item in raw]
    ids = [m["member_id"] for m in members if "member_id" in m]
    if len(set(ids)) != len(ids):
        raise problem(field, "duplicate_member", "có người bị lặp", "lists someone twice")
    return members


def _member(field: FieldDef, item: Any, ctx: FieldContext) -> dict[str, Any]:
    if not isinstance(item, dict) or not str(item.get("full_name", "")).strip():
        raise problem(field, "bad_member", "mỗi đảng viên cần họ tên", "each member needs a full name")
    member: dict[str, Any] = {"full_name": str(item["full_name"]).strip()}
    if item.get("member_id") not in (None, ""):
        row = ctx.session.get(PartyMember, parse_id_value(field, item["member_id"]))
        if row is None:
            raise problem(field, "unknown_member", f"không có đảng viên mã {item['member_id']}",
                          f"no party member with id {item['member_id']}")
        cell = _cell(field, item.get("current_cell"), ctx) if item.get("current_cell") not in (None, "") else None
        if cell is not None and cell != row.cell_id:
            raise problem(field, "member_cell_mismatch", f"{member['full_name']} không sinh hoạt ở chi bộ đã ghi",
                          f"{member['full_name']} does not attend the cell given", member_id=row.id)
        member.update({"member_id": row.id, "status": row.status, "current_cell": row.cell_id})
        return member
    if item.get("status") not in _STATUSES:
        raise problem(field, "bad_member_status", f"trạng thái của {member['full_name']} phải là official hoặc "
                      "probationary", f"the status of {member['full_name']} must be official or probationary")
    if item.get("current_cell") in (None, ""):
        raise problem(field, "member_cell_missing", f"cần chi bộ {member['full_name']} đang sinh hoạt",
                      f"the cell {member['full_name']} attends is needed")
    member.update({"status": item["status"], "current_cell": _cell(field, item["current_cell"], ctx)})
    return member


def _cell(field: FieldDef, raw: Any, ctx: FieldContext) -> int:
    unit = ctx.session.get(Unit, parse_id_value(field, raw))
    if unit is None or unit.kind != UnitKind.CELL:
        raise problem(field, "not_a_cell", "phải là một chi bộ", "must be a party cell", unit_id=raw)
    return unit.id


@field_type("party_member", json_schema={"type": "integer"})
def parse_party_member(field: FieldDef, raw: Any, ctx: FieldContext) -> int:
    """One member of the register, by id."""
    member = ctx.session.get(PartyMember, parse_id_value(field, raw))
    if member is None:
        raise problem(field, "unknown_member", f"không có đảng viên mã {raw}", f"no party member with id {raw}")
    return member.id
