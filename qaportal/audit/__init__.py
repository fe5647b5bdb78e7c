"""The audit trail: who did what, when, from where; every state change records an event."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal.audit import access
    from qaportal.audit.cli import audit_group
    from qaportal.audit.core_words import register_core_words
    from qaportal.audit.dashboard import audit_links
    from qaportal.audit.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(audit_links, order=20)
    read = access.AuditAction.AGENCY_VIEW_AUDIT
    register_nav(NavLink(_l("Audit trail"), "audit.index", read, "agency_id"), order=70)
    app.cli.add_command(audit_group)
    register_core_words()
