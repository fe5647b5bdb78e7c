"""Inviting people by email, accepting invitations, resetting passwords.

The link carries a single-use random token; the database holds only its hash. A link that
cannot be used (unknown, used, revoked, expired) is refused with ``TokenError`` and the
refusal is audited in the caller's transaction, which the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import OneTimeToken, Role, TokenPurpose, User
from qaportal.auth.passwords import password_problem
from qaportal.auth.services import (
    add_membership,
    change_password,
    create_user,
    end_all_sessions,
    find_user_by_email,
    normalise_email,
)
from qaportal.auth.tokens import TokenError, consume, find_usable_token, issue_token
from qaportal.db import utcnow
from qaportal.notifications.services import enqueue
from qaportal.orgs.models import Organisation

__all__ = [
    "InvitationError",
    "LinkSettings",
    "PendingInvitation",
    "PendingReset",
    "TokenError",
    "accept_invitation",
    "check_invitation",
    "check_reset",
    "invite",
    "request_password_reset",
    "reset_password",
]


class InvitationError(ValueError):
    """The link is fine but the request cannot be carried out; the message says why."""


@dataclass(frozen=True)
class LinkSettings:
    """What a service needs to build links and expiry times (from the app config)."""

    base_url: str
    invitation_lifetime: dt.timedelta
    reset_lifetime: dt.timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LinkSettings:
        return cls(
            base_url=str(config["BASE_URL"]).rstrip("/"),
            invitation_lifetime=dt.timedelta(hours=config["TOKEN_HOURS_INVITATION"]),
            reset_lifetime=dt.timedelta(hours=config["TOKEN_HOURS_PASSWORD_RESET"]),
        )


# ----- shared: using a link -----------------------------------------------------------------

_REFUSED_ACTION = {
    TokenPurpose.INVITATION: ("invitation.link_refused", "invitation"),
    TokenPurpose.PASSWORD_RESET: ("auth.reset_link_refused", "password_reset"),
}


def _refuse(session: Session, actor: Actor, purpose: TokenPurpose, exc: TokenError) -> None:
    action, object_type = _REFUSED_ACTION[purpose]
    known = exc.record
    record(
        session,
        actor,
        action,
        object_type=object_type if known else None,
        object_id=known.id if known else None,
        organisation_id=known.organisation_id if known else None,
        details={"reason": exc.reason},
    )


def _usable(session: Session, purpose: TokenPurpose, token: str, actor: Actor) -> OneTimeToken:
    try:
        return find_usable_token(session, purpose, token)
    except TokenError as exc:
        _refuse(session, actor, purpose, exc)
        raise


def _consume(session: Session, link: OneTimeToken, actor: Actor) -> None:
    try:
        consume(session, link)
    except TokenError as exc:
        _refuse(session, actor, link.purpose, exc)
        raise


# ----- invitations --------------------------------------------------------------------------


def invite(
    session: Session,
    organisation: Organisation,
    email: str,
    role: Role,
    actor: Actor,
    links: LinkSettings,
) -> OneTimeToken:
    """Invite ``email`` to ``organisation`` with ``role``; the email goes through the outbox."""
    if role.org_kind != organisation.kind:
        raise InvitationError(_("This role does not exist in this kind of organisation."))
    email = normalise_email(email)
    existing = find_user_by_email(session, email)
    if existing and role in existing.roles_in(organisation.id):
        raise InvitationError(_("%(email)s already has this role here.", email=email))
    issued = issue_token(
        session,
        TokenPurpose.INVITATION,
        email,
        lifetime=links.invitation_lifetime,
        organisation_id=organisation.id,
        role=role,
        created_by_id=actor.user_id,
    )
    url = f"{links.base_url}/invitations/{issued.token}"
    inviter = session.get(User, actor.user_id) if actor.user_id is not None else None
    if existing is not None and existing.password_hash:
        what_to_do = _("Open this link to accept (you keep your current password):")
    else:
        what_to_do = _("Open this link to accept and choose your password:")
    enqueue(
        session,
        email,
        _("Invitation to %(org)s on qaportal", org=organisation.display_name),
        _(
            "Hello,\n\n%(inviter)s invites you to join %(org)s on qaportal.\n\n"
            "%(what_to_do)s\n%(url)s\n\n"
            "The link works once and expires on %(expires)s (UTC).\n",
            inviter=inviter.display_name if inviter else actor.label,
            org=organisation.display_name,
            what_to_do=what_to_do,
            url=url,
            expires=issued.record.expires_at.strftime("%Y-%m-%d %H:%M"),
        ),
        organisation_id=organisation.id,
    )
    record(
        session,
        actor,
        "invitation.sent",
        object_type="invitation",
        object_id=issued.record.id,
        organisation_id=organisation.id,
        details={"email": email, "role": role.value},
    )
    return issued.record


@dataclass(frozen=True)
class PendingInvitation:
    """What the acceptance page shows (plain data, no ORM objects)."""

    email: str
    organisation_name: str
    role: Role
    invited_by: str | None
    expires_at: dt.datetime
    needs_password: bool  # False: the account exists and has a password; confirming is enough
    display_name: str  # the existing account's name, or ""


def _account_for(session: Session, email: str) -> User | None:
    user = find_user_by_email(session, email)
    if user is not None and not user.active:
        raise InvitationError(
            _(
                "The account for %(email)s has been deactivated, so this invitation cannot be "
                "accepted. Ask the person who invited you to reactivate it.",
                email=email,
            )
        )
    return user


def check_invitation(session: Session, token: str, actor: Actor) -> PendingInvitation:
    """Describe a usable invitation; a refused link raises ``TokenError`` (and is audited)."""
    invitation = _usable(session, TokenPurpose.INVITATION, token, actor)
    assert invitation.organisation is not None and invitation.role is not None
    user = _account_for(session, invitation.email)
    return PendingInvitation(
        email=invitation.email,
        organisation_name=invitation.organisation.display_name,
        role=invitation.role,
        invited_by=invitation.created_by.display_name if invitation.created_by else None,
        expires_at=invitation.expires_at,
        needs_password=user is None or not user.password_hash,
        display_name=user.display_name if user else "",
    )


def accept_invitation(
    session: Session,
    token: str,
    display_name: str,
    password: str | None,
    actor: Actor,
) -> User:
    """Create the account (or add the role to an existing one) and use up the token.

    Raises ``TokenError`` for an unknown, used, revoked or expired link (audited; commit to
    keep the event) and ``InvitationError`` when the request itself cannot be carried out.
    """
    invitation = _usable(session, TokenPurpose.INVITATION, token, actor)
    assert invitation.organisation_id is not None and invitation.role is not None
    user = _account_for(session, invitation.email)
    needs_password = user is None or not user.password_hash
    if needs_password:
        if not password:
            raise InvitationError(_("Choose a password."))
        problem = password_problem(password, email=invitation.email)
        if problem:
            raise InvitationError(problem)
        if user is None and not display_name.strip():
            raise InvitationError(_("Enter your name."))
    _consume(session, invitation, actor)
    new_account = user is None
    if user is None:
        user = create_user(session, invitation.email, display_name, password)
        record(
            session,
            Actor(user.id, user.email, actor.ip_address),
            "user.created",
            object_type="user",
            object_id=user.id,
            organisation_id=invitation.organisation_id,
            details={"email": user.email, "via": "invitation"},
        )
    elif needs_password:
        # Pre-created when invited (e.g. a reviewer whose pool profile the agency filled in).
        user.display_name = display_name.strip() or user.display_name
        change_password(session, user, password or "", Actor(user.id, user.email, actor.ip_address))
    add_membership(session, user, invitation.organisation_id, invitation.role)
    record(
        session,
        Actor(user.id, user.email, actor.ip_address),
        "invitation.accepted",
        object_type="invitation",
        object_id=invitation.id,
        organisation_id=invitation.organisation_id,
        details={"role": invitation.role.value, "user_id": user.id, "new_account": new_account},
    )
    return user


# ----- password reset -----------------------------------------------------------------------


def request_password_reset(session: Session, email: str, actor: Actor, links: LinkSettings) -> None:
    """Send a reset link if the account exists; the caller says the same thing either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        record(session, actor, "auth.reset_requested_unknown", details={"email": email[:254]})
        return
    issued = issue_token(
        session,
        TokenPurpose.PASSWORD_RESET,
        user.email,
        lifetime=links.reset_lifetime,
        user_id=user.id,
    )
    enqueue(
        session,
        user.email,
        _("Reset your qaportal password"),
        _(
            "Hello %(name)s,\n\nSomeone (probably you) asked to reset your qaportal password.\n"
            "Open this link to choose a new one:\n%(url)s\n\n"
            "The link works once and expires on %(expires)s (UTC). If you did not ask for "
            "this, ignore this message; your password stays as it is.\n",
            name=user.display_name,
            url=f"{links.base_url}/password-reset/{issued.token}",
            expires=issued.record.expires_at.strftime("%Y-%m-%d %H:%M"),
        ),
        # Shown in the outbox of the user's (first) organisation.
        organisation_id=user.memberships[0].organisation_id if user.memberships else None,
    )
    record(session, actor, "auth.reset_requested", object_type="user", object_id=user.id)


@dataclass(frozen=True)
class PendingReset:
    email: str
    display_name: str
    expires_at: dt.datetime


def _reset_account(session: Session, reset: OneTimeToken) -> User:
    user = session.get(User, reset.user_id) if reset.user_id is not None else None
    if user is None or not user.active:
        raise InvitationError(_("This account can no longer be used."))
    return user


def check_reset(session: Session, token: str, actor: Actor) -> PendingReset:
    """Describe a usable reset link; a refused link raises ``TokenError`` (and is audited)."""
    reset = _usable(session, TokenPurpose.PASSWORD_RESET, token, actor)
    user = _reset_account(session, reset)
    return PendingReset(user.email, user.display_name, reset.expires_at)


def reset_password(session: Session, token: str, new_password: str, actor: Actor) -> User:
    """Set the new password, use up the token and end every session of the account.

    Other reset links of the account that are still open are revoked.
    """
    reset = _usable(session, TokenPurpose.PASSWORD_RESET, token, actor)
    user = _reset_account(session, reset)
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise InvitationError(problem)
    _consume(session, reset, actor)
    acting = Actor(user.id, user.email, actor.ip_address)
    change_password(session, user, new_password, acting)
    end_all_sessions(session, user, acting, "password_reset")
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.purpose == TokenPurpose.PASSWORD_RESET,
            OneTimeToken.user_id == user.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record(session, acting, "auth.password_reset", object_type="user", object_id=user.id)
    return user
