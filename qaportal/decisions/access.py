"""Who may do what with decisions, appeals, follow-up and complaints, declared by the
decision domain and collected by :mod:`qaportal.access.policy` when this module is imported.

Every rule takes the case (or, for the settings, the agency); visibility of the case itself
is asked first by ``authorize`` (404 for strangers), so these rules only answer 403.
"""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import has_role, is_agency_admin, register_rules
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Role, User


class DecisionAction(enum.StrEnum):
    VIEW = "decision.view"  # obj: a Case (the decision, appeals, conditions)
    RECORD = "decision.record"  # obj: a Case (decide, name a committee, decide an appeal)
    APPEAL = "decision.appeal"  # obj: a Case (the provider admin appeals)
    ANSWER = "decision.answer_condition"  # obj: a Case (the provider answers conditions)
    ASSESS = "decision.assess_condition"  # obj: a Case (the officer marks met / not met)
    SETTINGS = "decision.settings"  # obj: the agency
    COMPLAIN = "complaint.lodge"  # obj: a Case (provider staff, any stage of an open case)
    RESPOND = "complaint.respond"  # obj: a Case (agency staff answer)


def _agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


def _provider_staff(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, *PROVIDER_ROLES)


def _view(user: User, case: Any) -> bool:
    # Panel members read the case but not the agency's decision pages.
    return _agency_staff(user, case) or _provider_staff(user, case)


def _appeal(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, Role.PROVIDER_ADMIN)


def _settings(user: User, org: Any) -> bool:
    return is_agency_admin(user, org)


_RULES: dict[str, Any] = {
    DecisionAction.VIEW: _view,
    DecisionAction.RECORD: _agency_staff,
    DecisionAction.APPEAL: _appeal,
    DecisionAction.ANSWER: _provider_staff,
    DecisionAction.ASSESS: _agency_staff,
    DecisionAction.SETTINGS: _settings,
    DecisionAction.COMPLAIN: _provider_staff,
    DecisionAction.RESPOND: _agency_staff,
}
register_rules(_RULES)
