"""Who reads an agency's audit trail; collected by :mod:`qaportal.access.policy`."""

from __future__ import annotations

import enum

from qaportal.access.policy import is_agency_admin, register_rules


class AuditAction(enum.StrEnum):
    AGENCY_VIEW_AUDIT = "agency.view_audit"  # obj: the agency


register_rules({AuditAction.AGENCY_VIEW_AUDIT: is_agency_admin})
