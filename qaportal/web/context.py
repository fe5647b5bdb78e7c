"""Small helpers views share: who is acting, and navigation built from the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qaportal.access.policy import Action, can
from qaportal.audit.services import Actor

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
        if can(current_user, Action.AGENCY_MANAGE_PROVIDERS, org):
            items.append(
                NavItem(
                    _("Providers"), url_for("orgs.providers", agency_id=org.id), "orgs.providers"
                )
            )
        if can(current_user, Action.AGENCY_MANAGE_REVIEWERS, org):
            items.append(
                NavItem(
                    _("Reviewer pool"),
                    url_for("orgs.reviewers", agency_id=org.id),
                    "orgs.reviewers",
                )
            )
        if can(current_user, Action.ORG_MANAGE_STAFF, org):
            items.append(NavItem(_("Staff"), url_for("orgs.staff", org_id=org.id), "orgs.staff"))
        if org.is_provider and can(current_user, Action.ORG_VIEW, org):
            items.append(
                NavItem(_("Provider profile"), url_for("orgs.show", org_id=org.id), "orgs.show")
            )
        if org.is_provider and can(current_user, Action.CATALOGUE_VIEW, org):
            items.append(
                NavItem(
                    _("Catalogue"), url_for("catalogue.index", org_id=org.id), "catalogue.index"
                )
            )
        if can(current_user, Action.AGENCY_VIEW_AUDIT, org):
            items.append(
                NavItem(_("Audit trail"), url_for("audit.index", agency_id=org.id), "audit.index")
            )
        if can(current_user, Action.AGENCY_VIEW_OUTBOX, org):
            items.append(
                NavItem(
                    _("Outbox"),
                    url_for("notifications.outbox", agency_id=org.id),
                    "notifications.outbox",
                )
            )
        if can(current_user, Action.AGENCY_MANAGE_FRAMEWORKS, org):
            items.append(
                NavItem(
                    _("Framework requirements"),
                    url_for("cases.requirements", agency_id=org.id),
                    "cases.requirements",
                )
            )
    if any(can(current_user, Action.CASE_LIST, m.organisation) for m in current_user.memberships):
        items.append(NavItem(_("Cases"), url_for("cases.index"), "cases.index"))
    return items


def link_settings() -> LinkSettings:
    """Where emailed links point and how long they last, from the app config."""
    from flask import current_app

    from qaportal.auth.invitations import LinkSettings

    return LinkSettings.from_config(current_app.config)
