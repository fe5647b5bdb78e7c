"""Learner and peer feedback: campaigns, one-time invitations, anonymous responses, results.

See :mod:`qaportal.feedback.models` for how anonymity is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from flask_babel import lazy_gettext as _l

    from qaportal import jobs
    from qaportal.feedback import access
    from qaportal.feedback.attach import JOB_KIND, attach_summary_job
    from qaportal.feedback.audit_words import register_audit_words
    from qaportal.feedback.dashboard import feedback_links, feedback_next_step, feedback_tasks
    from qaportal.feedback.views import bp
    from qaportal.web.context import NavLink, register_nav
    from qaportal.web.dashboard import register_links, register_next_step, register_tasks

    app.register_blueprint(bp)
    register_tasks(feedback_tasks)
    register_links(feedback_links, order=70)
    register_next_step(feedback_next_step, order=20)
    listing = access.FeedbackAction.FEEDBACK_LIST
    register_nav(
        NavLink(_l("Feedback"), "feedback.campaigns", listing, "org_id", providers_only=True),
        order=60,
    )
    jobs.register(JOB_KIND, attach_summary_job, max_attempts=3)
    register_audit_words()
