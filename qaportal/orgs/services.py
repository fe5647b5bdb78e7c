"""Creating and changing organisations. No request objects: callers pass an Actor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaportal.audit.services import Actor, record
from qaportal.auth.models import Role, User
from qaportal.auth.services import add_membership, create_user, find_user_by_email
from qaportal.orgs.models import Organisation, OrgKind, ProviderType

PROFILE_FIELDS = (
    "legal_name",
    "acronym",
    "country",
    "region",
    "provider_type",
    "website",
    "deqar_id",
    "erasmus_code",
    "legal_id",
    "vat_id",
    "street_address",
    "text_language",
)


class AdminExists(Exception):
    pass


def create_organisation(
    session: Session,
    kind: OrgKind,
    actor: Actor,
    *,
    managing_agency_id: int | None = None,
    **profile: Any,
) -> Organisation:
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    if profile.get("provider_type"):
        profile["provider_type"] = ProviderType(profile["provider_type"])
    org = Organisation(kind=kind, managing_agency_id=managing_agency_id, **profile)
    session.add(org)
    session.flush()
    record(
        session,
        actor,
        f"{kind.value}.created",
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        details={"legal_name": org.legal_name},
    )
    return org


def update_profile(
    session: Session, org: Organisation, changes: Mapping[str, Any], actor: Actor
) -> dict[str, tuple[Any, Any]]:
    """Apply profile changes; audit what changed (old and new values)."""
    diff: dict[str, tuple[Any, Any]] = {}
    for name in PROFILE_FIELDS:
        if name not in changes:
            continue
        new = changes[name] or None
        if name == "provider_type" and new is not None:
            new = ProviderType(new)
        old = getattr(org, name)
        if old != new:
            diff[name] = (old, new)
            setattr(org, name, new)
    if diff:
        record(
            session,
            actor,
            "organisation.updated",
            object_type="organisation",
            object_id=org.id,
            organisation_id=org.id,
            details={
                k: [str(a) if a else None, str(b) if b else None] for k, (a, b) in diff.items()
            },
        )
    return diff


def find_agency(session: Session, legal_name: str) -> Organisation | None:
    return session.execute(
        select(Organisation).where(
            Organisation.kind == OrgKind.AGENCY, Organisation.legal_name == legal_name
        )
    ).scalar_one_or_none()


def create_agency_admin(
    session: Session,
    email: str,
    display_name: str,
    password: str,
    agency_name: str,
    country: str | None,
    actor: Actor,
) -> User:
    """The first administrator of an agency (created with it when it does not exist yet)."""
    if find_user_by_email(session, email) is not None:
        raise AdminExists(f"a user with the email address {email} already exists")
    agency = find_agency(session, agency_name) or create_organisation(
        session, OrgKind.AGENCY, actor, legal_name=agency_name, country=country
    )
    user = create_user(session, email, display_name, password)
    add_membership(session, user, agency.id, Role.AGENCY_ADMIN)
    record(
        session,
        actor,
        "user.created",
        object_type="user",
        object_id=user.id,
        organisation_id=agency.id,
        details={"email": user.email, "role": Role.AGENCY_ADMIN.value},
    )
    return user
