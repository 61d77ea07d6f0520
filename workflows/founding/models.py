"""The founding workflow's subject is the enterprise itself, a unit of the organisation tree (``units``, kind
``enterprise``): it needs no table of its own. ``cases.subject_id`` is the enterprise's unit id, ``subject_key``
that id while the case is open (so the database refuses a second open founding case for one enterprise) and
``title`` its name; importing this module attaches ``Case.enterprise``.

Its one table is the register of party organisations founded before the system (``PartyOrgFounding``, imported
by hand on ``/monitoring/party-organisations``, ``workflows.founding.imported``): the ``new_party_orgs`` target
counts them beside the organisations its decisions found (``workflows.founding.monitoring``)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from casework.models import Base, Case, Unit, utcnow

WORKFLOW = "founding"

# A founding case's subject, joined where the case is loaded (guards, routing, the case page, the printed forms),
# and only for founding cases: another workflow's subject_id points at another table.
Case.enterprise = relationship(
    Unit, primaryjoin=sa.and_(foreign(Case.subject_id) == Unit.id, Case.workflow == WORKFLOW),
    lazy="joined", uselist=False, viewonly=True)


class PartyOrgFounding(Base):
    """A party organisation founded in an enterprise before the system (thành lập tổ chức đảng trong doanh
    nghiệp), recorded by hand: one founded through a founding case counts from its decision instead."""

    __tablename__ = "party_org_foundings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    founded_on: Mapped[date] = mapped_column(index=True)
    ownership: Mapped[str] = mapped_column(sa.String(32))
    decision_number: Mapped[str] = mapped_column(sa.String(50))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    notes: Mapped[str] = mapped_column(sa.Text(), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Unit] = relationship(foreign_keys=[enterprise_id])
