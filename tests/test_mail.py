"""The outbox and its real SMTP sender: delivery, backoff, the command, the outbox pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from qaportal.audit.models import AuditEvent
from qaportal.auth.models import Role
from qaportal.db import get_session, utcnow
from qaportal.notifications.models import OutboxMessage, OutboxStatus
from qaportal.notifications.sender import MailSettings, backoff, retry_span, send_due
from qaportal.notifications.services import enqueue
from qaportal.orgs.models import Organisation, OrgKind
from tests.conftest import free_port, login, post_form, send_mail

AGENCY = "Demo Agency for Quality Assurance"
TOKEN = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"  # shaped like a one-time link token


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    return {**app_config, **smtp_server.config()}


def _enqueue(
    app: Any, to: str, subject: str = "Hello", body: str = "Body\n", org_id: int | None = None
) -> int:
    with app.app_context():
        db = get_session()
        message = enqueue(db, to, subject, body, organisation_id=org_id)
        db.commit()
        return message.id


def _message(app: Any, message_id: int) -> OutboxMessage:
    with app.app_context():
        found = get_session().get(OutboxMessage, message_id)
        assert found is not None
        return found


def _audit(app: Any, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = get_session().execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [{"object_id": e.object_id, **json.loads(e.details)} for e in rows.scalars()]


def _agency_id(app: Any, name: str = AGENCY) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.legal_name == name))
            .scalar_one()
        )


# ----- sending ------------------------------------------------------------------------------


def test_sends_a_proper_email_and_records_it(app, smtp_server):
    message_id = _enqueue(
        app, "learner@example.org", "Grüße aus Wien", "Hallo,\n\nschöne Grüße.\n— qaportal\n"
    )
    with app.app_context():
        summary = send_due(get_session(), MailSettings.from_config(app.config))
    assert (summary.sent, summary.retrying, summary.failed) == (1, 0, 0)

    [mail] = smtp_server.messages
    assert mail["From"] == "qaportal <noreply@qaportal.test>"
    assert mail["To"] == "learner@example.org"
    assert mail["Subject"] == "Grüße aus Wien"
    assert mail["Date"] is not None
    assert mail["Message-ID"].startswith(f"<qaportal.{message_id}.")
    assert mail["Message-ID"].endswith("@qaportal.test>")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content() == "Hallo,\n\nschöne Grüße.\n— qaportal\n"
    assert smtp_server.envelopes == [("noreply@qaportal.test", ["learner@example.org"])]

    sent = _message(app, message_id)
    assert sent.status == OutboxStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert [e["object_id"] for e in _audit(app, "mail.sent")] == [str(message_id)]

    # Nothing is sent twice.
    with app.app_context():
        assert send_due(get_session(), MailSettings.from_config(app.config)).attempted == 0
    assert len(smtp_server.messages) == 1


def test_server_down_backs_off_then_fails_and_can_be_retried(app, smtp_server):
    message_id = _enqueue(app, "someone@example.org")
    down = MailSettings(host="127.0.0.1", port=free_port(), max_attempts=3, timeout=5)
    t0 = utcnow()
    with app.app_context():
        db = get_session()
        first = send_due(db, down, now=t0)
        assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
        assert "ConnectionRefusedError" in first.errors[0]
        after_one = db.get(OutboxMessage, message_id)
        assert after_one.status == OutboxStatus.QUEUED
        assert after_one.attempts == 1
        assert after_one.next_attempt_at == t0 + dt.timedelta(minutes=1)
        assert "ConnectionRefusedError" in after_one.last_error

        # Not due yet: nothing happens.
        assert send_due(db, down, now=t0 + dt.timedelta(seconds=59)).attempted == 0

        t1 = t0 + dt.timedelta(minutes=1)
        assert send_due(db, down, now=t1).retrying == 1
        db.expire_all()
        after_two = db.get(OutboxMessage, message_id)
        assert after_two.attempts == 2
        assert after_two.next_attempt_at == t1 + dt.timedelta(minutes=2)

        t2 = t1 + dt.timedelta(minutes=2)
        assert send_due(db, down, now=t2).failed == 1
        db.expire_all()
        failed = db.get(OutboxMessage, message_id)
        assert failed.status == OutboxStatus.FAILED
        assert failed.attempts == 3
        assert send_due(db, down, now=t2 + dt.timedelta(days=1)).attempted == 0

    events = _audit(app, "mail.failed")
    assert [(e["attempt"], e["final"]) for e in events] == [(1, False), (2, False), (3, True)]
    assert smtp_server.messages == []

    # An operator retries it once the server is back.
    result = app.test_cli_runner().invoke(args=["mail", "retry", str(message_id)])
    assert result.exit_code == 0, result.output
    assert "queued again" in result.output
    assert "Sent 1" in send_mail(app)
    assert len(smtp_server.messages) == 1
    assert _message(app, message_id).status == OutboxStatus.SENT
    assert len(_audit(app, "mail.requeued")) == 1


def test_backoff_doubles_and_is_capped():
    settings = MailSettings()
    minutes = [backoff(n, settings).total_seconds() / 60 for n in range(1, 11)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_an_outage_of_a_day_loses_no_mail(app, smtp_server):
    """The configured schedule spreads the attempts over more than 24 hours: a message whose
    server is down for 23 hours is still queued, and goes out once the server is back."""
    configured = MailSettings.from_config(app.config)
    waits = [backoff(n, configured) for n in range(1, configured.max_attempts)]
    assert sum(waits, dt.timedelta()) == retry_span(configured) >= dt.timedelta(hours=24)
    assert max(waits) <= dt.timedelta(hours=1)

    message_id = _enqueue(app, "someone@example.org")
    down = MailSettings(
        host="127.0.0.1", port=free_port(), timeout=5, max_attempts=configured.max_attempts
    )
    t0 = utcnow()
    now = t0
    with app.app_context():
        db = get_session()
        while now < t0 + dt.timedelta(hours=23):
            assert send_due(db, down, now=now).attempted == 1
            db.expire_all()
            message = db.get(OutboxMessage, message_id)
            assert message.status == OutboxStatus.QUEUED, (now - t0, message.attempts)
            now = message.next_attempt_at
        assert message.attempts < configured.max_attempts
    # The server is back at hour 23: the next round delivers it.
    up = MailSettings.from_config(app.config)
    with app.app_context():
        assert send_due(get_session(), up, now=now).sent == 1
    assert len(smtp_server.messages) == 1
    assert _message(app, message_id).status == OutboxStatus.SENT


def test_retry_command_refuses_what_cannot_be_retried(app, smtp_server):
    message_id = _enqueue(app, "someone@example.org")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "retry", str(message_id)])
    assert result.exit_code != 0
    assert "is queued" in result.output
    result = runner.invoke(args=["mail", "retry", "999999"])
    assert result.exit_code != 0
    assert "no message 999999" in result.output


def test_mail_send_command_and_worker_loop(app, smtp_server):
    for n in range(3):
        _enqueue(app, f"person{n}@example.org", f"Message {n}")
    output = send_mail(app)
    assert "Sent 3, to retry later 0, failed for good 0." in output
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "Message 0",
        "Message 1",
        "Message 2",
    ]
    assert "Sent 0" in send_mail(app)

    _enqueue(app, "late@example.org", "Later")
    result = app.test_cli_runner().invoke(
        args=["mail", "send", "--loop", "--interval", "0", "--rounds", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Sent 1" in result.output
    assert "Mail worker stopped." in result.output
    assert smtp_server.messages[-1]["Subject"] == "Later"


# ----- the outbox pages ---------------------------------------------------------------------


def test_outbox_page_for_the_agency_admin(app, client, demo, smtp_server, count_queries):
    agency_id = _agency_id(app)
    sent_id = _enqueue(app, "editor@university.example.org", "Welcome aboard", org_id=agency_id)
    assert "Sent 1" in send_mail(app)
    failed_id = _enqueue(
        app,
        "admin@vet.example.org",
        "Your reset link",
        f"Open http://localhost/password-reset/{TOKEN} to continue.\n",
        org_id=agency_id,
    )
    with app.app_context():
        db = get_session()
        failed = db.get(OutboxMessage, failed_id)
        failed.status, failed.attempts = OutboxStatus.FAILED, 8
        failed.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
        db.commit()
    stranger_id = _enqueue(app, "stranger@elsewhere.example.org", "Not for this agency")

    login(client, "admin@agency.example.org", demo.password)
    response = client.get(f"/agencies/{agency_id}/outbox")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Welcome aboard" in body
    assert "editor@university.example.org" in body
    assert "Your reset link" in body
    assert "Connection refused" in body
    assert "Not for this agency" not in body
    assert body.index("Your reset link") < body.index("Welcome aboard")  # newest first
    assert "<script" not in body and "style=" not in body

    failed_only = client.get(f"/agencies/{agency_id}/outbox?status=failed").get_data(as_text=True)
    assert "Your reset link" in failed_only
    assert "Welcome aboard" not in failed_only

    # The detail page shows the body with the one-time link hidden, and a retry button.
    detail = client.get(f"/agencies/{agency_id}/outbox/{failed_id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "to continue." in text
    assert TOKEN not in text
    assert "Retry now" in text
    assert "Retry now" not in client.get(f"/agencies/{agency_id}/outbox/{sent_id}").get_data(
        as_text=True
    )
    assert client.get(f"/agencies/{agency_id}/outbox/{stranger_id}").status_code == 404

    response = post_form(
        client,
        f"/agencies/{agency_id}/outbox/{failed_id}/retry",
        {},
        token_from=f"/agencies/{agency_id}/outbox/{failed_id}",
    )
    assert response.status_code == 302
    requeued = _message(app, failed_id)
    assert (requeued.status, requeued.attempts) == (OutboxStatus.QUEUED, 0)
    assert [e["object_id"] for e in _audit(app, "mail.requeued")] == [str(failed_id)]

    # No N+1: the page costs the same number of queries for 3 messages as for 40.
    with count_queries() as few:
        client.get(f"/agencies/{agency_id}/outbox")
    for n in range(37):
        _enqueue(app, "officer@agency.example.org", f"Bulk {n}", org_id=agency_id)
    with count_queries() as many:
        page_one = client.get(f"/agencies/{agency_id}/outbox").get_data(as_text=True)
    assert many.count == few.count
    assert "Bulk 36" in page_one and "Bulk 0" not in page_one
    page_two = client.get(f"/agencies/{agency_id}/outbox?page=2").get_data(as_text=True)
    assert "Bulk 0" in page_two and "Welcome aboard" in page_two


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("officer@agency.example.org", 403),
        ("reviewer1@reviewers.example.org", 403),
        ("admin@university.example.org", 404),
        ("editor@vet.example.org", 404),
    ],
)
def test_outbox_is_for_agency_admins_only(app, client, demo, email, status):
    agency_id = _agency_id(app)
    message_id = _enqueue(app, "editor@university.example.org", org_id=agency_id)
    login(client, email, demo.password)
    assert client.get(f"/agencies/{agency_id}/outbox").status_code == status
    assert client.get(f"/agencies/{agency_id}/outbox/{message_id}").status_code == status
    response = post_form(
        client, f"/agencies/{agency_id}/outbox/{message_id}/retry", {}, token_from="/dashboard"
    )
    assert response.status_code == status


def test_outbox_needs_sign_in(app, client, demo):
    agency_id = _agency_id(app)
    response = client.get(f"/agencies/{agency_id}/outbox")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_of_another_agency_sees_neither_outbox(app, client, demo):
    from qaportal.audit.services import Actor
    from qaportal.auth.services import add_membership, create_user
    from qaportal.orgs.services import create_organisation

    with app.app_context():
        db = get_session()
        other = create_organisation(
            db, OrgKind.AGENCY, Actor.system("test"), legal_name="Other Agency"
        )
        admin = create_user(db, "admin@other.example.org", "Olga Other", demo.password)
        add_membership(db, admin, other.id, Role.AGENCY_ADMIN)
        db.commit()
        other_id = other.id
    ours = _enqueue(
        app, "editor@university.example.org", "For the demo agency", org_id=_agency_id(app)
    )
    theirs = _enqueue(app, "admin@other.example.org", "For the other agency", org_id=other_id)

    login(client, "admin@other.example.org", demo.password)
    assert client.get(f"/agencies/{_agency_id(app)}/outbox").status_code == 404
    body = client.get(f"/agencies/{other_id}/outbox").get_data(as_text=True)
    assert "For the other agency" in body
    assert "For the demo agency" not in body
    assert client.get(f"/agencies/{other_id}/outbox/{ours}").status_code == 404
    assert client.get(f"/agencies/{other_id}/outbox/{theirs}").status_code == 200


def test_retry_all_failed_from_the_outbox_page(app, client, demo, smtp_server):
    agency_id = _agency_id(app)
    failed_ids = [
        _enqueue(app, f"person{n}@example.org", f"Outage {n}", org_id=agency_id) for n in range(3)
    ]
    queued_id = _enqueue(app, "waiting@example.org", "Still waiting", org_id=agency_id)
    elsewhere_id = _enqueue(app, "stranger@elsewhere.example.org", "Not for this agency")
    with app.app_context():
        db = get_session()
        for message_id in [*failed_ids, elsewhere_id]:
            message = db.get(OutboxMessage, message_id)
            message.status, message.attempts = OutboxStatus.FAILED, 30
            message.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
        db.commit()
    outbox = f"/agencies/{agency_id}/outbox"
    retry_all = f"{outbox}/retry-failed"

    # The officer may read nothing here; CSRF is checked; neither changes anything.
    officer = app.test_client()
    login(officer, "officer@agency.example.org", demo.password)
    assert post_form(officer, retry_all, {}, token_from="/dashboard").status_code == 403
    login(client, "admin@agency.example.org", demo.password)
    assert client.post(retry_all).status_code == 400
    assert _message(app, failed_ids[0]).status == OutboxStatus.FAILED

    page = client.get(outbox).get_data(as_text=True)
    assert "3 messages have failed for good." in page and "Retry all failed" in page
    assert f'action="{retry_all}"' in page
    response = post_form(client, retry_all, {}, token_from=outbox)
    assert response.status_code == 302 and response.headers["Location"] == outbox
    for message_id in failed_ids:
        again = _message(app, message_id)
        assert (again.status, again.attempts) == (OutboxStatus.QUEUED, 0)
    assert _message(app, elsewhere_id).status == OutboxStatus.FAILED  # another outbox
    assert _message(app, queued_id).attempts == 0
    events = _audit(app, "mail.requeued_all")
    assert len(events) == 1 and events[0]["count"] == 3
    assert events[0]["object_id"] == str(agency_id)
    page = client.get(outbox).get_data(as_text=True)
    assert "3 failed messages are queued again" in page and "Retry all failed" not in page

    assert "Sent 4" in send_mail(app)
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "Outage 0",
        "Outage 1",
        "Outage 2",
        "Still waiting",
    ]
