"""Password reset: neutral request, link by real email, one use, all sessions ended."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import OneTimeToken, TokenPurpose
from qaportal.db import get_session, utcnow
from qaportal.notifications.models import OutboxMessage
from tests.conftest import link_in_mail, login, post_form, send_mail

EMAIL = "editor@university.example.org"
NEW_PASSWORD = "a new and rather long passphrase"


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    return {**app_config, **smtp_server.config()}


def _request_reset(client: Any, email: str) -> Any:
    return post_form(client, "/password-reset", {"email": email})


def _reset_link(app: Any, client: Any, smtp_server: Any, email: str = EMAIL) -> str:
    response = _request_reset(client, email)
    assert response.status_code == 302
    assert "Sent 1" in send_mail(app)
    return link_in_mail(smtp_server.messages[-1], "/password-reset/")


def _actions(app: Any) -> list[str]:
    with app.app_context():
        return list(
            get_session().execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        )


def test_login_page_links_to_reset(client):
    body = client.get("/login").get_data(as_text=True)
    assert 'href="/password-reset"' in body
    assert "Forgotten your password?" in body


def test_reset_end_to_end_ends_every_session(app, client, demo, smtp_server):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, EMAIL, demo.password)
    login(phone, EMAIL, demo.password)

    response = _request_reset(client, "  Editor@University.example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    flashed = client.get("/login").get_data(as_text=True)
    assert f"If an account exists for {EMAIL}, we have sent it a link" in flashed

    assert "Sent 1" in send_mail(app)
    mail = smtp_server.messages[-1]
    assert mail["To"] == EMAIL
    assert mail["Subject"] == "Reset your qaportal password"
    path = link_in_mail(mail, "/password-reset/")
    token = path.rsplit("/", 1)[1]

    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/password-reset/new")
    assert token not in response.headers["Location"]
    page = client.get("/password-reset/new").get_data(as_text=True)
    assert EMAIL in page
    assert token not in page

    response = post_form(
        client,
        "/password-reset/new",
        {"new_password": "password1234", "confirm_password": "password1234"},
    )
    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)

    response = post_form(
        client,
        "/password-reset/new",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    # Other sessions of the account are over.
    assert laptop.get("/dashboard").status_code == 302
    assert phone.get("/dashboard").status_code == 302
    # The old password no longer works; the new one does.
    refused = post_form(app.test_client(), "/login", {"email": EMAIL, "password": demo.password})
    assert refused.status_code == 200
    assert "not correct" in refused.get_data(as_text=True)
    fresh = app.test_client()
    login(fresh, EMAIL, NEW_PASSWORD)
    assert fresh.get("/dashboard").status_code == 200

    actions = _actions(app)
    for action in (
        "auth.reset_requested",
        "auth.password_changed",
        "auth.sessions_ended",
        "auth.password_reset",
    ):
        assert action in actions

    # The link works once.
    again = app.test_client()
    again.get(path)
    response = again.get("/password-reset/new")
    assert response.status_code == 410
    assert "This link has already been used" in response.get_data(as_text=True)
    assert "auth.reset_link_refused" in _actions(app)


def test_unknown_address_gets_the_same_message_and_no_mail(app, client, demo, smtp_server):
    response = _request_reset(client, "nobody@example.org")
    assert response.status_code == 302
    body = client.get("/login").get_data(as_text=True)
    assert "If an account exists for nobody@example.org, we have sent it a link" in body
    with app.app_context():
        assert get_session().execute(select(func.count(OutboxMessage.id))).scalar_one() == 0
    assert "auth.reset_requested_unknown" in _actions(app)


def test_malformed_address_is_refused_with_field_error(client, demo):
    response = _request_reset(client, "not an address")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter a valid email address." in body
    assert 'value="not an address"' in body


def test_requests_are_rate_limited_per_address(app, client, demo):
    for _ in range(5):
        assert _request_reset(client, "nobody@example.org").status_code == 302
    response = _request_reset(client, "Nobody@Example.org")
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert "auth.reset_rate_limited" in _actions(app)
    # Another address is not affected.
    assert _request_reset(client, EMAIL).status_code == 302


def test_expired_reset_link(app, client, demo, smtp_server):
    path = _reset_link(app, client, smtp_server)
    with app.app_context():
        db = get_session()
        db.execute(update(OneTimeToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    client.get(path)
    response = client.get("/password-reset/new")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This link has expired" in body
    assert 'href="/password-reset"' in body  # the way to a new link


def test_reset_revokes_the_other_open_links(app, client, demo, smtp_server):
    first = _reset_link(app, client, smtp_server)
    second = _reset_link(app, client, smtp_server)
    client.get(second)
    response = post_form(
        client,
        "/password-reset/new",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    client.get(first)
    response = client.get("/password-reset/new")
    assert response.status_code == 410
    assert "no longer valid" in response.get_data(as_text=True)
    with app.app_context():
        refused = (
            get_session()
            .execute(
                select(AuditEvent.details).where(AuditEvent.action == "auth.reset_link_refused")
            )
            .scalars()
        )
        assert [json.loads(d)["reason"] for d in refused] == ["revoked"]
        purposes = get_session().execute(select(OneTimeToken.purpose)).scalars()
        assert set(purposes) == {TokenPurpose.PASSWORD_RESET}


def test_unknown_reset_token(client, demo):
    response = client.get("/password-reset/made-up-token")
    assert response.status_code == 302
    assert "made-up-token" not in response.headers["Location"]
    response = client.get("/password-reset/new")
    assert response.status_code == 404
    assert "Link not recognised" in response.get_data(as_text=True)
