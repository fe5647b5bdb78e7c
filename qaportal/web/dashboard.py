"""What each role sees first. Later features add their panels here."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import Action, can
from qaportal.auth.models import Role, User


@dataclass
class Link:
    label: str
    url: str


@dataclass
class Panel:
    role: str
    role_label: str
    organisation: str
    intro: str
    links: list[Link] = field(default_factory=list)


def role_label(role: Role) -> str:
    return {
        Role.AGENCY_ADMIN: _("Agency administrator"),
        Role.AGENCY_OFFICER: _("Agency officer"),
        Role.REVIEWER: _("Reviewer"),
        Role.PROVIDER_ADMIN: _("Provider administrator"),
        Role.PROVIDER_EDITOR: _("Provider editor"),
    }[role]


def _intro(role: Role) -> str:
    return {
        Role.AGENCY_ADMIN: _("Configure your agency, its users, reviewer pool and providers."),
        Role.AGENCY_OFFICER: _("Screen applications, form panels and record decisions."),
        Role.REVIEWER: _("Your review assignments and conflict-of-interest declarations."),
        Role.PROVIDER_ADMIN: _("Keep your provider profile, staff and catalogue up to date."),
        Role.PROVIDER_EDITOR: _("Write self-assessments and upload evidence."),
    }[role]


def _links(user: User, role: Role, org_id: int) -> list[Link]:
    org = next(m.organisation for m in user.memberships if m.organisation_id == org_id)
    links = []
    if can(user, Action.AGENCY_MANAGE_PROVIDERS, org):
        links.append(Link(_("Provider organisations"), url_for("orgs.providers", agency_id=org_id)))
    if can(user, Action.AGENCY_MANAGE_REVIEWERS, org):
        links.append(Link(_("Reviewer pool"), url_for("orgs.reviewers", agency_id=org_id)))
    if can(user, Action.ORG_MANAGE_STAFF, org):
        links.append(Link(_("Staff and invitations"), url_for("orgs.staff", org_id=org_id)))
    if can(user, Action.AGENCY_VIEW_AUDIT, org):
        links.append(Link(_("Audit trail"), url_for("audit.index", agency_id=org_id)))
    if can(user, Action.AGENCY_VIEW_OUTBOX, org):
        links.append(Link(_("Email outbox"), url_for("notifications.outbox", agency_id=org_id)))
    if role in (Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR):
        links.append(Link(_("Provider profile"), url_for("orgs.show", org_id=org_id)))
    return links


def dashboard_panels(user: User) -> list[Panel]:
    order = list(Role)
    memberships = sorted(user.memberships, key=lambda m: (order.index(m.role), m.organisation_id))
    return [
        Panel(
            role=m.role.value,
            role_label=role_label(m.role),
            organisation=m.organisation.display_name,
            intro=_intro(m.role),
            links=_links(user, m.role, m.organisation_id),
        )
        for m in memberships
    ]
