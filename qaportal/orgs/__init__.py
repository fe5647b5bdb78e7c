"""Organisations (agencies, providers), their staff, invitations and the reviewer pool."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal.orgs import access
    from qaportal.orgs.cli import create_admin
    from qaportal.orgs.dashboard import management_links, profile_links
    from qaportal.orgs.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links

    app.register_blueprint(bp)
    register_links(management_links, order=10)
    register_links(profile_links, order=40)
    actions = access.OrgAction
    register_nav(
        NavLink(_l("Providers"), "orgs.providers", actions.AGENCY_MANAGE_PROVIDERS, "agency_id"),
        order=10,
    )
    register_nav(
        NavLink(
            _l("Reviewer pool"), "orgs.reviewers", actions.AGENCY_MANAGE_REVIEWERS, "agency_id"
        ),
        order=20,
    )
    register_nav(NavLink(_l("Staff"), "orgs.staff", actions.ORG_MANAGE_STAFF, "org_id"), order=30)
    profile = NavLink(
        _l("Provider profile"), "orgs.show", actions.ORG_VIEW, "org_id", providers_only=True
    )
    register_nav(profile, order=40)
    app.cli.add_command(create_admin)

    from qaportal.orgs.audit_words import register_audit_words

    register_audit_words()
