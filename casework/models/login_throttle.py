"""Failed sign-in attempts, kept in the database so that every web process sees the same count."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base


class LoginThrottle(Base):
    """Recent failures for one username, whether or not such an account exists (so a lock reveals
    nothing). ``window_started_at`` opens the counting window; ``locked_until`` refuses attempts."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
