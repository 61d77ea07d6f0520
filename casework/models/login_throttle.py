"""Failed sign-in attempts, kept in the database so that every web process sees the same count."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base

#: The ``address`` of the row that counts a username's failures from every address together.
ANY_ADDRESS = "*"


class LoginThrottle(Base):
    """Recent failures for one username from one client address, or from every address together
    (``address`` is ``ANY_ADDRESS``), whether or not such an account exists (so a lock reveals nothing).
    ``window_started_at`` opens the counting window; ``locked_until`` refuses attempts; ``lockouts`` counts
    the locks in a row, so the lock on a username under a distributed guess grows."""

    __tablename__ = "login_throttles"
    __table_args__ = (sa.UniqueConstraint("username_key", "address", name="uq_login_throttles_username_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(sa.String(80))
    address: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    lockouts: Mapped[int] = mapped_column(default=0)
