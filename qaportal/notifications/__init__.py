"""Email through an outbox: queued in the transaction that causes it, sent and retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal.notifications import access
    from qaportal.notifications.cli import mail_group
    from qaportal.notifications.dashboard import outbox_links
    from qaportal.notifications.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(outbox_links, order=30)
    read = access.NotificationAction.AGENCY_VIEW_OUTBOX
    register_nav(NavLink(_l("Outbox"), "notifications.outbox", read, "agency_id"), order=80)
    app.cli.add_command(mail_group)

    from qaportal.notifications.audit_words import register_audit_words

    register_audit_words()
