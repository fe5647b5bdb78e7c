"""Sending the outbox over SMTP (smtplib), with retries and exponential backoff.

``send_due`` takes a database session and ``MailSettings``; it knows nothing of Flask's
request. Each message is first *claimed* (its next attempt moved a lease into the future, in
its own short transaction), so several workers never send the same message twice, and a
worker that dies mid-way only delays the message by the lease. Every outcome is recorded on
the message and in the audit trail (``mail.sent``, ``mail.failed``).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.db import utcnow
from qaportal.notifications.models import OutboxMessage, OutboxStatus
from qaportal.notifications.services import redact_one_time_links

MAILER = Actor.system("mailer")

# Domains whose mail can go stale (a feedback campaign that closed by date) register a
# check here; it runs before every batch, so stale mail is withdrawn before it can be sent.
BeforeSend = Callable[[Session], object]
_BEFORE_SEND: list[BeforeSend] = []


def register_before_send(check: BeforeSend) -> BeforeSend:
    """Run ``check(session)`` before each batch of ``send_due`` (idempotent; a decorator)."""
    if check not in _BEFORE_SEND:
        _BEFORE_SEND.append(check)
    return check


@dataclass(frozen=True)
class MailSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    sender: str = "qaportal <noreply@localhost>"
    # With the backoff below, 30 attempts spread over 24 h 3 min: a mail server that is down
    # for a day loses nothing (``retry_span``).
    max_attempts: int = 30
    timeout: float = 30.0
    batch_size: int = 100
    first_backoff: dt.timedelta = dt.timedelta(minutes=1)
    # Capped at an hour, so a message is tried again soon after the server is back.
    max_backoff: dt.timedelta = dt.timedelta(hours=1)
    # How long a claimed message stays reserved for the worker that claimed it.
    lease: dt.timedelta = dt.timedelta(minutes=10)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            host=config["MAIL_HOST"],
            port=int(config["MAIL_PORT"]),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            starttls=bool(config.get("MAIL_STARTTLS")),
            ssl=bool(config.get("MAIL_SSL")),
            sender=config["MAIL_FROM"],
            max_attempts=max(1, int(config.get("MAIL_MAX_ATTEMPTS", cls.max_attempts))),
            timeout=float(config.get("MAIL_TIMEOUT", 30)),
        )

    @property
    def sender_domain(self) -> str:
        address = parseaddr(self.sender)[1]
        return address.rpartition("@")[2] or "localhost"


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0  # failed this time, will be tried again later
    failed: int = 0  # failed for good
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int, settings: MailSettings) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4, 8… minutes, capped."""
    exponent = min(max(attempts - 1, 0), 30)
    return min(settings.first_backoff * (2**exponent), settings.max_backoff)


def retry_span(settings: MailSettings) -> dt.timedelta:
    """How long after its first failed attempt a message is given up (all the waits)."""
    return sum((backoff(n, settings) for n in range(1, settings.max_attempts)), dt.timedelta())


def build_email(message: OutboxMessage, settings: MailSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    # Stable across retries, so a duplicate after a crash is recognisable as one.
    stamp = message.created_at.strftime("%Y%m%d%H%M%S")
    email["Message-ID"] = f"<qaportal.{message.id}.{stamp}@{settings.sender_domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    email.set_content(message.body_text)
    return email


def _connect(settings: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.ssl:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.starttls and not settings.ssl:
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{addr}: {code} {msg.decode(errors='replace')}"
            for addr, (code, msg) in exc.recipients.items()
        ]
        text = "recipient refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    else:
        text = str(exc) or "no details"
    return f"{type(exc).__name__}: {text}"[:1000]


def _permanent(exc: BaseException) -> bool:
    """A malformed message, or a 5xx refusal of the recipient, will not change by retrying."""
    if isinstance(exc, ValueError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return False


def _connection_problem(exc: BaseException) -> bool:
    """The connection is unusable afterwards (as opposed to a refusal of one message)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # smtplib's exceptions are OSErrors too; the others are socket and TLS failures.
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _due_ids(session: Session, now: dt.datetime, limit: int) -> list[int]:
    return list(
        session.execute(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).scalars()
    )


def _claim(session: Session, message_id: int, now: dt.datetime, lease: dt.timedelta) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _mark_sent(session: Session, message: OutboxMessage, now: dt.datetime) -> None:
    message.attempts += 1
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.last_error = None
    # The recipient has the link now; nobody who can read the table needs it any more.
    message.body_text = redact_one_time_links(message.body_text)
    record(
        session,
        MAILER,
        "mail.sent",
        object_type="outbox_message",
        object_id=message.id,
        details={"to": message.audit_recipient, "attempt": message.attempts},
    )


def _mark_failed(
    session: Session,
    message: OutboxMessage,
    exc: BaseException,
    now: dt.datetime,
    settings: MailSettings,
) -> bool:
    """Record a failed attempt; True if the message has now failed for good."""
    message.attempts += 1
    message.last_error = _describe(exc)
    final = _permanent(exc) or message.attempts >= settings.max_attempts
    if final:
        message.status = OutboxStatus.FAILED
        message.next_attempt_at = now
    else:
        message.next_attempt_at = now + backoff(message.attempts, settings)
    record(
        session,
        MAILER,
        "mail.failed",
        object_type="outbox_message",
        object_id=message.id,
        details={
            "to": message.audit_recipient,
            "attempt": message.attempts,
            "error": message.without_address(message.last_error),
            "final": final,
            "next_attempt_at": None if final else message.next_attempt_at.isoformat(),
        },
    )
    return final


def send_due(
    session: Session, settings: MailSettings, *, now: dt.datetime | None = None
) -> SendSummary:
    """Send up to ``settings.batch_size`` queued messages that are due; commit each outcome.

    ``now`` fixes the clock (tests use it to step through the backoff).
    """

    def clock() -> dt.datetime:
        return now or utcnow()

    summary = SendSummary()
    for check in _BEFORE_SEND:
        check(session)
    session.commit()
    start = clock()
    claimed = [
        message_id
        for message_id in _due_ids(session, start, settings.batch_size)
        if _claim(session, message_id, start, settings.lease)
    ]
    session.commit()
    smtp: smtplib.SMTP | None = None
    connect_error: BaseException | None = None
    try:
        for message_id in claimed:
            # Fresh from the database: the session may hold an older copy from a previous round.
            message = session.get(OutboxMessage, message_id, populate_existing=True)
            # Withdrawn since it was claimed (its campaign closed): it must not go out.
            if message is None or message.status != OutboxStatus.QUEUED:
                continue
            try:
                email = build_email(message, settings)
                if connect_error is not None:
                    raise connect_error
                if smtp is None:
                    try:
                        smtp = _connect(settings)
                    except (OSError, smtplib.SMTPException) as exc:
                        # The rest of this batch would meet the same server: fail them alike.
                        connect_error = exc
                        raise
                smtp.send_message(email)
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                if _mark_failed(session, message, exc, clock(), settings):
                    summary.failed += 1
                else:
                    summary.retrying += 1
                described = _describe(exc)
                if described not in summary.errors:
                    summary.errors.append(described)
                if smtp is not None and _connection_problem(exc):
                    _quietly_close(smtp)
                    smtp = None
            else:
                _mark_sent(session, message, clock())
                summary.sent += 1
            session.commit()
    finally:
        if smtp is not None:
            _quietly_close(smtp)
    return summary


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
