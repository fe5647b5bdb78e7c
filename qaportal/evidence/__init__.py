"""Evidence of a case's self-assessment: uploads, checked, stored once, linked to criteria."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.evidence import access  # noqa: F401 - declares who sees evidence
    from qaportal.evidence.views import bp

    app.register_blueprint(bp)

    from qaportal.evidence.audit_words import register_audit_words

    register_audit_words()
