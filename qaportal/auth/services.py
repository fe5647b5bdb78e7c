"""Accounts and sign-in sessions. No Flask request here: callers pass what they know."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from qaportal.audit.services import Actor, record, record_repeated
from qaportal.auth.models import Membership, Role, User, UserSession
from qaportal.auth.passwords import hash_password, needs_rehash, verify_password
from qaportal.db import utcnow


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def load_user(session: Session, user_id: int) -> User | None:
    return session.execute(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    ).scalar_one_or_none()


def create_user(
    session: Session, email: str, display_name: str, password: str | None = None
) -> User:
    user = User(email=normalise_email(email), display_name=display_name.strip())
    if password is not None:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    return user


def add_membership(session: Session, user: User, organisation_id: int, role: Role) -> Membership:
    existing = next(
        (m for m in user.memberships if m.organisation_id == organisation_id and m.role == role),
        None,
    )
    if existing:
        return existing
    membership = Membership(user=user, organisation_id=organisation_id, role=role)
    session.add(membership)
    session.flush()
    return membership


def authenticate(session: Session, email: str, password: str, actor: Actor) -> User | None:
    """Check the credentials; audit the attempt either way (failures from one address are
    counted per window, so that guessing cannot flood the trail)."""
    user = find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        reason = "bad_credentials" if ok is False or user is None else "inactive"
        record_repeated(
            session,
            actor,
            "auth.login_failed",
            object_type="user" if user else None,
            object_id=user.id if user else None,
            details={"email": normalise_email(email)[:254], "reason": reason},
        )
        return None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


# ----- server-side sessions -----------------------------------------------------------------


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionLimits:
    idle: dt.timedelta
    absolute: dt.timedelta


def start_session(session: Session, user: User, actor: Actor, user_agent: str | None = None) -> str:
    """Open a login session; returns the random id for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=session_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip_address=actor.ip_address,
            user_agent=(user_agent or "")[:300],
        )
    )
    user.last_login_at = now
    record(session, actor, "auth.login", object_type="user", object_id=user.id)
    return token


# Built once: building it (the loader options) cost more per request than running it.
_LIVE_SESSION = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(
        joinedload(UserSession.user, innerjoin=True)
        .joinedload(User.memberships)
        .joinedload(Membership.organisation, innerjoin=True)
    )
)


def resume_session(session: Session, token: str, limits: SessionLimits) -> User | None:
    """The user of a live session, or None (and the session is ended) if it lapsed.

    One indexed statement per request: the session row by its unique hash, joined to its
    user, the user's memberships and their organisations, which the access policy and the
    navigation read on every page."""
    row = (
        session.execute(_LIVE_SESSION, {"token_hash": session_token_hash(token)})
        .unique()
        .scalar_one_or_none()
    )
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    reason = None
    if now - row.created_at > limits.absolute:
        reason = "absolute_timeout"
    elif now - row.last_seen_at > limits.idle:
        reason = "idle_timeout"
    if reason:
        row.ended_at, row.ended_reason = now, reason
        session.commit()
        return None
    user = row.user
    if not user.active:
        return None
    # Writing on every request would serialise reads on SQLite; a minute's precision is enough.
    if now - row.last_seen_at > dt.timedelta(minutes=1):
        row.last_seen_at = now
        session.commit()
    return user


def end_session(session: Session, token: str, actor: Actor, reason: str = "logout") -> None:
    row = session.execute(
        select(UserSession).where(UserSession.token_hash == session_token_hash(token))
    ).scalar_one_or_none()
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_reason = utcnow(), reason
        if reason == "logout":
            record(session, actor, "auth.logout", object_type="user", object_id=row.user_id)
        else:
            record(
                session,
                actor,
                "auth.session_ended",
                object_type="user",
                object_id=row.user_id,
                details={"reason": reason},
            )


def end_all_sessions(
    session: Session, user: User, actor: Actor, reason: str, *, keep_token: str | None = None
) -> int:
    """End every live session of ``user``, except the one whose cookie is ``keep_token``."""
    conditions = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep_token:
        conditions.append(UserSession.token_hash != session_token_hash(keep_token))
    result = session.execute(
        update(UserSession).where(*conditions).values(ended_at=utcnow(), ended_reason=reason)
    )
    record(
        session,
        actor,
        "auth.sessions_ended",
        object_type="user",
        object_id=user.id,
        details={"reason": reason, "count": result.rowcount},
    )
    return result.rowcount


def active_sessions(session: Session, user: User) -> list[UserSession]:
    return list(
        session.execute(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        ).scalars()
    )


def change_password(
    session: Session,
    user: User,
    new_password: str,
    actor: Actor,
    *,
    keep_token: str | None = None,
) -> int:
    """Set a new password and end the account's other sessions (a thief's among them).

    ``keep_token`` is the session the change was made from; it stays signed in. Returns how
    many sessions were ended.
    """
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    record(session, actor, "auth.password_changed", object_type="user", object_id=user.id)
    return end_all_sessions(session, user, actor, "password_changed", keep_token=keep_token)


def set_active(session: Session, user: User, active: bool, actor: Actor) -> None:
    user.active = active
    if not active:
        end_all_sessions(session, user, actor, "deactivated")
    record(
        session,
        actor,
        "user.activated" if active else "user.deactivated",
        object_type="user",
        object_id=user.id,
    )
