"""Decisions on cases: the agency's decision with conditions and validity, the provider's
appeal decided by a committee of people who were not on the panel, the follow-up of
conditions, complaints about the process, and an agency's decision settings.

Its rows of the workflow table live in qaportal/cases/workflow.py with the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.decisions import access  # noqa: F401 - declares the decision rules
    from qaportal.decisions.dashboard import decision_links, decision_tasks
    from qaportal.decisions.views import bp
    from qaportal.web.dashboard import register_links, register_tasks

    app.register_blueprint(bp)
    register_tasks(decision_tasks)
    register_links(decision_links, order=75)

    from qaportal.decisions.audit_words import register_audit_words

    register_audit_words()
