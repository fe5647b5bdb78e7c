"""Email through an outbox: queued in the transaction that causes it, sent and retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.notifications import access  # noqa: F401 - declares who reads the outbox
    from qaportal.notifications.dashboard import outbox_links
    from qaportal.notifications.views import bp
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(outbox_links, order=30)
