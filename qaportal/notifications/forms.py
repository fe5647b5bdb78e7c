"""Fixed WTForms classes of the outbox pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from qaportal.notifications.models import OutboxStatus

try:  # WTForms >= 3.3 wants SelectChoice objects; 3.2 knows only tuples
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # pragma: no cover

    def _Choice(value: str, label: object) -> tuple[str, object]:  # type: ignore[no-redef]
        return (value, label)


STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}


class OutboxFilterForm(FlaskForm):
    """The status filter: a GET form, so it changes nothing and needs no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            _Choice("", _l("All")),
            *(_Choice(s.value, label) for s, label in STATUS_LABELS.items()),
        ],
        default="",
    )

    def selected_status(self) -> OutboxStatus | None:
        value = self.status.data or ""
        return OutboxStatus(value) if value in OutboxStatus._value2member_map_ else None


class RetryForm(FlaskForm):
    """The "retry now" button (CSRF only)."""
