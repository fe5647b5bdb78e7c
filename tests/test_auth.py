from __future__ import annotations

from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.db import get_session
from tests.conftest import csrf_token, login, post_form


def _actions(app) -> list[str]:
    with app.app_context():
        return list(
            get_session().execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        )


def test_sign_in_shows_dashboard_and_is_audited(app, client, demo):
    login(client, "admin@agency.example.org", demo.password)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Agency administrator" in page
    assert "Demo Agency for Quality Assurance" in page
    assert "auth.login" in _actions(app)


def test_wrong_password_is_refused_with_message_and_audited(app, client, demo):
    response = post_form(
        client, "/login", {"email": "admin@agency.example.org", "password": "not the password"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "The email address or password is not correct." in body
    assert 'value="admin@agency.example.org"' in body  # what the user typed is kept
    assert "auth.login_failed" in _actions(app)
    assert client.get("/dashboard").status_code == 302


def test_forged_csrf_token_is_refused(client, demo):
    csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": "forged",
            "email": "admin@agency.example.org",
            "password": demo.password,
        },
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_eleventh_failure_gets_429(app, client, demo):
    for _ in range(10):
        r = post_form(
            client,
            "/login",
            {"email": "officer@agency.example.org", "password": "wrong-wrong-wrong"},
        )
        assert r.status_code == 200
    r = post_form(
        client, "/login", {"email": "officer@agency.example.org", "password": demo.password}
    )
    assert r.status_code == 429
    assert "too many failed attempts" in r.get_data(as_text=True).lower()
    assert "auth.login_rate_limited" in _actions(app)


def test_logout_everywhere_ends_other_sessions(app, demo):
    first, second = app.test_client(), app.test_client()
    login(first, "admin@university.example.org", demo.password)
    login(second, "admin@university.example.org", demo.password)
    assert second.get("/dashboard").status_code == 200
    post_form(first, "/logout-everywhere", {}, token_from="/account")
    assert second.get("/dashboard").status_code == 302
    assert first.get("/dashboard").status_code == 302
