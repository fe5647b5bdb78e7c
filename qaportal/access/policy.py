"""The one place that decides who may do what on which object.

Every view calls :func:`authorize` (or :func:`can` to decide what to show). Two questions
are asked, in order:

1. may this user *see* the object at all? If not, the object does not exist for them (404),
   so staff of one provider cannot even learn that another provider's object exists;
2. may this user perform the action on it? If not, 403.

Rules are a declared table (``RULES``): action -> predicate(user, obj). Later features add
their actions and visibility functions here and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import Forbidden, NotFound

from qaportal.auth.models import AGENCY_STAFF_ROLES, Role, User
from qaportal.orgs.models import Organisation


class Action(enum.StrEnum):
    VIEW_DASHBOARD = "dashboard.view"
    ORG_VIEW = "org.view"
    ORG_EDIT = "org.edit"
    ORG_MANAGE_STAFF = "org.manage_staff"
    AGENCY_MANAGE_PROVIDERS = "agency.manage_providers"
    AGENCY_MANAGE_REVIEWERS = "agency.manage_reviewers"
    AGENCY_VIEW_AUDIT = "agency.view_audit"
    AGENCY_VIEW_OUTBOX = "agency.view_outbox"
    AGENCY_RETRY_OUTBOX = "agency.retry_outbox"
    # accreditation cases (qaportal.cases, qaportal.evidence)
    CASE_LIST = "case.list"  # obj: the provider or agency whose cases are listed
    CASE_OPEN = "case.open"  # obj: the provider that applies
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"  # self-assessment answers and evidence (state checked by service)
    # The provider's own texts in a case: self-assessment answers, evidence, coverage.
    CASE_READ_SUBMISSION = "case.read_submission"
    CASE_TRANSITION = "case.transition"  # the workflow table decides which action
    CASE_SCREEN = "case.screen"  # the screening checklist of a case (agency staff)
    CASE_SET_DEADLINES = "case.set_deadlines"  # stage due dates of a case (agency staff)
    EVIDENCE_DOWNLOAD = "evidence.download"
    AGENCY_MANAGE_FRAMEWORKS = "agency.manage_frameworks"
    USER_SET_ACTIVE = "user.set_active"
    # micro-credential catalogue (qaportal.catalogue)
    CATALOGUE_VIEW = "catalogue.view"  # obj: the provider whose specifications are listed
    CATALOGUE_EDIT = "catalogue.edit"  # obj: the provider (create a specification)
    SPEC_VIEW = "specification.view"  # obj: a Specification (read every version)
    SPEC_EDIT = "specification.edit"  # obj: a Specification (drafts, publish, new version)
    SPEC_RETIRE = "specification.retire"  # obj: a Specification
    # learner and peer feedback (qaportal.feedback)
    FEEDBACK_LIST = "feedback.list"  # obj: the provider whose campaigns are listed
    FEEDBACK_CREATE = "feedback.create"  # obj: the provider that opens a campaign
    FEEDBACK_VIEW = "feedback.view"  # obj: a Campaign (overview, results, exports)
    FEEDBACK_MANAGE = "feedback.manage"  # obj: a Campaign (invite, codes, remind, close, attach)
    FEEDBACK_SETTINGS = "feedback.settings"  # obj: the agency (results threshold)
    # review panels (qaportal.reviews declares the rules: qaportal/reviews/access.py)
    PANEL_MANAGE = "panel.manage"  # obj: a Case (form the panel, resolve objections)
    PANEL_VIEW = "panel.view"  # obj: a Case (who sits on the panel)
    PANEL_OBJECT = "panel.object"  # obj: a Case (the provider objects to a member)
    REVIEW_WORKSPACE = "review.workspace"  # obj: a Case (the reviewer's reading list)
    REVIEW_DECLARE = "review.declare"  # obj: a PanelMember (accept, declare, decline)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def has_role(user: User, org_id: int | None, *roles: Role) -> bool:
    if org_id is None:
        return False
    return any(m.organisation_id == org_id and m.role in roles for m in user.memberships)


def _manages_provider(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.managing_agency_id, *AGENCY_STAFF_ROLES)


# ----- visibility: which objects exist for this user -------------------------------------


def can_see_organisation(user: User, org: Organisation) -> bool:
    if any(m.organisation_id == org.id for m in user.memberships):
        return True
    return _manages_provider(user, org)


def can_see_user(user: User, target: User) -> bool:
    """A user exists for you if they belong to an organisation you can see (or are you)."""
    if target.id == user.id:
        return True
    return any(can_see_organisation(user, m.organisation) for m in target.memberships)


# Further parties who see a case and read what the provider submitted, declared by the
# domains that create them (review panels: qaportal/reviews/access.py).
_CASE_READERS: list[Callable[[User, Any], bool]] = []


def register_case_reader(check: Callable[[User, Any], bool]) -> None:
    if check not in _CASE_READERS:
        _CASE_READERS.append(check)


def _other_reader(user: User, case: Any) -> bool:
    return any(check(user, case) for check in _CASE_READERS)


def can_see_case(user: User, case: Any) -> bool:
    """Provider staff of the case's provider, agency staff of its agency, and the parties
    domains register (a reviewer sitting on the case's panel, after declaring)."""
    return (
        has_role(user, case.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)
        or has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)
        or _other_reader(user, case)
    )


def can_read_submission(user: User, case: Any) -> bool:
    """The provider's staff always; the agency once the case has been submitted.

    Before submission (and again after the agency returned it) the provider is still
    writing: the agency knows the case exists, its reference, scope and state, and nothing
    of the self-assessment or the evidence. A case withdrawn before it was ever submitted
    stays unread. ``submitted_at`` is set on submission and cleared on return to draft.
    """
    if has_role(user, case.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR):
        return True
    return case.submitted_at is not None and (
        has_role(user, case.agency_id, *AGENCY_STAFF_ROLES) or _other_reader(user, case)
    )


def can_see_evidence(user: User, evidence: Any) -> bool:
    return can_see_case(user, evidence.case) and can_read_submission(user, evidence.case)


VISIBILITY: dict[type, Callable[[User, Any], bool]] = {
    Organisation: can_see_organisation,
    User: can_see_user,
}


def _register_case_visibility() -> None:
    from qaportal.cases.models import Case
    from qaportal.evidence.models import Evidence

    VISIBILITY[Case] = can_see_case
    VISIBILITY[Evidence] = can_see_evidence


_register_case_visibility()


def can_see_specification(user: User, spec: Any) -> bool:
    """A specification exists for whoever can see its provider (staff, managing agency)."""
    return can_see_organisation(user, spec.provider)


def _register_catalogue_visibility() -> None:
    from qaportal.catalogue.models import Specification

    VISIBILITY[Specification] = can_see_specification


_register_catalogue_visibility()


def can_see_campaign(user: User, campaign: Any) -> bool:
    """A feedback campaign exists only for the staff of its provider."""
    return has_role(user, campaign.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _register_feedback_visibility() -> None:
    from qaportal.feedback.models import Campaign

    VISIBILITY[Campaign] = can_see_campaign


_register_feedback_visibility()


def register_visibility(cls: type, check: Callable[[User, Any], bool]) -> None:
    """A domain declares which of its objects exist for whom."""
    VISIBILITY[cls] = check


def can_see(user: User, obj: Any) -> bool:
    for cls, check in VISIBILITY.items():
        if isinstance(obj, cls):
            return check(user, obj)
    raise TypeError(f"no visibility rule for {type(obj).__name__}")


# ----- permissions -------------------------------------------------------------------------


def _org_edit(user: User, org: Organisation) -> bool:
    if org.is_agency:
        return has_role(user, org.id, Role.AGENCY_ADMIN)
    return has_role(user, org.id, Role.PROVIDER_ADMIN) or has_role(
        user, org.managing_agency_id, Role.AGENCY_ADMIN
    )


def _agency_admin(user: User, org: Organisation) -> bool:
    return org.is_agency and has_role(user, org.id, Role.AGENCY_ADMIN)


def _user_set_active(user: User, target: User) -> bool:
    """Deactivating an account acts on all its memberships: you must manage the staff of every
    organisation it belongs to, and it cannot be your own."""
    if target.id == user.id or not target.memberships:
        return False
    return all(_org_edit(user, m.organisation) for m in target.memberships)


def grantable_roles(user: User, org: Organisation) -> list[Role]:
    """The roles ``user`` may give in ``org`` by invitation (reviewers go through the pool)."""
    if not _org_edit(user, org):
        return []
    if org.is_agency:
        return [Role.AGENCY_ADMIN, Role.AGENCY_OFFICER]
    return [Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR]


def _case_staff(user: User, org: Organisation) -> bool:
    if org.is_provider:
        return has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)
    return has_role(user, org.id, *AGENCY_STAFF_ROLES)


def _provider_admin(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN)


def _case_provider_staff(user: User, case: Any) -> bool:
    return has_role(user, case.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _case_agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


def _case_party(user: User, case: Any) -> bool:
    return can_see_case(user, case)


def _catalogue_view(user: User, org: Organisation) -> bool:
    return org.is_provider


def _catalogue_edit(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _spec_edit(user: User, spec: Any) -> bool:
    return has_role(user, spec.provider_id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


def _spec_retire(user: User, spec: Any) -> bool:
    return has_role(user, spec.provider_id, Role.PROVIDER_ADMIN)


def _feedback_staff(user: User, org: Organisation) -> bool:
    return org.is_provider and has_role(user, org.id, Role.PROVIDER_ADMIN, Role.PROVIDER_EDITOR)


RULES: dict[Action, Callable[[User, Any], bool]] = {
    Action.VIEW_DASHBOARD: lambda user, _obj: True,
    Action.ORG_VIEW: lambda user, org: True,
    Action.ORG_EDIT: _org_edit,
    Action.ORG_MANAGE_STAFF: _org_edit,
    Action.AGENCY_MANAGE_PROVIDERS: _agency_admin,
    Action.AGENCY_MANAGE_REVIEWERS: _agency_admin,
    Action.AGENCY_VIEW_AUDIT: _agency_admin,
    Action.AGENCY_VIEW_OUTBOX: _agency_admin,
    Action.AGENCY_RETRY_OUTBOX: _agency_admin,
    Action.USER_SET_ACTIVE: _user_set_active,
    Action.CASE_LIST: _case_staff,
    Action.CASE_OPEN: _provider_admin,
    Action.CASE_VIEW: _case_party,
    Action.CASE_EDIT: _case_provider_staff,
    Action.CASE_READ_SUBMISSION: can_read_submission,
    Action.CASE_TRANSITION: _case_party,
    Action.CASE_SCREEN: _case_agency_staff,
    Action.CASE_SET_DEADLINES: _case_agency_staff,
    Action.EVIDENCE_DOWNLOAD: can_see_evidence,
    Action.AGENCY_MANAGE_FRAMEWORKS: _agency_admin,
    Action.CATALOGUE_VIEW: _catalogue_view,
    Action.CATALOGUE_EDIT: _catalogue_edit,
    Action.SPEC_VIEW: lambda user, spec: True,  # visibility decides (can_see_specification)
    Action.SPEC_EDIT: _spec_edit,
    Action.SPEC_RETIRE: _spec_retire,
    Action.FEEDBACK_LIST: _feedback_staff,
    Action.FEEDBACK_CREATE: _feedback_staff,
    Action.FEEDBACK_VIEW: can_see_campaign,
    Action.FEEDBACK_MANAGE: can_see_campaign,
    Action.FEEDBACK_SETTINGS: _agency_admin,
}


def register_rules(rules: dict[Action, Callable[[User, Any], bool]]) -> None:
    """A domain declares the rules of its own actions (see qaportal/reviews/access.py)."""
    RULES.update(rules)


def can(user: Any, action: Action, obj: Any = None) -> bool:
    if not _authenticated(user):
        return False
    if obj is not None and not can_see(user, obj):
        return False
    return RULES[action](user, obj)


def authorize(user: Any, action: Action, obj: Any = None) -> None:
    """Raise 404 for an object the user may not see, 403 for a missing permission.

    Anonymous visitors never get here: views are wrapped in ``login_required`` first.
    """
    if not _authenticated(user):
        raise Forbidden()
    if obj is not None and not can_see(user, obj):
        raise NotFound()
    if not RULES[action](user, obj):
        raise Forbidden()
