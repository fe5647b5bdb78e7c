"""Accreditation cases: the self-assessment, the declared workflow, screening and due dates."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.cases import access  # noqa: F401 - declares the case rules
    from qaportal.cases.dashboard import apply_step, case_links, case_list_step, case_tasks
    from qaportal.cases.views import bp
    from qaportal.web.dashboard import register_links, register_next_step, register_tasks

    app.register_blueprint(bp)
    register_tasks(case_tasks)
    register_links(case_links, order=60)
    # Applying comes before opening a feedback campaign (20); the case list after (30).
    register_next_step(apply_step, order=10)
    register_next_step(case_list_step, order=30)
