"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def init_app(app: Flask) -> None:
    defaults = (*HEADERS, HSTS) if app.config["PRODUCTION"] else HEADERS

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        # One pass over the answer's headers, not one per default: each ``setdefault``
        # scanned them all, a measurable part of a small JSON answer.
        present = {name.lower() for name, _ in headers.items()}
        headers.extend([(n, v) for n, v in defaults if n.lower() not in present])
        if "cache-control" not in present and request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response
