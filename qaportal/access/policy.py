"""The one place that decides who may do what on which object.

Every view calls :func:`authorize` (or :func:`can` to decide what to show). Two questions
are asked, in order:

1. may this user *see* the object at all? If not, the object does not exist for them (404),
   so staff of one provider cannot even learn that another provider's object exists;
2. may this user perform the action on it? If not, 403.

Rules are a declared table (``RULES``): action -> predicate(user, obj). Later features add
their actions and visibility functions here and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import Forbidden, NotFound

from qaportal.auth.models import AGENCY_STAFF_ROLES, Role, User
from qaportal.orgs.models import Organisation


class Action(enum.StrEnum):
    VIEW_DASHBOARD = "dashboard.view"
    ORG_VIEW = "org.view"
    ORG_EDIT = "org.edit"
    ORG_MANAGE_STAFF = "org.manage_staff"
    AGENCY_MANAGE_PROVIDERS = "agency.manage_providers"
    AGENCY_MANAGE_REVIEWERS = "agency.manage_reviewers"
    AGENCY_VIEW_AUDIT = "agency.view_audit"
    AGENCY_VIEW_OUTBOX = "agency.view_outbox"


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def has_role(user: User, org_id: int | None, *roles: Role) -> bool:
    if org_id is None:
        return False
    return any(m.organisation_id == org_id and m.role in roles for m in user.memberships)


def _manages_provider(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.managing_agency_id, *AGENCY_STAFF_ROLES)


# ----- visibility: which objects exist for this user -------------------------------------


def can_see_organisation(user: User, org: Organisation) -> bool:
    if any(m.organisation_id == org.id for m in user.memberships):
        return True
    return _manages_provider(user, org)


VISIBILITY: dict[type, Callable[[User, Any], bool]] = {
    Organisation: can_see_organisation,
}


def can_see(user: User, obj: Any) -> bool:
    for cls, check in VISIBILITY.items():
        if isinstance(obj, cls):
            return check(user, obj)
    raise TypeError(f"no visibility rule for {type(obj).__name__}")


# ----- permissions -------------------------------------------------------------------------


def _org_edit(user: User, org: Organisation) -> bool:
    if org.is_agency:
        return has_role(user, org.id, Role.AGENCY_ADMIN)
    return has_role(user, org.id, Role.PROVIDER_ADMIN) or has_role(
        user, org.managing_agency_id, Role.AGENCY_ADMIN
    )


def _agency_admin(user: User, org: Organisation) -> bool:
    return org.is_agency and has_role(user, org.id, Role.AGENCY_ADMIN)


RULES: dict[Action, Callable[[User, Any], bool]] = {
    Action.VIEW_DASHBOARD: lambda user, _obj: True,
    Action.ORG_VIEW: lambda user, org: True,
    Action.ORG_EDIT: _org_edit,
    Action.ORG_MANAGE_STAFF: _org_edit,
    Action.AGENCY_MANAGE_PROVIDERS: _agency_admin,
    Action.AGENCY_MANAGE_REVIEWERS: _agency_admin,
    Action.AGENCY_VIEW_AUDIT: _agency_admin,
    Action.AGENCY_VIEW_OUTBOX: _agency_admin,
}


def can(user: Any, action: Action, obj: Any = None) -> bool:
    if not _authenticated(user):
        return False
    if obj is not None and not can_see(user, obj):
        return False
    return RULES[action](user, obj)


def authorize(user: Any, action: Action, obj: Any = None) -> None:
    """Raise 404 for an object the user may not see, 403 for a missing permission.

    Anonymous visitors never get here: views are wrapped in ``login_required`` first.
    """
    if not _authenticated(user):
        raise Forbidden()
    if obj is not None and not can_see(user, obj):
        raise NotFound()
    if not RULES[action](user, obj):
        raise Forbidden()
