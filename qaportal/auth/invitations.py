"""Inviting people by email, accepting invitations, resetting passwords.

The link carries a single-use random token; the database holds only its hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import OneTimeToken, Role, TokenPurpose, User
from qaportal.auth.services import (
    add_membership,
    change_password,
    create_user,
    end_all_sessions,
    find_user_by_email,
    normalise_email,
)
from qaportal.auth.tokens import find_usable_token, issue_token, mark_used
from qaportal.notifications.services import enqueue
from qaportal.orgs.models import Organisation


class InvitationError(ValueError):
    pass


@dataclass(frozen=True)
class LinkSettings:
    """What a service needs to build links and expiry times (from the app config)."""

    base_url: str
    invitation_lifetime: dt.timedelta
    reset_lifetime: dt.timedelta


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
    enqueue(
        session,
        email,
        _("Invitation to %(org)s on qaportal", org=organisation.display_name),
        _(
            "Hello,\n\n%(inviter)s invites you to join %(org)s on qaportal.\n\n"
            "Open this link to accept and choose your password:\n%(url)s\n\n"
            "The link works once and expires on %(expires)s (UTC).\n",
            inviter=actor.label,
            org=organisation.display_name,
            url=url,
            expires=issued.record.expires_at.strftime("%Y-%m-%d %H:%M"),
        ),
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


def accept_invitation(
    session: Session,
    token: str,
    display_name: str,
    password: str | None,
    actor: Actor,
) -> User:
    """Create the account (or add the role to an existing one) and use up the token.

    Raises ``TokenError`` for an unknown, used, revoked or expired link.
    """
    invitation = find_usable_token(session, TokenPurpose.INVITATION, token)
    user = find_user_by_email(session, invitation.email)
    if user is None or user.password_hash is None:
        if not password:
            raise InvitationError(_("Choose a password."))
    if user is None:
        user = create_user(session, invitation.email, display_name, password)
    elif user.password_hash is None:
        # Pre-created when invited (e.g. a reviewer whose pool profile the agency filled in).
        user.display_name = display_name.strip() or user.display_name
        change_password(session, user, password or "", Actor(user.id, user.email, actor.ip_address))
    assert invitation.organisation_id is not None and invitation.role is not None
    add_membership(session, user, invitation.organisation_id, invitation.role)
    mark_used(invitation)
    record(
        session,
        Actor(user.id, user.email, actor.ip_address),
        "invitation.accepted",
        object_type="invitation",
        object_id=invitation.id,
        organisation_id=invitation.organisation_id,
        details={"role": invitation.role.value, "user_id": user.id},
    )
    return user


def request_password_reset(
    session: Session, email: str, actor: Actor, links: LinkSettings
) -> None:
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
    )
    record(session, actor, "auth.reset_requested", object_type="user", object_id=user.id)


def reset_password(session: Session, token: str, new_password: str, actor: Actor) -> User:
    """Set the new password, use up the token and end every session of the account."""
    reset = find_usable_token(session, TokenPurpose.PASSWORD_RESET, token)
    user = session.get(User, reset.user_id)
    if user is None or not user.active:
        raise InvitationError(_("This account can no longer be used."))
    mark_used(reset)
    acting = Actor(user.id, user.email, actor.ip_address)
    change_password(session, user, new_password, acting)
    end_all_sessions(session, user, acting, "password_reset")
    return user
