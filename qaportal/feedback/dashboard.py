"""A provider's running and coming feedback campaigns on its staff's dashboard panels."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from qaportal.access.policy import can
from qaportal.auth.models import Membership, Role, User
from qaportal.feedback import services
from qaportal.feedback.access import FeedbackAction
from qaportal.feedback.models import CampaignStatus
from qaportal.web.dashboard import Link, Task

_PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR})


def _task(campaign: services.CampaignSummary) -> Task:
    url = url_for("feedback.campaign", campaign_id=campaign.id)
    if campaign.status == CampaignStatus.SCHEDULED:
        return Task(
            _(
                "Feedback campaign “%(title)s” opens on %(date)s",
                title=campaign.title,
                date=format_date(campaign.opens_on),
            ),
            url,
            _("Invite learners or peers before it opens."),
        )
    return Task(
        _("Feedback campaign “%(title)s”", title=campaign.title),
        url,
        ngettext(
            "%(num)d response so far; open until %(date)s. Invite more respondents or "
            "read the results.",
            "%(num)d responses so far; open until %(date)s. Invite more respondents or "
            "read the results.",
            campaign.responses,
            date=format_date(campaign.closes_on),
        ),
    )


def feedback_tasks(session: Session, user: User, membership: Membership) -> list[Task]:
    org = membership.organisation
    if membership.role not in _PROVIDER_ROLES or not can(user, FeedbackAction.FEEDBACK_LIST, org):
        return []
    return [
        _task(c)
        for c in services.provider_campaigns(session, org.id)
        if c.status in (CampaignStatus.OPEN, CampaignStatus.SCHEDULED)
    ]


def feedback_links(user: User, membership: Membership) -> list[Link]:
    org, org_id = membership.organisation, membership.organisation_id
    links = []
    if can(user, FeedbackAction.FEEDBACK_LIST, org):
        links.append(
            Link(_("Learner and peer feedback"), url_for("feedback.campaigns", org_id=org_id))
        )
    if can(user, FeedbackAction.FEEDBACK_SETTINGS, org):
        links.append(Link(_("Feedback settings"), url_for("feedback.settings", agency_id=org_id)))
    return links


def feedback_next_step(user: User, membership: Membership) -> Link | None:
    org = membership.organisation
    if not (org.is_provider and can(user, FeedbackAction.FEEDBACK_CREATE, org)):
        return None
    return Link(
        _("Open a learner or peer feedback campaign"),
        url_for("feedback.new_campaign", org_id=membership.organisation_id),
    )
