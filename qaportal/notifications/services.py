"""Queueing email in the outbox and reading it back. Sending lives in ``sender.py``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, func, or_, select, update
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
    reference: str | None = None,
) -> OutboxMessage:
    """Store a message in the caller's transaction: it goes out only if the change commits.

    ``organisation_id`` is the organisation on whose behalf it is sent: the outbox of an
    agency shows its own messages and those of the providers it manages. ``reference``
    ("type:id") marks mail to people without an account whose address must go when that
    thing ends (see ``withdraw``); the audit trail then never records the address.
    """
    message = OutboxMessage(
        to_address=to_address,
        subject=subject[:300],
        body_text=body_text,
        organisation_id=organisation_id,
        reference=reference,
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


WITHDRAWN_BODY = "[withdrawn before it was sent]"


@dataclass(frozen=True)
class Withdrawal:
    withdrawn: int  # unsent messages that will now never go out
    erased: int  # messages already sent whose recipient address was erased


def withdraw(session: Session, reference: str) -> Withdrawal:
    """Erase the recipients of every message with this reference.

    Unsent messages become ``withdrawn`` (the sender only takes ``queued`` ones) and lose
    their body too, which holds a link that is dead now; sent ones keep their subject and
    their already scrubbed body. Errors are cleared because SMTP errors quote the address.
    """
    unsent = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.reference == reference,
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.FAILED]),
        )
        .values(
            status=OutboxStatus.WITHDRAWN,
            to_address="",
            body_text=WITHDRAWN_BODY,
            last_error=None,
        )
        .execution_options(synchronize_session="fetch")
    ).rowcount
    sent = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.reference == reference, OutboxMessage.to_address != "")
        .values(to_address="", last_error=None)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    return Withdrawal(withdrawn=unsent, erased=sent)


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
        details={"to": message.audit_recipient, "status": previous[0], "attempts": previous[1]},
    )


def count_failed(session: Session, agency_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED, _in_agency(agency_id))
        )
        or 0
    )


def retry_all_failed(session: Session, agency_id: int, actor: Actor) -> int:
    """Queue every failed message of the agency's outbox again, due now, each with a fresh
    round of attempts (after an outage); one audit event with the count. Returns it."""
    count = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, _in_agency(agency_id))
        .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if count:
        record(
            session,
            actor,
            "mail.requeued_all",
            object_type="organisation",
            object_id=agency_id,
            organisation_id=agency_id,
            details={"count": count},
        )
    return count
