"""Who publishes a decision in the register and withdraws it: the staff of the case's
agency. The public pages need no rule: they show only what :mod:`qaportal.register.queries`
returns. Visibility of the case is asked first by ``authorize`` (404 for strangers)."""

from __future__ import annotations

import enum
from typing import Any

from qaportal.access.policy import has_role, register_rules
from qaportal.auth.models import AGENCY_STAFF_ROLES, User


class RegisterAction(enum.StrEnum):
    PUBLISH = "register.publish"  # obj: a Case (publish or withdraw its current decision)


def _agency_staff(user: User, case: Any) -> bool:
    return has_role(user, case.agency_id, *AGENCY_STAFF_ROLES)


register_rules({RegisterAction.PUBLISH: _agency_staff})
