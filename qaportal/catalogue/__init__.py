"""The micro-credential catalogue: each provider's specifications, versions and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal import jobs
    from qaportal.catalogue import access
    from qaportal.catalogue.dashboard import catalogue_links
    from qaportal.catalogue.import_jobs import JOB_KIND, import_job
    from qaportal.catalogue.io_views import bp as io_bp
    from qaportal.catalogue.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    app.register_blueprint(io_bp)
    register_links(catalogue_links, order=50)
    view = access.CatalogueAction.CATALOGUE_VIEW
    register_nav(
        NavLink(_l("Catalogue"), "catalogue.index", view, "org_id", providers_only=True), order=50
    )
    # Large CSV imports; a retry re-reads the staged file, so two attempts are enough.
    jobs.register(JOB_KIND, import_job, max_attempts=2)

    from qaportal.catalogue.audit_words import register_audit_words

    register_audit_words()
