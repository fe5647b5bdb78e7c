"""Privacy: closing a feedback campaign leaves no invitee address anywhere, and mail queued
for it never goes out; the agency reads a self-assessment only once it is submitted."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from qaportal.audit.models import AuditEvent
from qaportal.cases.models import Case, CaseState
from qaportal.db import get_session, utcnow
from qaportal.models import Base
from qaportal.notifications.models import OutboxMessage, OutboxStatus
from qaportal.notifications.services import enqueue
from qaportal.orgs.models import Organisation
from tests.casekit import lock_version, make_world, minimal_pdf
from tests.conftest import login, post_form, send_mail
from tests.feedback_support import (
    AGENCY_ADMIN,
    AGENCY_OFFICER,
    UDV_ADMIN,
    make_campaign,
    make_specification,
    set_closes_at,
)

SENT_FIRST = ["ann.learner@example.org", "eve.learner@example.org"]
STILL_QUEUED = ["bob.learner@example.org"]
ADDRESSES = SENT_FIRST + STILL_QUEUED


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    return {**app_config, **smtp_server.config()}


def _invite(client: Any, campaign_id: int, addresses: list[str]) -> None:
    content = ("email\n" + "\n".join(addresses) + "\n").encode()
    response = post_form(
        client,
        f"/feedback/campaigns/{campaign_id}/invitations",
        {"file": (BytesIO(content), "addresses.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def _rows_holding(app: Any, needle: str) -> list[str]:
    """``table.column`` of every text value in the database that contains ``needle``."""
    found = []
    with app.app_context():
        db = get_session()
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text | JSON):
                    continue
                value = cast(column, Text)  # JSON, and tsvector variants on PostgreSQL
                count = db.execute(
                    select(func.count())
                    .select_from(table)
                    .where(func.lower(value).contains(needle.lower()))
                ).scalar_one()
                if count:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_closing_a_campaign_erases_every_address_and_withdraws_its_mail(
    app, client, demo, smtp_server
):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    _invite(client, campaign_id, SENT_FIRST)
    send_mail(app)
    assert sorted(m["To"] for m in smtp_server.messages) == SENT_FIRST
    _invite(client, campaign_id, STILL_QUEUED)  # waits in the outbox when the campaign closes
    # the scan does find addresses while the campaign runs (it can fail)
    assert "outbox_messages.to_address" in _rows_holding(app, STILL_QUEUED[0])

    page = f"/feedback/campaigns/{campaign_id}"
    assert post_form(client, f"{page}/close", {}, token_from=page).status_code == 302

    for address in ADDRESSES:
        assert _rows_holding(app, address) == [], address
    with app.app_context():
        db = get_session()
        statuses = sorted(s.value for s in db.execute(select(OutboxMessage.status)).scalars())
        assert statuses == ["sent", "sent", "withdrawn"]
        closed = db.execute(
            select(AuditEvent).where(AuditEvent.action == "feedback.campaign_closed")
        ).scalar_one()
        details = json.loads(closed.details)
        assert (details["mail_withdrawn"], details["addresses_erased"]) == (1, 2)

    # the outbox as the agency sees it: the messages are listed, their recipients are not
    agency_client = app.test_client()
    login(agency_client, AGENCY_ADMIN, demo.password)
    with app.app_context():
        db = get_session()
        withdrawn = db.execute(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.WITHDRAWN)
        ).scalar_one()
        withdrawn_id = withdrawn.id
        agency_id = db.get(Organisation, withdrawn.organisation_id).managing_agency_id
    listing = agency_client.get(f"/agencies/{agency_id}/outbox")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "Your feedback on Spring cohort" in text and "Withdrawn" in text
    detail = agency_client.get(f"/agencies/{agency_id}/outbox/{withdrawn_id}")
    assert detail.status_code == 200
    for address in ADDRESSES:
        assert address not in text
        assert address not in detail.get_data(as_text=True)

    # the mail worker delivers nothing more: the queued invitation was withdrawn
    send_mail(app)
    assert len(smtp_server.messages) == 2
    with app.app_context():
        assert (
            get_session()
            .execute(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED))
            .first()
            is None
        )


def test_sweeping_a_campaign_closed_by_date_withdraws_its_mail_too(app, client, demo, smtp_server):
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    _invite(client, campaign_id, STILL_QUEUED)
    set_closes_at(app, campaign_id, utcnow() - dt.timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["feedback", "sweep"])
    assert result.exit_code == 0, result.output
    assert _rows_holding(app, STILL_QUEUED[0]) == []
    send_mail(app)
    assert smtp_server.messages == []


def test_mail_of_a_campaign_past_its_closing_date_never_goes_out_before_the_sweep(
    app, client, demo, smtp_server
):
    """No sweep has run since the closing date: the mail worker itself withdraws the mail."""
    campaign_id = make_campaign(app, [make_specification(app, "Data literacy")])
    login(client, UDV_ADMIN, demo.password)
    _invite(client, campaign_id, STILL_QUEUED)
    set_closes_at(app, campaign_id, utcnow() - dt.timedelta(minutes=1))
    send_mail(app)
    assert smtp_server.messages == []
    assert _rows_holding(app, STILL_QUEUED[0]) == []
    with app.app_context():
        actions = get_session().execute(select(AuditEvent.action)).scalars().all()
        assert actions.count("feedback.campaign_swept") == 1


def test_mail_of_people_with_accounts_still_names_them_in_the_audit_trail(app, demo):
    """Only erasable (referenced) mail hides its address; staff mail stays traceable."""
    with app.app_context():
        db = get_session()
        staff = enqueue(db, "editor@university.example.org", "Hello", "Body\n")
        invitee = enqueue(db, "x@example.org", "Hello", "Body\n", reference="feedback_campaign:1")
        db.commit()
        assert staff.audit_recipient == "editor@university.example.org"
        assert "x@example.org" not in invitee.audit_recipient
        error = "550 5.1.1 <X@example.org>: Recipient address rejected"
        assert "x@example.org" not in (invitee.without_address(error) or "").lower()
        assert staff.without_address(error) == error


# ----- the agency and a self-assessment still being written -----------------------------------

NARRATIVE = "Our unfinished thoughts on the internal review cycle"
EVIDENCE_TITLE = "Draft quality manual"


def _draft_case_with_text(app: Any, client: Any, demo: Any) -> Any:
    world = make_world(app)
    login(client, UDV_ADMIN, demo.password)
    url = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    page = client.get(url).get_data(as_text=True)
    saved = post_form(client, url, {"lock_version": lock_version(page), "q_narrative": NARRATIVE})
    assert saved.status_code == 302
    uploaded = post_form(
        client,
        f"/cases/{world.case_id}/evidence",
        {"title": EVIDENCE_TITLE, "file": (BytesIO(minimal_pdf()), "manual.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    return world


def test_agency_sees_a_draft_case_but_nothing_the_provider_is_writing(app, client, demo):
    world = _draft_case_with_text(app, client, demo)
    with app.app_context():
        case = get_session().get(Case, world.case_id)
        reference = case.reference
    # the provider's own page shows the text (so the checks below can fail)
    own = client.get(f"/cases/{world.case_id}/criteria/{world.criteria['C1']}")
    assert NARRATIVE in own.get_data(as_text=True)

    officer = app.test_client()
    login(officer, AGENCY_OFFICER, demo.password)
    overview = officer.get(f"/cases/{world.case_id}")
    assert overview.status_code == 200
    page = overview.get_data(as_text=True)
    assert reference in page
    assert "Data analysis for beginners" in page  # the scope
    assert "draft" in page  # the state
    assert NARRATIVE not in page and EVIDENCE_TITLE not in page
    assert f"/cases/{world.case_id}/self-assessment" not in page
    for path in ("self-assessment", "coverage", "submit", "evidence"):
        response = officer.get(f"/cases/{world.case_id}/{path}")
        assert response.status_code == 403, path
        assert NARRATIVE not in response.get_data(as_text=True)
    criterion = officer.get(f"/cases/{world.case_id}/criteria/{world.criteria['C1']}")
    assert criterion.status_code == 403

    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state, case.submitted_at = CaseState.SUBMITTED, utcnow()
        db.commit()
    criterion = officer.get(f"/cases/{world.case_id}/criteria/{world.criteria['C1']}")
    assert criterion.status_code == 200
    assert NARRATIVE in criterion.get_data(as_text=True)
    evidence = officer.get(f"/cases/{world.case_id}/evidence")
    assert evidence.status_code == 200 and EVIDENCE_TITLE in evidence.get_data(as_text=True)
