"""The audit trail: who did what, when, from where; every state change records an event."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.audit import access  # noqa: F401 - declares who reads the trail
    from qaportal.audit.dashboard import audit_links
    from qaportal.audit.views import bp
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(audit_links, order=20)
