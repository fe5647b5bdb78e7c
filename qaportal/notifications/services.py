"""Queueing email in the outbox and reading it back. Sending lives in ``sender.py``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.db import utcnow
from qaportal.notifications.models import OutboxMessage, OutboxStatus
from qaportal.orgs.models import Organisation
from qaportal.pagination import Page, paginate

T = TypeVar("T")

PER_PAGE = 25


def enqueue(
    session: Session,
    to_address: str,
    subject: str,
    body_text: str,
    *,
    organisation_id: int | None = None,
) -> OutboxMessage:
    """Store a message in the caller's transaction: it goes out only if the change commits.

    ``organisation_id`` is the organisation on whose behalf it is sent: the outbox of an
    agency shows its own messages and those of the providers it manages.
    """
    message = OutboxMessage(
        to_address=to_address,
        subject=subject[:300],
        body_text=body_text,
        organisation_id=organisation_id,
    )
    session.add(message)
    session.flush()
    return message


# Single-use links end in a long random token (``secrets.token_urlsafe(32)``: 43 characters).
# Nobody but the recipient needs to read it: the outbox pages show it hidden, and the stored
# body is scrubbed once the message has gone out.
_LINK_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{32,}(?=$|[\s?#/\"'<>)\]])", re.MULTILINE)
REDACTION_MARK = "[one-time-token-hidden]"


def redact_one_time_links(text: str) -> str:
    return _LINK_TOKEN.sub(REDACTION_MARK, text)


# ----- reading the outbox -------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    """One message as the outbox pages show it (plain data, body with links hidden)."""

    id: int
    to_address: str
    subject: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime
    body_text: str

    @property
    def can_retry(self) -> bool:
        return can_retry(self.status, self.attempts)


def can_retry(status: OutboxStatus, attempts: int) -> bool:
    """Failed for good, or queued after a failed attempt (waiting for its backoff)."""
    return status == OutboxStatus.FAILED or (status == OutboxStatus.QUEUED and attempts > 0)


def _row(message: OutboxMessage) -> OutboxRow:
    return OutboxRow(
        id=message.id,
        to_address=message.to_address,
        subject=message.subject,
        status=message.status,
        attempts=message.attempts,
        last_error=message.last_error,
        created_at=message.created_at,
        sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at,
        body_text=redact_one_time_links(message.body_text),
    )


def _in_agency(agency_id: int) -> ColumnElement[bool]:
    orgs = select(Organisation.id).where(
        or_(Organisation.id == agency_id, Organisation.managing_agency_id == agency_id)
    )
    return OutboxMessage.organisation_id.in_(orgs)


def outbox_page(
    session: Session,
    agency_id: int,
    *,
    status: OutboxStatus | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[OutboxRow]:
    """An agency's messages, newest first (two queries, whatever the page size)."""
    conditions = [_in_agency(agency_id)]
    if status is not None:
        conditions.append(OutboxMessage.status == status)
    stmt = (
        select(OutboxMessage)
        .where(*conditions)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    found = paginate(session, stmt, page, per_page, scalars=True)
    return Page(found.number, found.per_page, found.total, [_row(m) for m in found.items])


def find_message(session: Session, agency_id: int, message_id: int) -> OutboxMessage | None:
    """The message if it belongs to this agency's outbox, else None."""
    return session.execute(
        select(OutboxMessage).where(OutboxMessage.id == message_id, _in_agency(agency_id))
    ).scalar_one_or_none()


def message_row(message: OutboxMessage) -> OutboxRow:
    return _row(message)


# ----- retrying -----------------------------------------------------------------------------


class RetryError(ValueError):
    pass


def retry_message(
    session: Session,
    message: OutboxMessage,
    actor: Actor,
    organisation_id: int | None = None,
) -> None:
    """Queue a failed message again, due now, with a fresh round of attempts."""
    if not can_retry(message.status, message.attempts):
        raise RetryError("only a failed message, or one waiting after a failure, can be retried")
    previous = (message.status.value, message.attempts)
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    record(
        session,
        actor,
        "mail.requeued",
        object_type="outbox_message",
        object_id=message.id,
        organisation_id=organisation_id,
        details={"to": message.to_address, "status": previous[0], "attempts": previous[1]},
    )
