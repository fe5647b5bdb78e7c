"""Criteria frameworks and questionnaires defined as data in ``forms/``: loading, checking,
and the forms built from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``): the framework domain has
    no pages of its own (an agency's requirements live with the cases), only its command."""
    from qaportal.frameworks.cli import forms_group

    app.cli.add_command(forms_group)
