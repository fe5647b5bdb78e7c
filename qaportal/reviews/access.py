"""Who may do what with panels, declared by the review domain and collected by
:mod:`qaportal.access.policy` and :mod:`qaportal.cases.workflow` when this module is imported.

A reviewer is a member of the agency with role ``reviewer``; what makes them see a case is a
panel seat with status ``active``: invited, accepted, and declared no conflict of interest.
Until then the case does not exist for them (404); the invitation page is all they see.
"""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import (
    has_role,
    is_agency_admin,
    register_case_reader,
    register_rules,
    register_visibility,
)
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Role, User
from qaportal.cases.workflow import Party, register_panel_parties
from qaportal.db import get_session
from qaportal.reviews import queries
from qaportal.reviews.models import PanelMember, PanelRole
from qaportal.reviews.report import REPORT_STATES


def panel_role(user: User, case: Any) -> PanelRole | None:
    """The user's role on the panel of ``case`` if they sit on it. Only reviewers of the
    case's agency are asked the database; everyone else costs nothing."""
    if not has_role(user, case.agency_id, Role.REVIEWER):
        return None
    return queries.active_panel_role(get_session(), user.id, case.id)


def sits_on_panel(user: User, case: Any) -> bool:
    return panel_role(user, case) is not None


def _panel_parties(user: User, case: Any) -> set[Party]:
    role = panel_role(user, case)
    if role is None:
        return set()
    return (
        {Party.PANEL_MEMBER, Party.PANEL_CHAIR} if role == PanelRole.CHAIR else {Party.PANEL_MEMBER}
    )


def _agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


def _provider_staff(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, *PROVIDER_ROLES)


def _panel_view(user: User, case: Any) -> bool:
    return _agency_staff(user, case) or _provider_staff(user, case) or sits_on_panel(user, case)


def _panel_object(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, Role.PROVIDER_ADMIN)


def _workspace(user: User, case: Any) -> bool:
    return _agency_staff(user, case) or sits_on_panel(user, case)


def can_see_panel_member(user: User, member: PanelMember) -> bool:
    """An invitation exists for the invited reviewer and for the agency's staff."""
    return member.user_id == user.id or _agency_staff(user, member.case)


def _declare(user: User, member: PanelMember) -> bool:
    return member.user_id == user.id and has_role(user, member.case.agency_id, Role.REVIEWER)


class ReviewAction(enum.StrEnum):
    """The review domain's actions (the policy keys rules by their string values)."""

    PANEL_MANAGE = "panel.manage"  # obj: a Case (form the panel, resolve objections)
    PANEL_VIEW = "panel.view"  # obj: a Case (who sits on the panel)
    PANEL_OBJECT = "panel.object"  # obj: a Case (the provider objects to a member)
    REVIEW_WORKSPACE = "review.workspace"  # obj: a Case (the reviewer's reading list)
    REVIEW_DECLARE = "review.declare"  # obj: a PanelMember (accept, declare, decline)
    JUDGE = "review.judge"  # obj: a Case (record one's own judgements)
    READ_JUDGEMENTS = "review.read_judgements"  # obj: a Case (every member's judgements)
    CONSOLIDATE = "review.consolidate"  # obj: a Case (the panel's judgement and outcome)
    SITE_VISIT_VIEW = "review.site_visit_view"  # obj: a Case
    SITE_VISIT_EDIT = "review.site_visit_edit"  # obj: a Case
    REPORT_VIEW = "review.report_view"  # obj: a Case (the draft report)
    REPORT_COMMENT = "review.report_comment"  # obj: a Case (factual-accuracy comments)
    REPORT_RESPOND = "review.report_respond"  # obj: a Case (the panel's responses)
    SETTINGS = "review.settings"  # obj: the agency (objection window, factual check, COI text)


def chairs_panel(user: User, case: Any) -> bool:
    return panel_role(user, case) == PanelRole.CHAIR


def _read_judgements(user: User, case: Any) -> bool:
    """Individual judgements stay inside the panel's chair and the agency."""
    return _agency_staff(user, case) or chairs_panel(user, case)


def _site_visit_edit(user: User, case: Any) -> bool:
    return _agency_staff(user, case) or chairs_panel(user, case)


def _report_view(user: User, case: Any) -> bool:
    """The panel and the agency read the report as it grows; the provider once it has been
    sent for the factual check."""
    if _workspace(user, case):
        return True
    return _provider_staff(user, case) and case.state in REPORT_STATES


register_case_reader(sits_on_panel)
register_visibility(PanelMember, can_see_panel_member)
register_rules(
    {
        ReviewAction.PANEL_MANAGE: _agency_staff,
        ReviewAction.PANEL_VIEW: _panel_view,
        ReviewAction.PANEL_OBJECT: _panel_object,
        ReviewAction.REVIEW_WORKSPACE: _workspace,
        ReviewAction.REVIEW_DECLARE: _declare,
        ReviewAction.JUDGE: sits_on_panel,
        ReviewAction.READ_JUDGEMENTS: _read_judgements,
        ReviewAction.CONSOLIDATE: chairs_panel,
        ReviewAction.SITE_VISIT_VIEW: _workspace,
        ReviewAction.SITE_VISIT_EDIT: _site_visit_edit,
        ReviewAction.REPORT_VIEW: _report_view,
        ReviewAction.REPORT_COMMENT: _provider_staff,
        ReviewAction.REPORT_RESPOND: chairs_panel,
        ReviewAction.SETTINGS: is_agency_admin,
    }
)
register_panel_parties(_panel_parties)
