"""The admission workflow's own tables: the candidate (the subject of its cases), ``Case.candidate``, and the
admissions tally its monitoring keeps (``workflows.admission.monitoring``).

The core's ``Case`` names no subject table: ``cases.subject_id`` is the subject's id in whatever table the
workflow's package says, ``cases.subject_key`` its natural key while the case is open and ``cases.title`` its
display name. For admission the subject is a candidate, keyed by national ID; importing this module (the
package does) maps the table and attaches ``Case.candidate``.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, foreign, mapped_column, relationship

from casework.models import Base, Case, Unit

WORKFLOW = "admission"


class AdmissionTally(Base):
    """Admissions (entering ``admitted``) per owning cell, referring organisation (0: none), year and whether
    the candidate owns a business: what targets, forecasts and the unions' table count. Kept and rebuilt by
    ``workflows.admission.monitoring``."""

    __tablename__ = "admission_tallies"
    __table_args__ = (sa.UniqueConstraint("year", "owning_cell_id", "referring_org_id", "business_owner",
                                          name="uq_admission_tallies_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owning_cell_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    # No foreign key: 0 stands for "referred by no organisation" so the unique key can match it.
    referring_org_id: Mapped[int]
    year: Mapped[int]
    business_owner: Mapped[bool]
    n: Mapped[int]


class Candidate(Base):
    """The worker being considered (quần chúng ưu tú); one row per person, keyed by national ID."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(sa.String(16))
    national_id: Mapped[str] = mapped_column(sa.String(20), unique=True)
    residence_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    workplace_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    is_business_owner: Mapped[bool] = mapped_column(default=False)

    residence_unit: Mapped[Unit] = relationship(foreign_keys=[residence_unit_id])
    workplace_unit: Mapped[Unit] = relationship(foreign_keys=[workplace_unit_id])


# An admission case's subject. Joined where the case is loaded (guards, routing, the case page and printables
# read it), and only for admission cases: another workflow's subject_id points at another table.
Case.candidate = relationship(
    Candidate, primaryjoin=sa.and_(foreign(Case.subject_id) == Candidate.id, Case.workflow == WORKFLOW),
    lazy="joined", uselist=False)


@event.listens_for(Session, "before_flush")
def _retitle_cases(session: Session, flush_context, instances) -> None:
    """A candidate's new name becomes the title of their cases (inbox lists, search and exports show it)."""
    for candidate in session.dirty:
        if not isinstance(candidate, Candidate) or candidate.id is None:
            continue
        history = sa.inspect(candidate).attrs.full_name.history
        if history.has_changes():
            session.execute(sa.update(Case).where(Case.workflow == WORKFLOW, Case.subject_id == candidate.id)
                            .values(title=candidate.full_name).execution_options(synchronize_session="fetch"))
