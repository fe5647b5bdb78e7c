"""Accreditation cases: the self-assessment, the declared workflow, screening and due dates."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal.cases import access
    from qaportal.cases.cli import reminders
    from qaportal.cases.dashboard import apply_step, case_links, case_list_step, case_tasks
    from qaportal.cases.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links, register_next_step, register_tasks

    app.register_blueprint(bp)
    register_tasks(case_tasks)
    register_links(case_links, order=60)
    # Applying comes before opening a feedback campaign (20); the case list after (30).
    register_next_step(apply_step, order=10)
    register_next_step(case_list_step, order=30)
    actions = access.CaseAction
    requirements = _l("Framework requirements")
    manage = actions.AGENCY_MANAGE_FRAMEWORKS
    register_nav(NavLink(requirements, "cases.requirements", manage, "agency_id"), order=90)
    # Listed once, after every organisation's pages: one list holds all the user's cases.
    register_nav(NavLink(_l("Cases"), "cases.index", actions.CASE_LIST), order=100)
    app.cli.add_command(reminders)

    from qaportal.cases.audit_words import register_audit_words

    register_audit_words()
