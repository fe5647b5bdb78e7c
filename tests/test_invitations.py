"""Invitations: the email goes through the outbox and a real SMTP server, the link is accepted
once, and unusable links get a clear page and an audit event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select, update

from qaportal.audit.models import AuditEvent
from qaportal.audit.services import Actor
from qaportal.auth.invitations import LinkSettings, invite
from qaportal.auth.models import Membership, OneTimeToken, Role, User
from qaportal.auth.services import find_user_by_email
from qaportal.db import get_session, utcnow
from qaportal.notifications.models import OutboxMessage, OutboxStatus
from qaportal.orgs.models import Organisation
from tests.conftest import link_in_mail, login, post_form, send_mail

NEW_EMAIL = "nora.new@university.example.org"
GOOD_PASSWORD = "correct horse battery staple"


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    return {**app_config, **smtp_server.config()}


def _invite(app: Any, inviter: str, org_acronym: str | None, email: str, role: Role) -> int:
    # A request context, as when an admin invites from the staff page (the email's language).
    with app.test_request_context():
        db = get_session()
        query = select(Organisation)
        if org_acronym:
            query = query.where(Organisation.acronym == org_acronym)
        else:
            query = query.where(Organisation.legal_name == "Demo Agency for Quality Assurance")
        org = db.execute(query).scalar_one()
        user = find_user_by_email(db, inviter)
        assert user is not None
        record = invite(
            db, org, email, role, Actor(user.id, user.email), LinkSettings.from_config(app.config)
        )
        db.commit()
        return record.id


def _events(app: Any, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = get_session().execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [
            {"object_id": e.object_id, "actor": e.actor_label, **json.loads(e.details or "{}")}
            for e in rows.scalars()
        ]


def _mailed_link(app: Any, smtp_server: Any) -> str:
    output = send_mail(app)
    assert "Sent 1" in output
    return link_in_mail(smtp_server.messages[-1], "/invitations/")


def test_invitation_is_mailed_accepted_once_and_signs_in(app, client, demo, smtp_server):
    _invite(
        app,
        "admin@university.example.org",
        "UDV",
        "Nora.New@University.example.org",
        Role.PROVIDER_EDITOR,
    )

    path = _mailed_link(app, smtp_server)
    mail = smtp_server.messages[-1]
    assert mail["To"] == NEW_EMAIL
    assert "University of Demoville" in mail["Subject"]
    assert smtp_server.envelopes[-1][1] == [NEW_EMAIL]

    # The link hands the token to the session and leaves for an address without it.
    token = path.rsplit("/", 1)[1]
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/invitations/accept")
    assert token not in response.headers["Location"]

    page = client.get("/invitations/accept")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "University of Demoville (UDV)" in body
    assert "Provider editor" in body
    assert NEW_EMAIL in body
    assert token not in body

    # Field-level errors; what was typed is kept, except the passwords.
    response = post_form(
        client,
        "/invitations/accept",
        {"display_name": "Nora New", "new_password": "short", "confirm_password": "short"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Use at least 12 characters." in body
    assert 'value="Nora New"' in body
    assert 'value="short"' not in body
    response = post_form(
        client,
        "/invitations/accept",
        {"display_name": "Nora New", "new_password": GOOD_PASSWORD, "confirm_password": "other"},
    )
    assert "The passwords differ." in response.get_data(as_text=True)

    response = post_form(
        client,
        "/invitations/accept",
        {
            "display_name": "Nora New",
            "new_password": GOOD_PASSWORD,
            "confirm_password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Provider editor · University of Demoville (UDV)" in dashboard
    assert "Nora New" in dashboard

    with app.app_context():
        db = get_session()
        user = db.execute(select(User).where(User.email == NEW_EMAIL)).scalar_one()
        roles = [
            m.role
            for m in db.execute(select(Membership).where(Membership.user_id == user.id)).scalars()
        ]
        assert roles == [Role.PROVIDER_EDITOR]
        message = db.execute(select(OutboxMessage)).scalar_one()
        assert message.status == OutboxStatus.SENT
        assert token not in message.body_text  # the stored copy is scrubbed once sent
    assert [e["role"] for e in _events(app, "invitation.accepted")] == ["provider_editor"]

    # The same link again, in another browser: a clear "already used" page.
    other = app.test_client()
    assert other.get(path).status_code == 302
    response = other.get("/invitations/accept")
    assert response.status_code == 410
    assert "This invitation has already been used" in response.get_data(as_text=True)
    assert [e["reason"] for e in _events(app, "invitation.link_refused")] == ["used"]
    # ...and the new account signs in with its password.
    login(app.test_client(), NEW_EMAIL, GOOD_PASSWORD)


def test_existing_account_only_confirms(app, client, demo, smtp_server):
    _invite(
        app, "admin@agency.example.org", None, "editor@university.example.org", Role.AGENCY_OFFICER
    )
    path = _mailed_link(app, smtp_server)
    assert "you keep your current password" in smtp_server.messages[-1].get_content()

    client.get(path)
    body = client.get("/invitations/accept").get_data(as_text=True)
    assert "Agency officer" in body
    assert "Emil Editor" in body
    assert 'name="new_password"' not in body

    response = post_form(client, "/invitations/accept", {})
    assert response.status_code == 302
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Agency officer · Demo Agency for Quality Assurance (DAQA)" in dashboard
    assert "Provider editor · University of Demoville (UDV)" in dashboard
    login(app.test_client(), "editor@university.example.org", demo.password)  # unchanged


def test_expired_invitation_gets_a_clear_page(app, client, demo, smtp_server):
    invitation_id = _invite(
        app, "admin@university.example.org", "UDV", NEW_EMAIL, Role.PROVIDER_EDITOR
    )
    path = _mailed_link(app, smtp_server)
    with app.app_context():
        db = get_session()
        db.execute(
            update(OneTimeToken)
            .where(OneTimeToken.id == invitation_id)
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
        db.commit()

    client.get(path)
    response = client.get("/invitations/accept")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This invitation has expired" in body
    assert "Ask the person who invited you to send a new invitation." in body
    refused = _events(app, "invitation.link_refused")
    assert [(e["reason"], e["object_id"]) for e in refused] == [("expired", str(invitation_id))]
    # Nothing was created, and posting does not help either.
    with app.app_context():
        assert find_user_by_email(get_session(), NEW_EMAIL) is None


def test_revoked_invitation_gets_a_clear_page(app, client, demo, smtp_server):
    invitation_id = _invite(
        app, "admin@university.example.org", "UDV", NEW_EMAIL, Role.PROVIDER_EDITOR
    )
    path = _mailed_link(app, smtp_server)
    with app.app_context():
        db = get_session()
        db.execute(
            update(OneTimeToken).where(OneTimeToken.id == invitation_id).values(revoked_at=utcnow())
        )
        db.commit()
    client.get(path)
    response = client.get("/invitations/accept")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)


def test_unknown_token_gets_a_clear_page_and_is_audited(app, client, demo):
    response = client.get("/invitations/not-a-real-token-at-all")
    assert response.status_code == 302
    assert "not-a-real-token" not in response.headers["Location"]
    response = client.get("/invitations/accept")
    assert response.status_code == 404
    assert "Invitation link not recognised" in response.get_data(as_text=True)
    assert [e["reason"] for e in _events(app, "invitation.link_refused")] == ["unknown"]

    # Posting a crafted form with the unknown token creates nothing.
    client.get("/invitations/not-a-real-token-at-all")
    response = post_form(
        client,
        "/invitations/accept",
        {"display_name": "X", "new_password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
        token_from="/login",
    )
    assert response.status_code == 404
    with app.app_context():
        assert get_session().execute(select(User).where(User.display_name == "X")).first() is None


def test_accept_page_without_a_link_explains_what_to_do(client, demo):
    response = client.get("/invitations/accept")
    assert response.status_code == 404
    assert "There is no invitation open in this browser." in response.get_data(as_text=True)


def test_accepting_while_someone_else_is_signed_in(app, client, demo, smtp_server):
    _invite(app, "admin@university.example.org", "UDV", NEW_EMAIL, Role.PROVIDER_ADMIN)
    path = _mailed_link(app, smtp_server)
    login(client, "admin@agency.example.org", demo.password)
    client.get(path)
    body = client.get("/invitations/accept").get_data(as_text=True)
    assert "You are signed in as admin@agency.example.org" in body
    response = post_form(
        client,
        "/invitations/accept",
        {
            "display_name": "Nora New",
            "new_password": GOOD_PASSWORD,
            "confirm_password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Provider administrator · University of Demoville (UDV)" in dashboard
    assert "Agency administrator" not in dashboard
    with app.app_context():
        admin = find_user_by_email(get_session(), "admin@agency.example.org")
        ended = (
            get_session()
            .execute(select(AuditEvent).where(AuditEvent.action == "auth.logout"))
            .scalars()
            .all()
        )
        assert [e.actor_user_id for e in ended] == [admin.id]
