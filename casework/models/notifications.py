"""In-app notifications, each person's e-mail preference, and the outbox that e-mail is sent from."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, utcnow
from casework.models.cases import Case, Task
from casework.models.org import User


class MailStatus(enum.StrEnum):
    """What happened to a notice's e-mail: decided by the tick, so the step that caused it never waits."""

    PENDING = "pending"
    QUEUED = "queued"  # an outbox row exists (immediate mail, or part of a digest)
    DIGEST = "digest"  # waiting for the person's daily digest
    SKIPPED = "skipped"  # no SMTP, no address, or the person turned e-mail off


class Notification(Base):
    """One notice to one person (the bell). Kept whatever becomes of its e-mail.

    ``key`` makes clock notices unique per person (``reminder:task:12:5``); notices of new tasks have none,
    a new task being new by construction.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str | None] = mapped_column(sa.String(120))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    text_vi: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_status: Mapped[str] = mapped_column(sa.String(12), default=MailStatus.PENDING, index=True)

    user: Mapped[User] = relationship()
    case: Mapped[Case | None] = relationship()
    task: Mapped[Task | None] = relationship()

    def text(self, locale: str) -> str:
        return self.text_en if locale.startswith("en") else self.text_vi


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY_DIGEST = "daily_digest"
    OFF = "off"


class NotificationPreference(Base):
    """How a person wants notices by e-mail; no row means one e-mail per notice."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(sa.String(16), default=EmailMode.IMMEDIATE)


class OutboxMail(Base):
    """An e-mail waiting to be sent, or sent. A failed send is retried later with back-off until
    ``given_up_at``; one row per notice, or one per person and day for a digest (both unique)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "digest_day", name="uq_mail_outbox_digest"),
        sa.Index("ix_mail_outbox_due", "sent_at", "given_up_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"), unique=True)
    digest_day: Mapped[date | None]
    to_address: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
