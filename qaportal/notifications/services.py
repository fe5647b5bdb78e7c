"""Queueing email in the outbox. Sending lives in ``sender.py``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qaportal.notifications.models import OutboxMessage


def enqueue(session: Session, to_address: str, subject: str, body_text: str) -> OutboxMessage:
    """Store a message in the caller's transaction: it goes out only if the change commits."""
    message = OutboxMessage(to_address=to_address, subject=subject[:300], body_text=body_text)
    session.add(message)
    session.flush()
    return message
