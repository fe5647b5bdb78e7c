"""The micro-credential catalogue: each provider's specifications, versions and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.catalogue import access  # noqa: F401 - declares the catalogue rules
    from qaportal.catalogue.dashboard import catalogue_links
    from qaportal.catalogue.io_views import bp as io_bp
    from qaportal.catalogue.views import bp
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    app.register_blueprint(io_bp)
    register_links(catalogue_links, order=50)
