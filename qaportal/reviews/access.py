"""Who may do what with panels, declared by the review domain and collected by
:mod:`qaportal.access.policy` and :mod:`qaportal.cases.workflow` when this module is imported.

A reviewer is a member of the agency with role ``reviewer``; what makes them see a case is a
panel seat with status ``active``: invited, accepted, and declared no conflict of interest.
Until then the case does not exist for them (404); the invitation page is all they see.
"""

from __future__ import annotations

from typing import Any

from qaportal.access.policy import (
    Action,
    has_role,
    register_case_reader,
    register_rules,
    register_visibility,
)
from qaportal.auth.models import AGENCY_STAFF_ROLES, PROVIDER_ROLES, Role, User
from qaportal.cases.workflow import Party, register_panel_parties
from qaportal.db import get_session
from qaportal.reviews import queries
from qaportal.reviews.models import PanelMember, PanelRole


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


register_case_reader(sits_on_panel)
register_visibility(PanelMember, can_see_panel_member)
register_rules(
    {
        Action.PANEL_MANAGE: _agency_staff,
        Action.PANEL_VIEW: _panel_view,
        Action.PANEL_OBJECT: _panel_object,
        Action.REVIEW_WORKSPACE: _workspace,
        Action.REVIEW_DECLARE: _declare,
    }
)
register_panel_parties(_panel_parties)
