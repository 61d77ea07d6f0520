"""Importing units and party members from CSV or XLSX: every line checked first, errors named by line
number, and nothing written unless every line is good.

Units may refer to parents and assigned cells earlier in the same file, so a whole branch of the tree can
be loaded at once. Dates are dd/mm/yyyy (or ISO, or real dates in a spreadsheet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from casework.models import CellType, MemberStatus, Ownership, PartyMember, Unit, UnitKind
from casework.spreadsheets import read_rows  # noqa: F401  (the import pages read files with it)
from casework.web.admin.scope import in_scope, set_path
from casework.web.stepforms import parse_dmy

UNIT_COLUMNS = ("code", "name", "kind", "parent_code", "cell_type", "ownership", "industrial_zone", "has_party_org",
                "assigned_cell_code", "admits_members", "organizing_department")
MEMBER_COLUMNS = ("cell_code", "full_name", "birth_date", "status", "member_since", "official_since",
                  "excluded_from_votes")
_TRUE, _FALSE = {"1", "true", "yes", "x", "có", "co"}, {"", "0", "false", "no", "không", "khong"}


@dataclass
class ImportResult:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def _flag(row: dict, name: str, errors: list[str]) -> bool:
    value = row.get(name)
    if isinstance(value, bool):
        return value
    text = _text(row, name).lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    errors.append(_("%(column)s must be yes or no", column=name))
    return False


def _date(row: dict, name: str, errors: list[str]) -> date | None:
    value = row.get(name)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(row, name)
    if not text:
        return None
    iso = parse_dmy(text)
    if iso is None:
        errors.append(_("%(column)s is not a date dd/mm/yyyy", column=name))
        return None
    return date.fromisoformat(iso)


def _missing_columns(rows: list[dict], needed: tuple[str, ...]) -> list[str]:
    present = set(rows[0]) if rows else set()
    return [c for c in needed if c not in present]


# --------------------------------------------------------------------------------------------------
# Units


def import_units(session: Session, rows: list[dict], roots: list[Unit]) -> ImportResult:
    result = ImportResult()
    missing = _missing_columns(rows, ("code", "name", "kind", "parent_code"))
    if missing or not rows:
        result.errors.append((1, _("Missing columns: %(columns)s", columns=", ".join(missing) or "—")))
        return result
    codes = {_text(r, name) for r in rows for name in ("code", "parent_code", "assigned_cell_code")}
    existing = {u.code: u for u in session.scalars(sa.select(Unit).where(Unit.code.in_(codes)))}
    planned: dict[str, dict] = {}
    in_file = {_text(r, "code") for r in rows}
    for row in rows:
        errors = _check_unit(row, existing, planned, roots, in_file)
        for message in errors:
            result.errors.append((row["_line"], message))
        planned[_text(row, "code")] = row
    if result.errors:
        return result
    result.created = _create_units(session, rows, existing)
    return result


def _check_unit(row: dict, existing: dict[str, Unit], planned: dict[str, dict], roots: list[Unit],
                in_file: set[str]) -> list[str]:
    """Problems of one line; parents must come earlier in the file, assigned cells anywhere in it."""
    errors: list[str] = []
    code, kind = _text(row, "code"), _text(row, "kind")
    if not code or not _text(row, "name"):
        errors.append(_("code and name are required"))
    if code in existing or code in planned:
        errors.append(_("the code %(code)s is already used", code=code))
    if kind not in {k.value for k in UnitKind}:
        errors.append(_("unknown kind %(kind)s", kind=kind))
    parent = _text(row, "parent_code")
    if parent not in planned and (parent not in existing or not in_scope(existing[parent], roots)):
        errors.append(_("the parent %(code)s is not a unit you manage (nor earlier in the file)", code=parent))
    if _text(row, "cell_type") not in {"", *[c.value for c in CellType]}:
        errors.append(_("unknown cell type %(value)s", value=_text(row, "cell_type")))
    if _text(row, "ownership") not in {"", *[o.value for o in Ownership]}:
        errors.append(_("unknown ownership %(value)s", value=_text(row, "ownership")))
    assigned = _text(row, "assigned_cell_code")
    if assigned and assigned not in in_file and assigned not in existing:
        errors.append(_("the assigned cell %(code)s does not exist", code=assigned))
    for name in ("industrial_zone", "has_party_org", "admits_members", "organizing_department"):
        _flag(row, name, errors)
    return errors


def _create_units(session: Session, rows: list[dict], existing: dict[str, Unit]) -> int:
    by_code = dict(existing)
    for row in rows:
        errors: list[str] = []
        unit = Unit(code=_text(row, "code"), name=_text(row, "name"), kind=_text(row, "kind"),
                    parent=by_code[_text(row, "parent_code")], cell_type=_text(row, "cell_type") or None,
                    ownership=_text(row, "ownership") or None,
                    **{n: _flag(row, n, errors) for n in ("industrial_zone", "has_party_org", "admits_members",
                                                          "organizing_department")})
        session.add(unit)
        session.flush()
        set_path(unit)
        by_code[unit.code] = unit
    for row in rows:  # assigned cells may come later in the file than the enterprise
        if _text(row, "assigned_cell_code"):
            by_code[_text(row, "code")].assigned_cell_id = by_code[_text(row, "assigned_cell_code")].id
    session.commit()
    return len(rows)


# --------------------------------------------------------------------------------------------------
# Members


def import_members(session: Session, rows: list[dict], roots: list[Unit]) -> ImportResult:
    result = ImportResult()
    missing = _missing_columns(rows, ("cell_code", "full_name"))
    if missing or not rows:
        result.errors.append((1, _("Missing columns: %(columns)s", columns=", ".join(missing) or "—")))
        return result
    cells = {u.code: u for u in session.scalars(sa.select(Unit).where(
        Unit.code.in_({_text(r, "cell_code") for r in rows}), Unit.kind == UnitKind.CELL))}
    members = []
    for row in rows:
        errors: list[str] = []
        member = _member(row, cells, roots, errors)
        result.errors.extend((row["_line"], m) for m in errors)
        members.append(member)
    if result.errors:
        return result
    session.add_all(members)
    session.commit()
    result.created = len(members)
    return result


def _member(row: dict, cells: dict[str, Unit], roots: list[Unit], errors: list[str]) -> PartyMember | None:
    cell = cells.get(_text(row, "cell_code"))
    if cell is None or not in_scope(cell, roots):
        errors.append(_("%(code)s is not a party cell you manage", code=_text(row, "cell_code")))
    if not _text(row, "full_name"):
        errors.append(_("full_name is required"))
    status = _text(row, "status") or MemberStatus.OFFICIAL.value
    if status not in {s.value for s in MemberStatus}:
        errors.append(_("status must be official or probationary"))
    values = {n: _date(row, n, errors) for n in ("birth_date", "member_since", "official_since")}
    excluded = _flag(row, "excluded_from_votes", errors) if "excluded_from_votes" in row else False
    if errors:
        return None
    return PartyMember(cell_id=cell.id, full_name=_text(row, "full_name"), status=status,
                       excluded_from_votes=excluded, **values)
