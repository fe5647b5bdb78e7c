"""The email outbox on an agency administrator's dashboard panel."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from qaportal.access.policy import can
from qaportal.auth.models import Membership, User
from qaportal.notifications.access import NotificationAction
from qaportal.web.dashboard import Link


def outbox_links(user: User, membership: Membership) -> list[Link]:
    if not can(user, NotificationAction.AGENCY_VIEW_OUTBOX, membership.organisation):
        return []
    url = url_for("notifications.outbox", agency_id=membership.organisation_id)
    return [Link(_("Email outbox"), url)]
