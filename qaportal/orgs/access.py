"""Who sees which organisation and account, and who manages them; declared by the
organisations domain and collected by :mod:`qaportal.access.policy` when imported."""

from __future__ import annotations

import enum

from qaportal.access.policy import (
    has_role,
    is_agency_admin,
    register_rules,
    register_visibility,
)
from qaportal.auth.models import AGENCY_STAFF_ROLES, Role, User
from qaportal.orgs.models import Organisation


class OrgAction(enum.StrEnum):
    ORG_VIEW = "org.view"
    ORG_EDIT = "org.edit"
    ORG_MANAGE_STAFF = "org.manage_staff"
    AGENCY_MANAGE_PROVIDERS = "agency.manage_providers"
    AGENCY_MANAGE_REVIEWERS = "agency.manage_reviewers"
    USER_SET_ACTIVE = "user.set_active"  # obj: a User (all their memberships)


def _manages_provider(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.managing_agency_id, *AGENCY_STAFF_ROLES)


def can_see_organisation(user: User, org: Organisation) -> bool:
    if any(m.organisation_id == org.id for m in user.memberships):
        return True
    return _manages_provider(user, org)


def can_see_user(user: User, target: User) -> bool:
    """A user exists for you if they belong to an organisation you can see (or are you)."""
    if target.id == user.id:
        return True
    return any(can_see_organisation(user, m.organisation) for m in target.memberships)


def _org_edit(user: User, org: Organisation) -> bool:
    if org.is_agency:
        return has_role(user, org.id, Role.AGENCY_ADMIN)
    return has_role(user, org.id, Role.PROVIDER_ADMIN) or has_role(
        user, org.managing_agency_id, Role.AGENCY_ADMIN
    )


def _user_set_active(user: User, target: User) -> bool:
    """Deactivating an account acts on all its memberships: you must manage the staff of every
    organisation it belongs to, and it cannot be your own."""
    if target.id == user.id or not target.memberships:
        return False
    return all(_org_edit(user, m.organisation) for m in target.memberships)


def grantable_roles(user: User, org: Organisation) -> list[Role]:
    """The roles ``user`` may give in ``org`` by invitation (reviewers go through the pool)."""
    if not _org_edit(user, org):
        return []
    if org.is_agency:
        return [Role.AGENCY_ADMIN, Role.AGENCY_OFFICER]
    return [Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR]


register_visibility(Organisation, can_see_organisation)
register_visibility(User, can_see_user)
register_rules(
    {
        OrgAction.ORG_VIEW: lambda user, org: True,
        OrgAction.ORG_EDIT: _org_edit,
        OrgAction.ORG_MANAGE_STAFF: _org_edit,
        OrgAction.AGENCY_MANAGE_PROVIDERS: is_agency_admin,
        OrgAction.AGENCY_MANAGE_REVIEWERS: is_agency_admin,
        OrgAction.USER_SET_ACTIVE: _user_set_active,
    }
)
