"""Who reads and retries an agency's email outbox; collected by
:mod:`qaportal.access.policy`."""

from __future__ import annotations

import enum

from qaportal.access.policy import is_agency_admin, register_rules


class NotificationAction(enum.StrEnum):
    AGENCY_VIEW_OUTBOX = "agency.view_outbox"  # obj: the agency
    AGENCY_RETRY_OUTBOX = "agency.retry_outbox"  # obj: the agency


register_rules(
    {
        NotificationAction.AGENCY_VIEW_OUTBOX: is_agency_admin,
        NotificationAction.AGENCY_RETRY_OUTBOX: is_agency_admin,
    }
)
