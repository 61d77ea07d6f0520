"""The founding workflow's subject is the enterprise itself, a unit of the organisation tree (``units``, kind
``enterprise``): it needs no table of its own. ``cases.subject_id`` is the enterprise's unit id, ``subject_key``
that id while the case is open (so the database refuses a second open founding case for one enterprise) and
``title`` its name; importing this module attaches ``Case.enterprise``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import foreign, relationship

from casework.models import Case, Unit

WORKFLOW = "founding"

# A founding case's subject, joined where the case is loaded (guards, routing, the case page, the printed forms),
# and only for founding cases: another workflow's subject_id points at another table.
Case.enterprise = relationship(
    Unit, primaryjoin=sa.and_(foreign(Case.subject_id) == Unit.id, Case.workflow == WORKFLOW),
    lazy="joined", uselist=False, viewonly=True)
