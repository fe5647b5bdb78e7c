"""Organisations (agencies, providers), their staff, invitations and the reviewer pool."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.orgs import access  # noqa: F401 - declares the organisation rules
    from qaportal.orgs.dashboard import management_links, profile_links
    from qaportal.orgs.views import bp
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(management_links, order=10)
    register_links(profile_links, order=40)
