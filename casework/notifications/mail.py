"""E-mail from the outbox, sent by the tick, never by the step that caused the notice.

A notice's e-mail is decided here (one mail now, a line in tomorrow's digest, or none), written to
``mail_outbox`` and sent; a failed send is logged and retried with growing back-off until ``MAX_ATTEMPTS``,
while the in-app notice stays whatever happens. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so
concurrent ticks send each mail once.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import sqlalchemy as sa

from casework.localtime import day_start
from casework.models import EmailMode, MailStatus, Notification, NotificationPreference, OutboxMail, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from casework.engine import Engine

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
BATCH = 200
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "notifications" / "mail"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "casework@localhost"
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Any) -> MailSettings | None:
        """From the app's ``SMTP_*`` settings; None when no SMTP host is configured (no e-mail at all)."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT") or 25), user=config.get("SMTP_USER"),
                   password=config.get("SMTP_PASSWORD"), sender=config.get("SMTP_FROM") or "casework@localhost",
                   starttls=bool(config.get("SMTP_STARTTLS")))


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                          keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def render(name: str, locale: str, **values) -> tuple[str, str]:
    """Subject and body of a mail template in the person's language (Vietnamese unless they chose English)."""
    lang = "en" if (locale or "").startswith("en") else "vi"
    template = _env.get_template(f"{name}_{lang}.txt")
    subject, _, body = template.render(lang=lang, **values).partition("\n")
    return subject.removeprefix("Subject:").strip(), body.lstrip("\n")


def deliver(session: Session, engine: Engine, settings: MailSettings | None, report) -> None:
    """Decide the e-mail of new notices, assemble digests, then send what is due."""
    report.mails_queued += queue_notices(session, engine, settings)
    if settings is None:
        return
    report.mails_queued += queue_digests(session, engine)
    sent, failed = send_due(session, engine, settings)
    report.mails_sent += sent
    report.mails_failed += failed


def _mode(session: Session, user: User) -> str:
    pref = session.get(NotificationPreference, user.id)
    return pref.email_mode if pref else EmailMode.IMMEDIATE


def queue_notices(session: Session, engine: Engine, settings: MailSettings | None) -> int:
    """Pending notices become an outbox mail, wait for the digest, or are skipped (no SMTP, no address,
    e-mail off); without SMTP nothing piles up for the day it is configured."""
    queued = 0
    while True:
        batch = session.scalars(sa.select(Notification).where(Notification.mail_status == MailStatus.PENDING)
                                .order_by(Notification.id).limit(BATCH)
                                .with_for_update(skip_locked=True, of=Notification)).all()
        if not batch:
            session.commit()
            return queued
        for notice in batch:
            queued += _queue_one(session, notice, settings, engine.now())
        session.commit()


def _queue_one(session: Session, notice: Notification, settings: MailSettings | None, now: datetime) -> int:
    user = notice.user
    mode = _mode(session, user)
    if settings is None or not user.email or not user.active or mode == EmailMode.OFF:
        notice.mail_status = MailStatus.SKIPPED
        return 0
    if mode == EmailMode.DAILY_DIGEST:
        notice.mail_status = MailStatus.DIGEST
        return 0
    subject, body = render("notice", user.locale, user=user, notice=notice, text=notice.text(user.locale))
    session.add(OutboxMail(user_id=user.id, notification_id=notice.id, to_address=user.email, subject=subject,
                           body=body, next_attempt_at=now, created_at=now))
    notice.mail_status = MailStatus.QUEUED
    return 1


def queue_digests(session: Session, engine: Engine) -> int:
    """One digest per person and day, of the notices from earlier days that wait for it."""
    today = engine.today()
    midnight = day_start(today)
    waiting = sa.select(Notification.user_id).where(Notification.mail_status == MailStatus.DIGEST,
                                                    Notification.created_at < midnight).distinct()
    queued = 0
    for user_id in session.scalars(waiting).all():
        notices = session.scalars(sa.select(Notification).where(
            Notification.user_id == user_id, Notification.mail_status == MailStatus.DIGEST,
            Notification.created_at < midnight).order_by(Notification.id)
            .with_for_update(skip_locked=True, of=Notification)).all()
        if notices:
            queued += _queue_digest(session, notices, today, engine.now())
        session.commit()
    return queued


def _queue_digest(session: Session, notices: list[Notification], today, now: datetime) -> int:
    user = notices[0].user
    if session.scalar(sa.select(OutboxMail.id).where(OutboxMail.user_id == user.id,
                                                     OutboxMail.digest_day == today)) is not None:
        return 0  # today's digest is already out: these wait for tomorrow's
    for notice in notices:
        notice.mail_status = MailStatus.QUEUED
    lines = [n.text(user.locale) for n in notices]
    subject, body = render("digest", user.locale, user=user, lines=lines, day=today)
    session.add(OutboxMail(user_id=user.id, digest_day=today, to_address=user.email or "", subject=subject,
                           body=body, next_attempt_at=now, created_at=now))
    return 1


def send_due(session: Session, engine: Engine, settings: MailSettings) -> tuple[int, int]:
    """Send each due outbox mail in its own transaction; a failure is logged and scheduled again."""
    sent = failed = 0
    seen: set[int] = set()
    while True:
        now = engine.now()
        mail = session.scalar(sa.select(OutboxMail).where(
            OutboxMail.sent_at.is_(None), OutboxMail.given_up_at.is_(None), OutboxMail.next_attempt_at <= now,
            OutboxMail.id.not_in(seen) if seen else sa.true()).order_by(OutboxMail.id).limit(1)
            .with_for_update(skip_locked=True))
        if mail is None:
            session.commit()
            return sent, failed
        seen.add(mail.id)
        if _send_one(mail, settings, now):
            sent += 1
        else:
            failed += 1
        session.commit()


def _send_one(mail: OutboxMail, settings: MailSettings, now: datetime) -> bool:
    mail.attempts += 1
    try:
        smtp_send(settings, mail.to_address, mail.subject, mail.body)
    except (OSError, smtplib.SMTPException) as exc:
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if mail.attempts >= MAX_ATTEMPTS:
            mail.given_up_at = now
            log.error("mail %s to %s given up after %s attempts: %s", mail.id, mail.to_address, mail.attempts, exc)
        else:
            mail.next_attempt_at = now + retry_delay(mail.attempts)
            log.warning("mail %s to %s failed (attempt %s), retrying: %s", mail.id, mail.to_address, mail.attempts,
                        exc)
        return False
    mail.sent_at = now
    mail.last_error = None
    return True


def retry_delay(attempts: int) -> timedelta:
    """5 minutes, then doubling, at most 6 hours: a mail server down overnight is not hammered."""
    return min(FIRST_RETRY * (2 ** (attempts - 1)), LONGEST_RETRY)


def smtp_send(settings: MailSettings, to_address: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to_address
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)
