"""Fixed WTForms classes of the outbox pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField

from qaportal.notifications.models import OutboxStatus
from qaportal.web.forms import PortalForm

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.WITHDRAWN: _l("Withdrawn"),
}


class OutboxFilterForm(PortalForm):
    """The status filter: a GET form, so it changes nothing and needs no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()),
        ],
        default="",
    )

    def selected_status(self) -> OutboxStatus | None:
        value = self.status.data or ""
        return OutboxStatus(value) if value in OutboxStatus._value2member_map_ else None


class RetryForm(PortalForm):
    """The "retry now" button (CSRF only)."""
