"""The audit trail on an agency administrator's dashboard panel."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import can
from qaportal.audit.access import AuditAction
from qaportal.auth.models import Membership, User
from qaportal.web.dashboard import Link


def audit_links(user: User, membership: Membership) -> list[Link]:
    if not can(user, AuditAction.AGENCY_VIEW_AUDIT, membership.organisation):
        return []
    return [Link(_("Audit trail"), url_for("audit.index", agency_id=membership.organisation_id))]
