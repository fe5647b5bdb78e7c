"""Single-use random tokens for links sent by email. Only their SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from qaportal.auth.models import OneTimeToken, Role, TokenPurpose
from qaportal.db import utcnow

TOKEN_BYTES = 32  # 256 bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class IssuedToken:
    record: OneTimeToken
    token: str  # the clear token: goes into the email, never into the database


def issue_token(
    session: Session,
    purpose: TokenPurpose,
    email: str,
    *,
    lifetime: dt.timedelta,
    user_id: int | None = None,
    organisation_id: int | None = None,
    role: Role | None = None,
    created_by_id: int | None = None,
) -> IssuedToken:
    token = new_token()
    record = OneTimeToken(
        purpose=purpose,
        token_hash=hash_token(token),
        email=email,
        user_id=user_id,
        organisation_id=organisation_id,
        role=role,
        created_by_id=created_by_id,
        expires_at=utcnow() + lifetime,
    )
    session.add(record)
    session.flush()
    return IssuedToken(record, token)


class TokenError(Exception):
    """The link is unknown, used, revoked or expired; ``reason`` says which.

    ``record`` is the stored token when the link is known (used, revoked or expired).
    """

    def __init__(self, reason: str, record: OneTimeToken | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record = record


def find_token(session: Session, purpose: TokenPurpose, token: str) -> OneTimeToken | None:
    """The stored token for this clear token, usable or not (with its organisation)."""
    if not token or len(token) > 200:
        return None
    return session.execute(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == purpose)
        .options(joinedload(OneTimeToken.organisation), joinedload(OneTimeToken.created_by))
    ).scalar_one_or_none()


def find_usable_token(session: Session, purpose: TokenPurpose, token: str) -> OneTimeToken:
    record = find_token(session, purpose, token)
    if record is None:
        raise TokenError("unknown")
    if record.used_at is not None:
        raise TokenError("used", record)
    if record.revoked_at is not None:
        raise TokenError("revoked", record)
    if record.expires_at <= utcnow():
        raise TokenError("expired", record)
    return record


def consume(session: Session, record: OneTimeToken) -> None:
    """Use the token up, atomically: of two concurrent uses only one succeeds."""
    now = utcnow()
    result = session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == record.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.revoked_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise TokenError("used", record)
    set_committed_value(record, "used_at", now)  # already written; no second UPDATE


def mark_used(record: OneTimeToken) -> None:
    record.used_at = utcnow()
