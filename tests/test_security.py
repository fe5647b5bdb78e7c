"""Web hardening: security headers, CSRF on every POST route, request size limit, error pages
in the portal's layout, and templates that a strict CSP can serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from qaportal import create_app
from qaportal.paths import TEMPLATES_DIR
from tests.conftest import csrf_token, login

LAYOUT_MARKERS = ('class="skip-link"', '<main id="main"', 'class="site-header"')


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def test_security_headers_on_a_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    directives = _csp(response)
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "same-origin",
        "no-referrer",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    assert "Strict-Transport-Security" not in response.headers  # not over plain http
    assert "no-store" in response.headers["Cache-Control"]


def test_hsts_in_production(app_config: dict[str, Any]):
    app = create_app(
        {**app_config, "PRODUCTION": True, "SECRET_KEY": "p" * 48, "BASE_URL": "https://localhost"}
    )
    try:
        response = app.test_client().get("/login", base_url="https://localhost")
        assert response.status_code == 200
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    finally:
        app.extensions["qaportal.engine"].dispose()


def test_static_files_are_served_by_the_app(client):
    response = client.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _post_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if "POST" in (r.methods or ()) and r.endpoint != "static"
        ),
        key=lambda r: r.rule,
    )


def _url_for_rule(app: Flask, rule: Rule, ids: dict[str, int]) -> str:
    """A concrete address for ``rule``: demo ids where the name is known, 1 for other ints."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        if isinstance(converter, IntegerConverter):
            values[name] = ids.get(name, 1)
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        elif kind == "UUIDConverter":
            values[name] = "00000000-0000-4000-8000-000000000001"
        else:
            values[name] = "1"
    _, url = rule.build(values, append_unknown=False)
    return url


def _demo_ids(app: Flask) -> dict[str, int]:
    from qaportal.db import get_session
    from qaportal.orgs.models import Organisation, OrgKind

    with app.app_context():
        session = get_session()
        agency = session.query(Organisation).filter_by(kind=OrgKind.AGENCY).first()
        provider = session.query(Organisation).filter_by(kind=OrgKind.PROVIDER).first()
        assert agency and provider
        return {
            "agency_id": agency.id,
            "org_id": provider.id,
            "provider_id": provider.id,
        }


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "agency-admin"])
def test_every_post_route_refuses_a_post_without_csrf_token(app, client, demo, signed_in):
    if signed_in:
        login(client, "admin@agency.example.org", demo.password)
    else:
        csrf_token(client, "/login")  # the session has a token, the request just lacks it
    rules = _post_rules(app)
    assert len(rules) >= 3, [r.rule for r in rules]
    ids = _demo_ids(app)
    accepted = []
    for rule in rules:
        url = _url_for_rule(app, rule, ids)
        response = client.post(url, data={"anything": "x"})
        body = response.get_data(as_text=True)
        if response.status_code != 400 or "security token" not in body:
            accepted.append(f"{rule.rule} ({url}) -> {response.status_code}")
    assert not accepted, "POST accepted without a CSRF token:\n" + "\n".join(accepted)


def test_forged_token_is_refused_on_a_signed_in_route(client, demo):
    login(client, "admin@agency.example.org", demo.password)
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 200  # still signed in: nothing changed


def test_oversize_request_gets_413_in_the_portal_layout(app, client):
    assert app.config["MAX_CONTENT_LENGTH"] > 0
    app.config["MAX_CONTENT_LENGTH"] = 4096
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "a@example.org", "password": "x" * 10_000},
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "Too large" in body
    for marker in LAYOUT_MARKERS:
        assert marker in body


def test_oversize_upload_gets_413(app, client):
    import io

    app.config["MAX_CONTENT_LENGTH"] = 4096
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "file": (io.BytesIO(b"0" * 20_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_404_page_uses_the_portal_layout(client):
    response = client.get("/there/is/nothing/here")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    for marker in LAYOUT_MARKERS:
        assert marker in body
    assert "Content-Security-Policy" in response.headers


def test_405_page_uses_the_portal_layout(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert 'class="skip-link"' in response.get_data(as_text=True)


INLINE_PATTERNS = {
    "inline <script> (without src)": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "inline event handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _printed_only(path: Path) -> bool:
    """``*_pdf.html`` templates are rendered by WeasyPrint, never served to a browser."""
    return path.name.endswith("_pdf.html")


def test_templates_have_no_inline_script_or_style():
    templates = sorted(Path(TEMPLATES_DIR).rglob("*.html"))
    assert templates
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE_PATTERNS.items():
            if what == "<style> element" and _printed_only(path):
                continue
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES_DIR)}:{line}: {what}")
    assert not problems, "the CSP forbids these:\n" + "\n".join(problems)
