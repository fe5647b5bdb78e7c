"""Who sees an accreditation case, reads what the provider submitted, and acts on it;
declared by the case domain and collected by :mod:`qaportal.access.policy` when imported.

Other domains add parties who read a case (a panel seat: qaportal/reviews/access.py) with
``register_case_reader``; the workflow table (:mod:`qaportal.cases.workflow`) decides which
transition a party may take, :data:`CaseAction.CASE_TRANSITION` only that they take part.
"""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import (
    has_role,
    is_agency_admin,
    is_other_case_reader,
    register_rules,
    register_visibility,
)
from qaportal.auth.models import AGENCY_STAFF_ROLES, Role, User
from qaportal.cases.models import Case


class CaseAction(enum.StrEnum):
    CASE_LIST = "case.list"  # obj: the provider or agency whose cases are listed
    CASE_OPEN = "case.open"  # obj: the provider that applies
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"  # self-assessment answers and evidence (state checked by service)
    # The provider's own texts in a case: self-assessment answers, evidence, coverage.
    CASE_READ_SUBMISSION = "case.read_submission"
    CASE_TRANSITION = "case.transition"  # the workflow table decides which action
    CASE_SCREEN = "case.screen"  # the screening checklist of a case (agency staff)
    CASE_SET_DEADLINES = "case.set_deadlines"  # stage due dates of a case (agency staff)
    AGENCY_MANAGE_FRAMEWORKS = "agency.manage_frameworks"  # obj: the agency


def _provider_staff(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


def can_see_case(user: User, case: Any) -> bool:
    """Provider staff of the case's provider, agency staff of its agency, and the parties
    domains register (a reviewer sitting on the case's panel, after declaring)."""
    return (
        _provider_staff(user, case) or _agency_staff(user, case) or is_other_case_reader(user, case)
    )


def can_read_submission(user: User, case: Any) -> bool:
    """The provider's staff always; the agency once the case has been submitted.

    Before submission (and again after the agency returned it) the provider is still
    writing: the agency knows the case exists, its reference, scope and state, and nothing
    of the self-assessment or the evidence. A case withdrawn before it was ever submitted
    stays unread. ``submitted_at`` is set on submission and cleared on return to draft.
    """
    if _provider_staff(user, case):
        return True
    return case.submitted_at is not None and (
        _agency_staff(user, case) or is_other_case_reader(user, case)
    )


def _case_staff(user: User, org: Any) -> bool:
    if org.is_provider:
        return has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)
    return has_role(user, org.id, *AGENCY_STAFF_ROLES)


def _provider_admin(user: User, org: Any) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN)


register_visibility(Case, can_see_case)
register_rules(
    {
        CaseAction.CASE_LIST: _case_staff,
        CaseAction.CASE_OPEN: _provider_admin,
        CaseAction.CASE_VIEW: can_see_case,
        CaseAction.CASE_EDIT: _provider_staff,
        CaseAction.CASE_READ_SUBMISSION: can_read_submission,
        CaseAction.CASE_TRANSITION: can_see_case,
        CaseAction.CASE_SCREEN: _agency_staff,
        CaseAction.CASE_SET_DEADLINES: _agency_staff,
        CaseAction.AGENCY_MANAGE_FRAMEWORKS: is_agency_admin,
    }
)
