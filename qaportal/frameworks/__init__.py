"""Criteria frameworks and questionnaires defined as data in ``forms/``: loading, checking,
and the forms built from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``): the framework domain has
    no pages of its own (an agency's requirements live with the cases), only its command, and
    ``criterion_title(criterion)`` for templates (a criterion's title in the current
    language)."""
    from qaportal.frameworks.cli import forms_group
    from qaportal.frameworks.localize import title_of

    app.cli.add_command(forms_group)
    app.add_template_global(title_of, "criterion_title")

    from qaportal.frameworks.audit_words import register_audit_words

    register_audit_words()
