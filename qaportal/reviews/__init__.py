"""Review panels: forming a panel from an agency's reviewer pool, conflict-of-interest
declarations before any access to the case, the provider's objections to members, the
reviewers' findings, the site visit, the chair's consolidation, the draft panel report with
its factual-accuracy check, and an agency's review settings.

Its rows of the workflow table live in qaportal/cases/workflow.py with the others; the panel
parties of that table are declared by ``access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal.auth.models import Role
    from qaportal.reviews import access  # noqa: F401 - declares the panel rules and parties
    from qaportal.reviews.dashboard import findings_tasks, panel_tasks
    from qaportal.reviews.settings_views import settings_links
    from qaportal.reviews.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links, register_tasks

    app.register_blueprint(bp)
    register_tasks(panel_tasks)
    register_tasks(findings_tasks)
    # Beside the decision settings (75) on the agency admin's panel.
    register_links(settings_links, order=76)
    register_nav(NavLink(_l("My reviews"), "reviews.workspace", role=Role.REVIEWER), order=110)

    from qaportal.reviews.audit_words import register_audit_words

    register_audit_words()
