"""Words for panel roles and statuses, in one place for pages and mail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qaportal.reviews.models import MemberStatus, ObjectionStatus, PanelRole

_ROLES = {
    PanelRole.CHAIR: _l("chair"),
    PanelRole.MEMBER: _l("member"),
    PanelRole.STUDENT: _l("student member"),
    PanelRole.EMPLOYER: _l("employer / labour-market member"),
}
_STATUSES = {
    MemberStatus.INVITED: _l("invited, not yet declared"),
    MemberStatus.ACTIVE: _l("accepted, no conflict"),
    MemberStatus.DECLINED: _l("declined"),
    MemberStatus.CONFLICT: _l("declared a conflict of interest"),
    MemberStatus.WITHDRAWN: _l("withdrawn by the agency"),
    MemberStatus.REMOVED: _l("removed after an objection"),
}
_OBJECTIONS = {
    ObjectionStatus.OPEN: _l("open"),
    ObjectionStatus.UPHELD: _l("upheld"),
    ObjectionStatus.DISMISSED: _l("dismissed"),
}


def role_label(role: PanelRole) -> str:
    return str(_ROLES[role])


def status_label(status: MemberStatus) -> str:
    return str(_STATUSES[status])


def objection_label(status: ObjectionStatus) -> str:
    return str(_OBJECTIONS[status])
