"""The one place that decides who may do what on which object.

Every view calls :func:`authorize` (or :func:`can` to decide what to show). Two questions
are asked, in order:

1. may this user *see* the object at all? If not, the object does not exist for them (404),
   so staff of one provider cannot even learn that another provider's object exists;
2. may this user perform the action on it? If not, 403.

This module is the mechanism, not the rules: each domain declares its own in its
``access.py`` (``qaportal/cases/access.py``, ``qaportal/reviews/access.py``, …), an enum of
its actions (a ``StrEnum`` whose values are ``"domain.verb"``) with
:func:`register_rules`, and which of its objects exist for whom with
:func:`register_visibility`. The app factory imports every domain at start-up
(``qaportal.DOMAINS``), so the tables are complete before the first request; this module
imports no domain. Rules are keyed by the action's string value, so an action of any
domain's enum (or its plain string) names the same rule.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.exceptions import Forbidden, NotFound

from qaportal.auth.models import Role, User

Rule = Callable[[User, Any], bool]


class CoreAction(enum.StrEnum):
    """Actions that belong to no domain."""

    VIEW_DASHBOARD = "dashboard.view"


# ----- helpers the domains' rules share ---------------------------------------------------


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def has_role(user: User, org_id: int | None, *roles: Role) -> bool:
    if org_id is None:
        return False
    return any(m.organisation_id == org_id and m.role in roles for m in user.memberships)


def is_agency_admin(user: User, org: Any) -> bool:
    """``org`` is an agency and ``user`` administers it (settings pages of every domain)."""
    return bool(org.is_agency) and has_role(user, org.id, Role.AGENCY_ADMIN)


# ----- the registries the domains fill ----------------------------------------------------

VISIBILITY: dict[type, Rule] = {}
RULES: dict[str, Rule] = {CoreAction.VIEW_DASHBOARD.value: lambda user, _obj: True}
# Further parties who see a case and read what the provider submitted, declared by the
# domains that create them (review panels: qaportal/reviews/access.py); the case domain
# asks them (qaportal/cases/access.py).
_CASE_READERS: list[Rule] = []


def register_visibility(cls: type, check: Rule) -> None:
    """A domain declares which of its objects exist for whom."""
    VISIBILITY[cls] = check


def register_rules(rules: Mapping[str, Rule]) -> None:
    """A domain declares the rules of its own actions (see qaportal/cases/access.py)."""
    RULES.update({str(action): rule for action, rule in rules.items()})


def register_case_reader(check: Rule) -> None:
    if check not in _CASE_READERS:
        _CASE_READERS.append(check)


def is_other_case_reader(user: User, case: Any) -> bool:
    """Whether a party some domain registered (a panel seat, …) reads ``case``."""
    return any(check(user, case) for check in _CASE_READERS)


# ----- the two questions ------------------------------------------------------------------


def can_see(user: User, obj: Any) -> bool:
    for cls, check in VISIBILITY.items():
        if isinstance(obj, cls):
            return check(user, obj)
    raise TypeError(f"no visibility rule for {type(obj).__name__}: is its domain registered?")


def _rule(action: str) -> Rule:
    try:
        return RULES[str(action)]
    except KeyError:
        raise KeyError(f"no rule for action {action!s}: is its domain registered?") from None


def can(user: Any, action: str, obj: Any = None) -> bool:
    if not _authenticated(user):
        return False
    if obj is not None and not can_see(user, obj):
        return False
    return _rule(action)(user, obj)


def authorize(user: Any, action: str, obj: Any = None) -> None:
    """Raise 404 for an object the user may not see, 403 for a missing permission.

    Anonymous visitors never get here: views are wrapped in ``login_required`` first.
    """
    if not _authenticated(user):
        raise Forbidden()
    if obj is not None and not can_see(user, obj):
        raise NotFound()
    if not _rule(action)(user, obj):
        raise Forbidden()
