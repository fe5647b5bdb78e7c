"""The read-only public API, ``/api/v1/...``: published catalogue specifications and the
public register (providers, decisions, report versions), as JSON with cursor pagination,
ETags and CORS, described by an OpenAPI 3.1 document generated from the same pydantic
models that validate every answer (:mod:`qaportal.api.openapi`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Called by the app factory at start-up (``qaportal.DOMAINS``)."""
    from qaportal.api.stateless import SessionlessUnder
    from qaportal.api.views import BASE, bp
    from qaportal.extensions import csrf

    # Exempt from CSRF only because every route of the blueprint is a GET: nothing here
    # changes state (tests/test_api.py pins that the blueprint has no other method).
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.session_interface = SessionlessUnder(app.session_interface, BASE)
