"""Staff of an organisation: removing members, (de)activating accounts, revoking invitations,
and the agency's reviewer pool. No request objects: callers pass an Actor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.invitations import LinkSettings, invite
from qaportal.auth.models import (
    Membership,
    OneTimeToken,
    ReviewerProfile,
    Role,
    TokenPurpose,
    User,
)
from qaportal.auth.services import add_membership, create_user, find_user_by_email, set_active
from qaportal.db import utcnow
from qaportal.orgs.models import Organisation, OrgKind

ADMIN_ROLE = {OrgKind.AGENCY: Role.AGENCY_ADMIN, OrgKind.PROVIDER: Role.PROVIDER_ADMIN}
REVIEWER_FIELDS = ("category", "expertise", "country", "languages", "available")


class StaffError(ValueError):
    """The change is refused for a reason the user can act on; the message says which."""


def _other_active_admins(
    session: Session, org_id: int, role: Role, *, excluding_user_id: int
) -> int:
    """Admins of the organisation, other than this user, who can actually sign in."""
    return session.execute(
        select(func.count(func.distinct(Membership.user_id)))
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == org_id,
            Membership.role == role,
            Membership.user_id != excluding_user_id,
            User.active == True,  # noqa: E712
            User.password_hash.is_not(None),
        )
    ).scalar_one()


def remove_membership(session: Session, membership: Membership, actor: Actor) -> None:
    org = membership.organisation
    if membership.user_id == actor.user_id:
        raise StaffError(_("You cannot remove yourself."))
    if membership.role == ADMIN_ROLE[org.kind] and not _other_active_admins(
        session, org.id, membership.role, excluding_user_id=membership.user_id
    ):
        raise StaffError(
            _("You cannot remove the last administrator of %(org)s.", org=org.display_name)
        )
    user = membership.user
    details: dict[str, Any] = {
        "user_id": user.id,
        "email": user.email,
        "role": membership.role.value,
    }
    membership_id, role = membership.id, membership.role
    session.delete(membership)
    # An invitation still open for the same role would quietly bring the membership back.
    revoked = session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.purpose == TokenPurpose.INVITATION,
            OneTimeToken.organisation_id == org.id,
            OneTimeToken.email == user.email,
            OneTimeToken.role == role,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    details["invitations_revoked"] = revoked
    session.flush()
    session.expire(user, ["memberships"])
    record(
        session,
        actor,
        "membership.removed",
        object_type="membership",
        object_id=membership_id,
        organisation_id=org.id,
        details=details,
    )


def set_user_active(session: Session, user: User, active: bool, actor: Actor) -> None:
    """Deactivate (sessions end at once) or reactivate an account.

    ``user.memberships`` must be loaded with their organisations.
    """
    if user.id == actor.user_id:
        raise StaffError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    if not active:
        for membership in user.memberships:
            org = membership.organisation
            if membership.role == ADMIN_ROLE[org.kind] and not _other_active_admins(
                session, org.id, membership.role, excluding_user_id=user.id
            ):
                raise StaffError(
                    _(
                        "You cannot deactivate the last administrator of %(org)s.",
                        org=org.display_name,
                    )
                )
    set_active(session, user, active, actor)


def revoke_invitation(session: Session, invitation: OneTimeToken, actor: Actor) -> None:
    if invitation.purpose != TokenPurpose.INVITATION:
        raise StaffError(_("This is not an invitation."))
    if invitation.used_at is not None or invitation.revoked_at is not None:
        raise StaffError(_("This invitation has already been used or revoked."))
    invitation.revoked_at = utcnow()
    record(
        session,
        actor,
        "invitation.revoked",
        object_type="invitation",
        object_id=invitation.id,
        organisation_id=invitation.organisation_id,
        details={
            "email": invitation.email,
            "role": invitation.role.value if invitation.role else None,
        },
    )


# ----- reviewer pool -----------------------------------------------------------------------


def invite_reviewer(
    session: Session,
    agency: Organisation,
    email: str,
    display_name: str,
    profile: Mapping[str, Any],
    actor: Actor,
    links: LinkSettings,
) -> Membership:
    """Put someone in the agency's reviewer pool and invite them.

    A new person gets an account without a password (they choose it when accepting).
    Raises ``StaffError`` if they are already in the pool, ``InvitationError`` from ``invite``.
    """
    if not agency.is_agency:
        raise StaffError(_("Only an agency has a reviewer pool."))
    user = find_user_by_email(session, email)
    if user is not None and Role.REVIEWER in user.roles_in(agency.id):
        raise StaffError(_("%(email)s is already in the reviewer pool.", email=user.email))
    if user is None:
        user = create_user(session, email, display_name, password=None)
        record(
            session,
            actor,
            "user.created",
            object_type="user",
            object_id=user.id,
            organisation_id=agency.id,
            details={"email": user.email, "via": "reviewer_pool"},
        )
    # Invite before the membership exists: invite() refuses people who already hold the role.
    invitation = invite(session, agency, user.email, Role.REVIEWER, actor, links)
    membership = add_membership(session, user, agency.id, Role.REVIEWER)
    membership.reviewer_profile = ReviewerProfile(**{k: profile[k] for k in REVIEWER_FIELDS})
    session.flush()
    record(
        session,
        actor,
        "reviewer.added",
        object_type="membership",
        object_id=membership.id,
        organisation_id=agency.id,
        details={
            "user_id": user.id,
            "email": user.email,
            "invitation_id": invitation.id,
            **{k: profile[k] for k in REVIEWER_FIELDS},
        },
    )
    return membership


def update_reviewer(
    session: Session, membership: Membership, changes: Mapping[str, Any], actor: Actor
) -> dict[str, tuple[Any, Any]]:
    """Change a reviewer's pool profile; audit old and new values."""
    profile = membership.reviewer_profile
    if profile is None:
        profile = ReviewerProfile(**{k: changes[k] for k in REVIEWER_FIELDS})
        membership.reviewer_profile = profile
        diff = {k: (None, changes[k]) for k in REVIEWER_FIELDS}
    else:
        diff = {}
        for name in REVIEWER_FIELDS:
            old, new = getattr(profile, name), changes[name]
            if old != new:
                diff[name] = (old, new)
                setattr(profile, name, new)
    session.flush()
    if diff:
        record(
            session,
            actor,
            "reviewer.updated",
            object_type="membership",
            object_id=membership.id,
            organisation_id=membership.organisation_id,
            details={k: [a, b] for k, (a, b) in diff.items()},
        )
    return diff
