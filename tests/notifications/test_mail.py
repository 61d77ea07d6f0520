"""E-mail from the outbox: in the person's language, retried after a failure, a digest a day on request."""

from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import sqlalchemy as sa

from casework.clock import run_tick
from casework.models import EmailMode, MailStatus, Notification, NotificationPreference, OutboxMail
from casework.notifications.mail import MailSettings, retry_delay
from tests.conftest import START_DAY
from tests.notifications.conftest import free_port
from tests.walk import Walker


def subject_of(raw: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(raw)["Subject"])))


def body_of(raw: bytes) -> str:
    return message_from_bytes(raw).get_payload(decode=True).decode()


def with_email(org, username: str, locale: str = "vi"):
    user = org.users[username]
    user.email = f"{username}@example.vn"
    user.locale = locale
    return user


def test_a_new_task_is_mailed_in_vietnamese_once(session, engine, org, smtp_sink):
    with_email(org, "cell_secretary")
    session.commit()
    Walker(session, engine, org)
    settings = MailSettings(host="127.0.0.1", port=smtp_sink.port)
    report = run_tick(session, engine, mail_settings=settings)
    assert (report.mails_queued, report.mails_sent) == (1, 1)
    (rcpt, raw), = smtp_sink.received
    assert rcpt == ["cell_secretary@example.vn"]
    assert subject_of(raw).startswith("[Kết nạp đảng viên] Việc mới")
    assert "Kính gửi" in body_of(raw)
    assert run_tick(session, engine, mail_settings=settings).mails_sent == 0


def test_english_speakers_get_the_english_template(session, engine, org, smtp_sink):
    with_email(org, "cell_secretary", "en")
    session.commit()
    Walker(session, engine, org)
    run_tick(session, engine, mail_settings=MailSettings(host="127.0.0.1", port=smtp_sink.port))
    (_, raw), = smtp_sink.received
    assert subject_of(raw).startswith("[Party admission] New task") and "Dear" in body_of(raw)


def test_an_smtp_failure_keeps_the_notice_and_the_mail_is_retried(session, engine, org, clock, smtp_sink):
    with_email(org, "cell_secretary")
    session.commit()
    Walker(session, engine, org)
    down = MailSettings(host="127.0.0.1", port=free_port())  # nothing listens there
    report = run_tick(session, engine, mail_settings=down)
    assert (report.mails_sent, report.mails_failed) == (0, 1)
    mail = session.scalar(sa.select(OutboxMail))
    assert mail.attempts == 1 and mail.sent_at is None and mail.last_error
    notice = session.scalar(sa.select(Notification))
    assert notice.read_at is None and notice.mail_status == MailStatus.QUEUED
    up = MailSettings(host="127.0.0.1", port=smtp_sink.port)
    assert run_tick(session, engine, mail_settings=up).mails_sent == 0  # not before its next attempt
    clock.advance(seconds=int(retry_delay(1).total_seconds()))
    assert run_tick(session, engine, mail_settings=up).mails_sent == 1
    session.refresh(mail)
    assert mail.attempts == 2 and mail.sent_at is not None and len(smtp_sink.received) == 1


def test_retries_back_off_and_stop(session, engine, org, clock):
    assert [retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert retry_delay(20) == timedelta(hours=6)
    with_email(org, "cell_secretary")
    session.commit()
    Walker(session, engine, org)
    down = MailSettings(host="127.0.0.1", port=free_port())
    for _ in range(10):
        run_tick(session, engine, mail_settings=down)
        clock.advance(seconds=6 * 3600)
    mail = session.scalar(sa.select(OutboxMail))
    assert mail.attempts == 8 and mail.given_up_at is not None and mail.sent_at is None


def test_without_smtp_only_the_in_app_notice_remains(session, engine, org):
    with_email(org, "cell_secretary")
    session.commit()
    Walker(session, engine, org)
    run_tick(session, engine, mail_settings=None)
    assert session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
    assert session.scalar(sa.select(Notification.mail_status)) == MailStatus.SKIPPED


def test_a_daily_digest_gathers_the_previous_days_notices_once(session, engine, org, clock, smtp_sink):
    user = with_email(org, "cell_secretary")
    session.add(NotificationPreference(user_id=user.id, email_mode=EmailMode.DAILY_DIGEST))
    session.commit()
    settings = MailSettings(host="127.0.0.1", port=smtp_sink.port)
    Walker(session, engine, org)
    Walker(session, engine, org)
    assert run_tick(session, engine, mail_settings=settings).mails_sent == 0  # today's wait for tomorrow
    clock.set_day(START_DAY + timedelta(days=1))
    assert run_tick(session, engine, mail_settings=settings).mails_sent == 1
    assert run_tick(session, engine, mail_settings=settings).mails_sent == 0
    (_, raw), = smtp_sink.received
    assert "Tổng hợp thông báo ngày 17/11/2026 (2)" in subject_of(raw)
    assert body_of(raw).count("Việc mới") == 2
    assert session.scalar(sa.select(OutboxMail.digest_day)) == date(2026, 11, 17)
