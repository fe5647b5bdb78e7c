"""Small helpers views share: who is acting, and navigation built from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qaportal.access.policy import Action, can
from qaportal.audit.services import Actor
from qaportal.auth.models import Role

if TYPE_CHECKING:
    from qaportal.auth.invitations import LinkSettings


def current_actor() -> Actor:
    if current_user.is_authenticated:
        return Actor(current_user.id, current_user.email, request.remote_addr)
    return Actor(None, "anonymous", request.remote_addr)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    endpoint: str


def navigation() -> list[NavItem]:
    """Links the signed-in user may follow; every one is decided by the access policy."""
    if not current_user.is_authenticated:
        return []
    items = [NavItem(_("Dashboard"), url_for("web.dashboard"), "web.dashboard")]
    seen: set[int] = set()
    for membership in current_user.memberships:
        org = membership.organisation
        if org.id in seen:
            continue
        seen.add(org.id)
        for action, label, endpoint, id_arg, providers_only in _ORG_LINKS:
            if (org.is_provider or not providers_only) and can(current_user, action, org):
                items.append(NavItem(str(label), url_for(endpoint, **{id_arg: org.id}), endpoint))
    if any(can(current_user, Action.CASE_LIST, m.organisation) for m in current_user.memberships):
        items.append(NavItem(_("Cases"), url_for("cases.index"), "cases.index"))
    if current_user.has_role(Role.REVIEWER):
        items.append(NavItem(_("My reviews"), url_for("reviews.workspace"), "reviews.workspace"))
    return items


# (permission on the organisation, label, endpoint, its id argument, providers only)
_ORG_LINKS = (
    (Action.AGENCY_MANAGE_PROVIDERS, _l("Providers"), "orgs.providers", "agency_id", False),
    (Action.AGENCY_MANAGE_REVIEWERS, _l("Reviewer pool"), "orgs.reviewers", "agency_id", False),
    (Action.ORG_MANAGE_STAFF, _l("Staff"), "orgs.staff", "org_id", False),
    (Action.ORG_VIEW, _l("Provider profile"), "orgs.show", "org_id", True),
    (Action.CATALOGUE_VIEW, _l("Catalogue"), "catalogue.index", "org_id", True),
    (Action.FEEDBACK_LIST, _l("Feedback"), "feedback.campaigns", "org_id", True),
    (Action.AGENCY_VIEW_AUDIT, _l("Audit trail"), "audit.index", "agency_id", False),
    (Action.AGENCY_VIEW_OUTBOX, _l("Outbox"), "notifications.outbox", "agency_id", False),
    (
        Action.AGENCY_MANAGE_FRAMEWORKS,
        _l("Framework requirements"),
        "cases.requirements",
        "agency_id",
        False,
    ),
)


def link_settings() -> LinkSettings:
    """Where emailed links point and how long they last, from the app config."""
    from flask import current_app

    from qaportal.auth.invitations import LinkSettings

    return LinkSettings.from_config(current_app.config)
