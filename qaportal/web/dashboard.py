"""What each role sees first: per membership, a panel with the work waiting for the user,
or words saying what will appear there and when, and links to the role's pages.

Domains add the work they know about with :func:`register_tasks` from their own modules
(``qaportal.cases.dashboard``, ``qaportal.feedback.dashboard``); this module imports none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.access.policy import Action, can
from qaportal.auth.models import Membership, Role, User
from qaportal.db import get_session
from qaportal.orgs.queries import organisation_counts


@dataclass
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Task:
    """One line of a panel's work list. ``waiting``: the next step is someone else's, so
    the line reports a state rather than asks for something."""

    label: str
    url: str
    detail: str = ""
    waiting: bool = False
    urgent: bool = False  # past its due date: highlighted


TaskSource = Callable[[Session, User, Membership], list[Task]]
_TASK_SOURCES: list[TaskSource] = []


def register_tasks(source: TaskSource) -> TaskSource:
    """Adds a domain's work list to every panel (usable as a decorator; idempotent)."""
    if source not in _TASK_SOURCES:
        _TASK_SOURCES.append(source)
    return source


@dataclass
class Panel:
    role: str
    role_label: str
    organisation: str
    intro: str
    links: list[Link] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    # Shown when no task asks anything of the user: what will appear here, and when.
    empty: str = ""
    next_step: Link | None = None

    @property
    def todo(self) -> list[Task]:
        return [task for task in self.tasks if not task.waiting]

    @property
    def under_way(self) -> list[Task]:
        return [task for task in self.tasks if task.waiting]


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


def _empty_state(role: Role) -> str:
    screening = _(
        "Nothing waits for you. When a provider submits a self-assessment, its case "
        "appears here to be screened: accepted for review or returned to the provider."
    )
    return {
        Role.AGENCY_ADMIN: screening,
        Role.AGENCY_OFFICER: screening,
        Role.REVIEWER: _(
            "No review yet. When an agency assigns you to a review panel, the case will "
            "appear here, with the provider's self-assessment, its evidence and a form for "
            "your findings on each criterion."
        ),
        Role.PROVIDER_ADMIN: _(
            "Nothing waits for you. A self-assessment to write appears here once you apply "
            "for accreditation, or when the agency returns one to you; open feedback "
            "campaigns appear here with their responses."
        ),
        Role.PROVIDER_EDITOR: _(
            "Nothing waits for you. A self-assessment to write appears here once your "
            "provider's administrator applies for accreditation, or when the agency returns "
            "one; open feedback campaigns appear here with their responses."
        ),
    }[role]


def _next_step(user: User, role: Role, org_id: int) -> Link | None:
    org = next(m.organisation for m in user.memberships if m.organisation_id == org_id)
    if role == Role.REVIEWER:
        return Link(_("Check your account details"), url_for("auth.account"))
    if org.is_provider and can(user, Action.CASE_OPEN, org):
        return Link(_("Apply for accreditation"), url_for("cases.open_case", provider_id=org_id))
    if org.is_provider and can(user, Action.FEEDBACK_CREATE, org):
        return Link(
            _("Open a learner or peer feedback campaign"),
            url_for("feedback.new_campaign", org_id=org_id),
        )
    if can(user, Action.CASE_LIST, org):
        return Link(_("See all accreditation cases"), url_for("cases.index"))
    return None


def _tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    return [task for source in _TASK_SOURCES for task in source(session, user, membership)]


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
    session = get_session()
    return [
        Panel(
            role=m.role.value,
            role_label=role_label(m.role),
            organisation=m.organisation.display_name,
            intro=_intro(m.role),
            links=_links(user, m.role, m.organisation_id),
            tasks=_tasks(session, user, m),
            empty=_empty_state(m.role),
            next_step=_next_step(user, m.role, m.organisation_id),
        )
        for m in memberships
    ]
