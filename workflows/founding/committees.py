"""Which committee founds party organisations in an enterprise, set per unit by an administrator.

By default the tree says it: the nearest committee above the enterprise (the industrial-zone committee for a zone
enterprise, else the commune or ward committee where it is; ``subject.founding_committee_of``). The procedure
makes it configurable per unit: a row here names the committee for an enterprise, or for every enterprise under a
commune or zone committee; the nearest setting above an enterprise (the enterprise's own first) wins. The chosen
unit must be a committee that founds (a grassroots committee or a commune/ward committee). A founding case keeps
the committee it was opened under; a setting changes the cases opened after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from casework.engine.reasons import Reason
from casework.engine.unit_settings import UnitSetting, unit_setting
from casework.models import Base, Unit, UnitKind

# Committees that can found an organisation in an enterprise beneath them.
COMMITTEE_KINDS = frozenset({UnitKind.GRASSROOTS_COMMITTEE, UnitKind.COMMUNE_COMMITTEE})
# The units a setting is made on: an enterprise, or a committee for the enterprises under it.
SET_ON = frozenset({UnitKind.ENTERPRISE, UnitKind.COMMUNE_COMMITTEE, UnitKind.GRASSROOTS_COMMITTEE})


class FoundingCommittee(Base):
    """The committee that founds party organisations in the enterprise ``unit_id``, or in every enterprise under
    it (a commune or zone committee)."""

    __tablename__ = "founding_committees"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)


def set_committee_of(session: Session, unit: Unit) -> Unit | None:
    """The committee set for the unit or the nearest unit above it that has one, or None (the tree decides)."""
    ids = unit.ancestor_ids or [unit.id]
    found = dict(session.execute(sa.select(FoundingCommittee.unit_id, FoundingCommittee.committee_id)
                                 .where(FoundingCommittee.unit_id.in_(ids))).all())
    nearest = next((found[i] for i in reversed(ids) if i in found), None)
    return session.get(Unit, nearest) if nearest is not None else None


def tree_committee_of(session: Session, unit: Unit) -> Unit | None:
    """The nearest committee above the unit in the tree (for a committee: the unit itself)."""
    from casework.engine.routing import ancestors

    if unit.kind in COMMITTEE_KINDS:
        return unit
    return next((u for u in ancestors(session, unit) if u.kind in COMMITTEE_KINDS), None)


def _choices(session: Session, unit: Unit, managed: list[Unit]) -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in managed if u.kind in COMMITTEE_KINDS]


def _current(session: Session, unit: Unit) -> int | None:
    row = session.get(FoundingCommittee, unit.id)
    return row.committee_id if row else None


def _default(session: Session, unit: Unit) -> str:
    """Without a setting here: the nearest one above, else the tree's committee."""
    committee = (set_committee_of(session, unit.parent) if unit.parent is not None else None) \
        or tree_committee_of(session, unit)
    return committee.name if committee is not None else "—"


def check_committee(session: Session, committee_id: int | None) -> Reason | None:
    """A committee that founds organisations, or a refusal saying why not."""
    committee = session.get(Unit, committee_id) if committee_id is not None else None
    if committee is None:
        return Reason("unknown_unit", "Không có đơn vị này.", "There is no such unit.", {"unit_id": committee_id})
    if committee.kind not in COMMITTEE_KINDS:
        return Reason("not_a_founding_committee",
                      f"{committee.name} không phải đảng ủy cơ sở hay đảng ủy xã, phường: không thể thành lập tổ "
                      "chức đảng trong doanh nghiệp.",
                      f"{committee.name} is not a grassroots or commune/ward committee: it cannot found party "
                      "organisations in enterprises.", {"unit_id": committee.id})
    return None


def _save(session: Session, unit: Unit, committee_id: int | None) -> Reason | None:
    if unit.kind not in SET_ON:
        return Reason("not_settable", "Chỉ đặt cho doanh nghiệp hoặc đảng ủy.",
                      "Set only on an enterprise or a committee.", {"unit_id": unit.id})
    row = session.get(FoundingCommittee, unit.id)
    if committee_id is None:
        if row is not None:
            session.delete(row)
        return None
    refused = check_committee(session, committee_id)
    if refused is not None:
        return refused
    if row is None:
        session.add(FoundingCommittee(unit_id=unit.id, committee_id=committee_id))
    else:
        row.committee_id = committee_id
    return None


SETTING = unit_setting(UnitSetting(
    name="founding_committee",
    label={"vi": "Đảng ủy thành lập tổ chức đảng trong doanh nghiệp",
           "en": "Committee that founds party organisations in enterprises"},
    help={"vi": "Để trống: theo cây tổ chức (đảng ủy khu công nghiệp với doanh nghiệp trong khu, nếu không là đảng "
                "ủy xã, phường nơi doanh nghiệp đóng). Đặt ở một đảng ủy: áp dụng cho mọi doanh nghiệp thuộc đảng ủy "
                "đó. Hồ sơ đang mở giữ đảng ủy đã nhận hồ sơ.",
          "en": "Empty: as the tree says (the industrial-zone committee for a zone enterprise, else the commune or "
                "ward committee where it is). Set on a committee: for every enterprise under it. Open cases keep "
                "the committee they were opened under."},
    unit_kinds=SET_ON, choices=_choices, current=_current, default=_default, save=_save))
