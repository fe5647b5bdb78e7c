"""Who runs a provider's feedback campaigns; collected by :mod:`qaportal.access.policy`
when imported. A campaign exists only for its provider's staff: not even the agency sees
one, it reads the summaries a provider attaches to a case as evidence."""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import has_role, is_agency_admin, register_rules, register_visibility
from qaportal.auth.models import Role, User
from qaportal.feedback.models import Campaign


class FeedbackAction(enum.StrEnum):
    FEEDBACK_LIST = "feedback.list"  # obj: the provider whose campaigns are listed
    FEEDBACK_CREATE = "feedback.create"  # obj: the provider that opens a campaign
    FEEDBACK_VIEW = "feedback.view"  # obj: a Campaign (overview, results, exports)
    FEEDBACK_MANAGE = "feedback.manage"  # obj: a Campaign (invite, codes, remind, close, attach)
    FEEDBACK_SETTINGS = "feedback.settings"  # obj: the agency (results threshold)


def can_see_campaign(user: User, campaign: Any) -> bool:
    return has_role(user, campaign.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _feedback_staff(user: User, org: Any) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


register_visibility(Campaign, can_see_campaign)
register_rules(
    {
        FeedbackAction.FEEDBACK_LIST: _feedback_staff,
        FeedbackAction.FEEDBACK_CREATE: _feedback_staff,
        FeedbackAction.FEEDBACK_VIEW: can_see_campaign,
        FeedbackAction.FEEDBACK_MANAGE: can_see_campaign,
        FeedbackAction.FEEDBACK_SETTINGS: is_agency_admin,
    }
)
