"""The record of a synthetic-data run (``casework generate``): what it was asked for and which of its batches are
written, so a run that was interrupted can be continued and ends as an uninterrupted one would."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, utcnow


class GenerationRun(Base):
    """One ``casework generate``: its arguments, the day it simulated up to, and its plan (the first id of every
    table it writes, the provinces, the indexes it set aside while loading). ``finished_at`` is empty until the
    last batch is written and the tallies, indexes and sequences are brought up to date."""

    __tablename__ = "generation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    cases: Mapped[int]
    batch_size: Mapped[int]
    today: Mapped[date]
    plan: Mapped[dict] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class GenerationBatch(Base):
    """A batch of a run that is written: inserted in the same transaction as the batch's rows."""

    __tablename__ = "generation_batches"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("generation_runs.id"), primary_key=True)
    batch: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
