"""The public register: decisions an agency published, with their providers, conditions,
validity and reports; publication and withdrawal are the agency's explicit, audited steps.
Every public surface reads through :mod:`qaportal.register.queries`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    import qaportal.register.access  # noqa: F401 - declares the register rules
    from qaportal.catalogue.search import AccreditationFilter
    from qaportal.register import queries
    from qaportal.register.export_views import bp as exports_bp
    from qaportal.register.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(exports_bp)  # ELM accreditation and DEQAR CSV
    # The public catalogue's accreditation filter, badges and "offered under" read the
    # register's published decisions.
    AccreditationFilter.plug(
        queries.accredited_providers_condition,
        queries.accredited_provider_ids,
        queries.current_accreditation_for_specs,
    )

    from qaportal.register.audit_words import register_audit_words

    register_audit_words()
