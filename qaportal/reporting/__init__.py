"""Printed documents: the sources in ``reports/`` rendered to PDF, and the case documents
generated from them (versioned, stored immutably with their SHA-256, published and
verifiable by anyone on ``/verify``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal import jobs
    from qaportal.reporting import access  # noqa: F401 - declares the reporting rules
    from qaportal.reporting.services import JOB_KIND, generate_job
    from qaportal.reporting.views import bp

    app.register_blueprint(bp)
    # A failed render ends the job at once (the page offers "Try again"); attempts count
    # only workers that died mid-way, and a render that kills its worker twice is not
    # worth a third.
    jobs.register(JOB_KIND, generate_job, max_attempts=2)

    from qaportal.reporting.audit_words import register_audit_words

    register_audit_words()
