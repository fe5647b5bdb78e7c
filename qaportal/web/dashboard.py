"""What each role sees first. Later features add their panels here."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import Action, can
from qaportal.auth.models import Role, User
from qaportal.db import get_session
from qaportal.orgs.queries import organisation_counts


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


def _counted(label: str, count: int) -> str:
    return _("%(label)s (%(count)d)", label=label, count=count)


def _links(user: User, role: Role, org_id: int) -> list[Link]:
    org = next(m.organisation for m in user.memberships if m.organisation_id == org_id)
    links = []
    manages = [
        can(user, action, org)
        for action in (
            Action.AGENCY_MANAGE_PROVIDERS,
            Action.AGENCY_MANAGE_REVIEWERS,
            Action.ORG_MANAGE_STAFF,
        )
    ]
    counts = organisation_counts(get_session(), org_id) if any(manages) else None
    if manages[0] and counts is not None:
        links.append(
            Link(
                _counted(_("Provider organisations"), counts.providers),
                url_for("orgs.providers", agency_id=org_id),
            )
        )
    if manages[1] and counts is not None:
        links.append(
            Link(
                _(
                    "Reviewer pool (%(available)d of %(total)d available)",
                    available=counts.available_reviewers,
                    total=counts.reviewers,
                ),
                url_for("orgs.reviewers", agency_id=org_id),
            )
        )
    if manages[2] and counts is not None:
        links.append(
            Link(
                _(
                    "Staff and invitations (%(members)d members, %(pending)d pending)",
                    members=counts.members,
                    pending=counts.pending_invitations,
                ),
                url_for("orgs.staff", org_id=org_id),
            )
        )
    if can(user, Action.AGENCY_VIEW_AUDIT, org):
        links.append(Link(_("Audit trail"), url_for("audit.index", agency_id=org_id)))
    if can(user, Action.AGENCY_VIEW_OUTBOX, org):
        links.append(Link(_("Email outbox"), url_for("notifications.outbox", agency_id=org_id)))
    if role in (Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR):
        links.append(Link(_("Provider profile"), url_for("orgs.show", org_id=org_id)))
    if org.is_agency and can(user, Action.ORG_EDIT, org):
        links.append(Link(_("Agency profile"), url_for("orgs.show", org_id=org_id)))
    if org.is_provider and can(user, Action.CATALOGUE_VIEW, org):
        links.append(
            Link(_("Micro-credential catalogue"), url_for("catalogue.index", org_id=org_id))
        )
    if can(user, Action.CASE_LIST, org):
        links.append(Link(_("Accreditation cases"), url_for("cases.index")))
    if can(user, Action.CASE_OPEN, org):
        links.append(
            Link(_("Apply for accreditation"), url_for("cases.open_case", provider_id=org_id))
        )
    if can(user, Action.AGENCY_MANAGE_FRAMEWORKS, org):
        links.append(
            Link(_("Framework requirements"), url_for("cases.requirements", agency_id=org_id))
        )
    if can(user, Action.FEEDBACK_LIST, org):
        links.append(
            Link(_("Learner and peer feedback"), url_for("feedback.campaigns", org_id=org_id))
        )
    if can(user, Action.FEEDBACK_SETTINGS, org):
        links.append(Link(_("Feedback settings"), url_for("feedback.settings", agency_id=org_id)))
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
